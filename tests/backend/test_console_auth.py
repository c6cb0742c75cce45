"""Console login, sessions, CSRF, lockout, logout and the language switch."""

from __future__ import annotations

import datetime as dt

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.db import utcnow
from backend.models import AuditEntry, ConsoleSession, User
from tests.backend.conftest import add_user
from tests.backend.console_client import browser, console_login, csrf_of, page_csrf

PASSWORD = "sandi-rahasia-123"


def _audit_actions(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.execute(select(AuditEntry.actor, AuditEntry.action).order_by(AuditEntry.id))
        return [(actor, action) for actor, action in rows]


async def test_pages_send_a_visitor_to_the_login_page_and_back(
    app: FastAPI, engine: Engine
) -> None:
    add_user(engine, "admin1", PASSWORD, "admin")
    async with browser(app) as client:
        response = await client.get("/admin/reports?status=received")
        assert response.status_code == 303
        expected = "/admin/login?next=%2Fadmin%2Freports%3Fstatus%3Dreceived"
        assert response.headers["location"] == expected
        login_page = await client.get(response.headers["location"])
        assert 'name="next" value="/admin/reports?status=received"' in login_page.text
        done = await console_login(client, "admin1", PASSWORD, "/admin/reports?status=received")
        assert done.status_code == 303
        assert done.headers["location"] == "/admin/reports?status=received"
        page = await client.get(done.headers["location"])
        assert page.status_code == 200
        assert "admin1" in page.text


async def test_session_cookie_is_secure_and_only_its_hash_is_stored(
    app: FastAPI, engine: Engine
) -> None:
    add_user(engine, "admin1", PASSWORD, "admin")
    async with browser(app) as client:
        response = await console_login(client, "admin1", PASSWORD)
        cookie = next(
            h for h in response.headers.get_list("set-cookie") if h.startswith("lapor_console=")
        )
        token = cookie.split(";")[0].split("=", 1)[1]
        lowered = cookie.lower()
        for flag in ("httponly", "secure", "samesite=lax", "path=/admin"):
            assert flag in lowered, cookie
    with Session(engine) as session:
        ids = session.execute(select(ConsoleSession.id)).scalars().all()
    assert len(ids) == 1 and ids[0] != token and len(ids[0]) == 64


async def test_wrong_password_is_refused_and_audited(app: FastAPI, engine: Engine) -> None:
    add_user(engine, "officer1", PASSWORD, "officer", "DLHK")
    async with browser(app) as client:
        response = await console_login(client, "officer1", "salah-sandi-000")
        assert response.status_code == 401
        assert "Nama pengguna atau kata sandi salah." in response.text
        assert "lapor_console=" not in response.headers.get("set-cookie", "")
        unknown = await console_login(client, "nobody", "salah-sandi-000")
        assert unknown.status_code == 401
        assert "Nama pengguna atau kata sandi salah." in unknown.text
        assert (await client.get("/admin/reports")).status_code == 303
    assert _audit_actions(engine) == [("officer1", "login_failed"), ("nobody", "login_failed")]


async def test_login_without_its_csrf_token_is_refused(app: FastAPI, engine: Engine) -> None:
    add_user(engine, "admin1", PASSWORD, "admin")
    async with browser(app) as client:
        await client.get("/admin/login")
        response = await client.post(
            "/admin/login",
            data={"username": "admin1", "password": PASSWORD, "csrf_token": "forged"},
        )
        assert response.status_code == 403
        assert "Formulir kedaluwarsa" in response.text
    with Session(engine) as session:
        assert session.execute(select(ConsoleSession)).first() is None


async def test_five_wrong_passwords_lock_the_account_for_a_while(
    app: FastAPI, engine: Engine
) -> None:
    add_user(engine, "officer1", PASSWORD, "officer", "DLHK")
    async with browser(app) as client:
        for _ in range(4):
            assert (await console_login(client, "officer1", "tebak-tebakan")).status_code == 401
        fifth = await console_login(client, "officer1", "tebak-tebakan")
        assert "Akun dikunci sampai" in fifth.text
        right_but_locked = await console_login(client, "officer1", PASSWORD)
        assert right_but_locked.status_code == 401
        assert "Akun dikunci sampai" in right_but_locked.text
        api = await client.post(
            "/api/v1/auth/token", json={"username": "officer1", "password": PASSWORD}
        )
        assert api.status_code == 401
        assert "locked" in api.json()["message"]
        with Session(engine) as session:
            session.execute(update(User).values(locked_until=utcnow() - dt.timedelta(seconds=1)))
            session.commit()
        assert (await console_login(client, "officer1", PASSWORD)).status_code == 303
    with Session(engine) as session:
        user = session.execute(select(User)).scalar_one()
        assert user.failed_logins == 0 and user.locked_until is None
        assert user.last_login_at is not None


async def test_the_api_token_endpoint_counts_failures_too(app: FastAPI, engine: Engine) -> None:
    add_user(engine, "officer1", PASSWORD, "officer", "DLHK")
    async with browser(app) as client:
        for _ in range(5):
            wrong = await client.post(
                "/api/v1/auth/token", json={"username": "officer1", "password": "x" * 12}
            )
            assert wrong.status_code == 401
        locked = await console_login(client, "officer1", PASSWORD)
        assert "Akun dikunci sampai" in locked.text


async def test_logout_needs_csrf_and_ends_the_session_on_the_server(
    app: FastAPI, engine: Engine
) -> None:
    add_user(engine, "admin1", PASSWORD, "admin")
    async with browser(app) as client:
        await console_login(client, "admin1", PASSWORD)
        stolen = client.cookies.get("lapor_console", path="/admin")
        assert stolen
        forged = await client.post("/admin/logout", data={"csrf_token": "forged"})
        assert forged.status_code == 403
        assert (await client.get("/admin/reports")).status_code == 200
        token = await page_csrf(client, "/admin/reports")
        out = await client.post("/admin/logout", data={"csrf_token": token})
        assert out.status_code == 303
        assert out.headers["location"] == "/admin/login?done=logout"
        assert "Anda sudah keluar." in (await client.get(out.headers["location"])).text
    async with browser(app) as replay:
        replay.cookies.set("lapor_console", stolen, domain="console.test", path="/admin")
        assert (await replay.get("/admin/reports")).status_code == 303
    assert ("admin1", "logout") in _audit_actions(engine)


async def test_an_idle_or_expired_session_asks_for_a_new_login(
    app: FastAPI, engine: Engine
) -> None:
    add_user(engine, "admin1", PASSWORD, "admin")
    async with browser(app) as client:
        await console_login(client, "admin1", PASSWORD)
        assert (await client.get("/admin/reports")).status_code == 200
        with Session(engine) as session:
            session.execute(
                update(ConsoleSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=31))
            )
            session.commit()
        assert (await client.get("/admin/reports")).status_code == 303
        await console_login(client, "admin1", PASSWORD)
        with Session(engine) as session:
            session.execute(
                update(ConsoleSession).values(expires_at=utcnow() - dt.timedelta(seconds=1))
            )
            session.commit()
        assert (await client.get("/admin/reports")).status_code == 303
    with Session(engine) as session:
        assert session.execute(select(ConsoleSession)).first() is None


async def test_a_disabled_user_is_logged_out(app: FastAPI, engine: Engine) -> None:
    add_user(engine, "officer1", PASSWORD, "officer", "DLHK")
    async with browser(app) as client:
        await console_login(client, "officer1", PASSWORD)
        assert (await client.get("/admin/reports")).status_code == 200
        with Session(engine) as session:
            session.execute(update(User).values(active=0))
            session.commit()
        assert (await client.get("/admin/reports")).status_code == 303
        again = await console_login(client, "officer1", PASSWORD)
        assert "Akun ini dinonaktifkan" in again.text


async def test_login_never_redirects_outside_the_console(app: FastAPI, engine: Engine) -> None:
    add_user(engine, "admin1", PASSWORD, "admin")
    async with browser(app) as client:
        for target in ("https://evil.example/", "//evil.example/admin", "/api/v1/complaints"):
            response = await console_login(client, "admin1", PASSWORD, target)
            assert response.headers["location"] == "/admin", target


async def test_home_sends_each_role_to_its_start_page(app: FastAPI, engine: Engine) -> None:
    add_user(engine, "viewer1", PASSWORD, "viewer")
    add_user(engine, "officer1", PASSWORD, "officer", "DLHK")
    async with browser(app) as client:
        assert (await client.get("/admin")).headers["location"] == "/admin/login"
        await console_login(client, "viewer1", PASSWORD)
        assert (await client.get("/admin")).headers["location"] == "/admin/dashboard"
    async with browser(app) as client:
        await console_login(client, "officer1", PASSWORD)
        assert (await client.get("/admin")).headers["location"] == "/admin/reports"


async def test_language_switch_turns_the_interface_english(app: FastAPI, engine: Engine) -> None:
    add_user(engine, "admin1", PASSWORD, "admin")
    async with browser(app) as client:
        await console_login(client, "admin1", PASSWORD)
        page = await client.get("/admin/reports")
        assert '<html lang="id">' in page.text and "Laporan" in page.text
        switched = await client.get("/admin/lang/en?next=%2Fadmin%2Freports")
        assert switched.headers["location"] == "/admin/reports"
        english = await client.get("/admin/reports")
        assert '<html lang="en">' in english.text
        assert "Reports" in english.text and "Log out" in english.text
        await client.get("/admin/lang/xx")  # unknown: ignored
        assert '<html lang="en">' in (await client.get("/admin/reports")).text


async def test_pages_carry_security_headers_and_no_external_assets(
    app: FastAPI, engine: Engine
) -> None:
    add_user(engine, "admin1", PASSWORD, "admin")
    async with browser(app) as client:
        login_page = await client.get("/admin/login")
        await console_login(client, "admin1", PASSWORD)
        page = await client.get("/admin/reports")
        css = await client.get("/admin/static/console.css")
    for response in (login_page, page):
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert "http://" not in response.text and "//cdn" not in response.text
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert "@import" not in css.text and "url(" not in css.text


async def test_unknown_console_pages_are_html_and_api_errors_stay_json(
    app: FastAPI, engine: Engine
) -> None:
    add_user(engine, "admin1", PASSWORD, "admin")
    async with browser(app) as client:
        await console_login(client, "admin1", PASSWORD)
        missing = await client.get("/admin/reports/TNG-2026-999999")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("text/html")
        api = await client.get("/api/v1/complaints/TNG-2026-999999")
        assert api.status_code == 401 and api.headers["content-type"] == "application/json"


async def test_login_page_csrf_token_is_random(app: FastAPI) -> None:
    # Two visitors never share a login CSRF token.
    async with browser(app) as first, browser(app) as second:
        one = csrf_of((await first.get("/admin/login")).text)
        two = csrf_of((await second.get("/admin/login")).text)
    assert one != two and len(one) >= 40


async def test_post_without_a_session_goes_to_login(app: FastAPI) -> None:
    async with browser(app) as client:
        response = await client.post("/admin/logout", data={"csrf_token": "x"})
        assert response.status_code == 303
        assert response.headers["location"].startswith("/admin/login")
    assert isinstance(response, httpx.Response)


async def test_logging_in_clears_sessions_that_can_no_longer_be_used(
    app: FastAPI, engine: Engine
) -> None:
    add_user(engine, "admin1", PASSWORD, "admin")
    add_user(engine, "officer1", PASSWORD, "officer", "DLHK")
    async with browser(app) as abandoned:
        await console_login(abandoned, "officer1", PASSWORD)  # never comes back
    with Session(engine) as session:
        session.execute(
            update(ConsoleSession).values(last_seen_at=utcnow() - dt.timedelta(hours=1))
        )
        session.commit()
    async with browser(app) as client:
        await console_login(client, "admin1", PASSWORD)
    with Session(engine) as session:
        owners = (
            session.execute(
                select(User.username).join(ConsoleSession, ConsoleSession.user_id == User.id)
            )
            .scalars()
            .all()
        )
    assert owners == ["admin1"]
