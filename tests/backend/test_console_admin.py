"""Console user management, the audit log page and the create-admin command."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.__main__ import main as backend_cli
from backend.auth import verify_password
from backend.db import make_engine
from backend.models import AuditEntry, ConsoleSession, User
from backend.settings import get_settings
from tests.backend.conftest import add_user
from tests.backend.console_client import browser, console_login, logged_in, page_csrf

PASSWORD = "sandi-rahasia-123"


def _user(engine: Engine, username: str) -> User | None:
    with Session(engine) as session:
        found: User | None = session.execute(
            select(User).where(User.username == username)
        ).scalar_one_or_none()
        return found


@pytest.fixture
def admin(engine: Engine) -> None:
    add_user(engine, "admin1", PASSWORD, "admin")


@pytest.mark.usefixtures("admin")
async def test_an_admin_adds_an_officer_who_can_then_log_in(app: FastAPI, engine: Engine) -> None:
    async with logged_in(app, "admin1", PASSWORD) as client:
        token = await page_csrf(client, "/admin/users")
        saved = await client.post(
            "/admin/users",
            data={
                "username": "bambang",
                "role": "officer",
                "agency": "DLHK",
                "password": "sandi-baru-bambang",
                "csrf_token": token,
            },
        )
        assert saved.status_code == 303
        page = await client.get(saved.headers["location"])
        assert "Pengguna disimpan." in page.text and "bambang" in page.text
    user = _user(engine, "bambang")
    assert user is not None and user.role == "officer" and user.agency == "DLHK"
    assert verify_password("sandi-baru-bambang", user.password_hash)
    async with logged_in(app, "bambang", "sandi-baru-bambang") as officer:
        assert (await officer.get("/admin/reports")).status_code == 200
        assert (await officer.get("/admin/users")).status_code == 403
    with Session(engine) as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "user_saved")
        ).scalar_one()
        assert entry.actor == "admin1" and entry.target_id == "bambang"
        assert "sandi-baru" not in (entry.detail or "")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"username": "x", "role": "officer", "agency": "", "password": "p" * 12}, "agency"),
        ({"username": "x", "role": "officer", "agency": "NOPE", "password": "p" * 12}, "NOPE"),
        ({"username": "x", "role": "viewer", "agency": "", "password": "short"}, "10"),
        ({"username": "x", "role": "viewer", "agency": "", "password": ""}, "password"),
        ({"username": "a b", "role": "viewer", "agency": "", "password": "p" * 12}, "spaces"),
        ({"username": "x", "role": "service", "agency": "", "password": "p" * 12}, "role"),
        ({"username": "x", "role": "root", "agency": "", "password": "p" * 12}, "role"),
    ],
)
@pytest.mark.usefixtures("admin")
async def test_bad_user_forms_say_what_is_wrong_and_save_nothing(
    app: FastAPI, engine: Engine, form: dict[str, str], message: str
) -> None:
    async with logged_in(app, "admin1", PASSWORD) as client:
        token = await page_csrf(client, "/admin/users")
        response = await client.post("/admin/users", data={**form, "csrf_token": token})
        assert response.status_code == 422
        assert message in response.text
        assert f'value="{form["username"]}"' in response.text  # what was typed is kept
    assert _user(engine, form["username"]) is None


@pytest.mark.usefixtures("admin")
async def test_disabling_a_user_ends_their_sessions_and_unlock_lifts_a_lockout(
    app: FastAPI, engine: Engine
) -> None:
    add_user(engine, "officer1", PASSWORD, "officer", "DLHK")
    async with logged_in(app, "officer1", PASSWORD) as officer:
        assert (await officer.get("/admin/reports")).status_code == 200
        target = _user(engine, "officer1")
        assert target is not None
        async with logged_in(app, "admin1", PASSWORD) as client:
            token = await page_csrf(client, "/admin/users")
            forged = await client.post(f"/admin/users/{target.id}/active", data={"active": "0"})
            assert forged.status_code == 403
            off = await client.post(
                f"/admin/users/{target.id}/active", data={"active": "0", "csrf_token": token}
            )
            assert off.status_code == 303
            assert (await officer.get("/admin/reports")).status_code == 303
            with Session(engine) as session:
                assert (
                    session.execute(
                        select(ConsoleSession).where(ConsoleSession.user_id == target.id)
                    ).first()
                    is None
                )
            on = await client.post(
                f"/admin/users/{target.id}/active", data={"active": "1", "csrf_token": token}
            )
            assert on.status_code == 303
    async with browser(app) as guesser:
        for _ in range(5):
            await console_login(guesser, "officer1", "tebakan-salah")
        assert "Akun dikunci" in (await console_login(guesser, "officer1", PASSWORD)).text
    async with logged_in(app, "admin1", PASSWORD) as client:
        page = await client.get("/admin/users")
        assert "Buka kunci" in page.text
        token = await page_csrf(client, "/admin/users")
        await client.post(f"/admin/users/{target.id}/unlock", data={"csrf_token": token})
    async with logged_in(app, "officer1", PASSWORD) as officer:
        assert (await officer.get("/admin/reports")).status_code == 200


@pytest.mark.usefixtures("admin")
async def test_an_admin_cannot_disable_themselves(app: FastAPI, engine: Engine) -> None:
    me = _user(engine, "admin1")
    assert me is not None
    async with logged_in(app, "admin1", PASSWORD) as client:
        token = await page_csrf(client, "/admin/users")
        response = await client.post(
            f"/admin/users/{me.id}/active", data={"active": "0", "csrf_token": token}
        )
        assert response.status_code == 422
        assert "own account" in response.text
        assert (await client.get("/admin/users")).status_code == 200


@pytest.mark.usefixtures("admin")
async def test_the_audit_log_lists_and_filters_entries(app: FastAPI, engine: Engine) -> None:
    async with browser(app) as stranger:
        await console_login(stranger, "admin1", "salah-sandi-000")
    async with logged_in(app, "admin1", PASSWORD) as client:
        page = await client.get("/admin/audit")
        assert page.status_code == 200
        assert "login_failed" in page.text and "login" in page.text
        failures = await client.get("/admin/audit?action=login_failed")
        assert failures.text.count('<td data-label="Tindakan">login_failed</td>') == 1
        assert '<td data-label="Tindakan">login</td>' not in failures.text
        nobody = await client.get("/admin/audit?actor=nobody")
        assert "Tidak ada data yang cocok." in nobody.text


def test_create_admin_makes_the_first_administrator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("NEW_USER_PASSWORD", "short")
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as refused:
            backend_cli(["create-admin", "kepala"])
        assert "10 characters" in str(refused.value)
        monkeypatch.setenv("NEW_USER_PASSWORD", "sandi-kepala-dinas")
        backend_cli(["create-admin", "kepala"])
        assert "saved as admin" in capsys.readouterr().out
        settings = get_settings()
        engine = make_engine(settings.effective_database_url)
        try:
            user = _user(engine, "kepala")
        finally:
            engine.dispose()
        assert user is not None and user.role == "admin" and user.agency is None
        assert verify_password("sandi-kepala-dinas", user.password_hash)
    finally:
        get_settings.cache_clear()
