"""The bridge as the app runs it: started at startup when enabled, shown by /health."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from backend.app import create_app
from backend.settings import BackendSettings
from backend.state import AppState
from tests.backend.conftest import AUTH, add_user, complaint_body, make_settings
from tests.fakes.lapor_api import FakeLapor
from tests.fakes.server import ThreadedServer


@contextmanager
def serving(app: FastAPI) -> Iterator[httpx.Client]:
    """The app on a real port with its startup and shutdown (the bridge's thread)."""
    server = ThreadedServer(app, "backend-under-test", lifespan="on")
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            yield http
    finally:
        server.stop()


def wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_enabled_bridge_forwards_in_the_background_and_shows_in_health(
    state: AppState, lapor: FakeLapor
) -> None:
    app = create_app(state=state)
    with serving(app) as http:
        response = http.post("/api/v1/complaints", json=complaint_body(), headers=AUTH)
        assert response.status_code == 201
        tracking_id = response.json()["tracking_id"]
        wait_for(lambda: len(lapor.created()) == 1)
        wait_for(
            lambda: (
                http.get(f"/api/v1/complaints/{tracking_id}", headers=AUTH).json()["lapor"]["state"]
                == "forwarded"
            )
        )
        health = http.get("/health").json()
    assert health["status"] == "ok"
    lapor_health = health["lapor"]
    assert lapor_health["enabled"] is True and lapor_health["running"] is True
    assert lapor_health["reports"] == {"pending": 0, "failed": 0, "review": 0}
    assert lapor_health["last_success_at"] is not None
    assert lapor.created()[0].fields["tags_raw"] == tracking_id
    assert not app.state.lapor_bridge.status().running  # stopped at shutdown


def test_enabled_without_credentials_keeps_reports_pending(
    tmp_path: Path, engine: Engine, lapor: FakeLapor, mapping_file: Path
) -> None:
    settings = make_settings(
        tmp_path, lapor_enabled=True, lapor_base_url=lapor.base_url, lapor_mapping_file=mapping_file
    )
    app = create_app(state=AppState.from_settings(settings, engine=engine))
    with serving(app) as http:
        created = http.post("/api/v1/complaints", json=complaint_body(), headers=AUTH).json()
        health = http.get("/health").json()
    assert created["lapor"]["state"] == "pending"
    assert health["lapor"] == {
        "enabled": True,
        "running": False,
        "last_error": "LAPOR_AUTH_SECRET and LAPOR_TOKEN not set: reports are kept pending",
    }
    assert lapor.requests == []


@pytest.fixture
def off_settings(tmp_path: Path) -> BackendSettings:
    return make_settings(tmp_path)


def test_off_by_default_nothing_starts_and_health_is_unchanged(
    off_settings: BackendSettings, engine: Engine
) -> None:
    app = create_app(state=AppState.from_settings(off_settings, engine=engine))
    with serving(app) as http:
        health = http.get("/health").json()
    assert "lapor" not in health
    assert not hasattr(app.state, "lapor_bridge")


def test_the_dashboard_shows_admins_the_bridge(
    settings: BackendSettings, engine: Engine, lapor: FakeLapor
) -> None:
    add_user(engine, "admin", "rahasia-admin-123", "admin")
    add_user(engine, "petugas", "rahasia-petugas-123", "officer", agency="DBMSDA")
    plain = settings.copy(update={"console_cookie_secure": False})
    app = create_app(state=AppState.from_settings(plain, engine=engine))
    lapor.fail("/complaints/complaint", 400)  # one report the bridge cannot forward
    with serving(app) as http:
        assert (
            http.post("/api/v1/complaints", json=complaint_body(), headers=AUTH).status_code == 201
        )
        wait_for(lambda: http.get("/health").json()["lapor"]["reports"]["failed"] == 1)
        pages = {}
        for name, password in (("admin", "rahasia-admin-123"), ("petugas", "rahasia-petugas-123")):
            http.cookies.clear()
            form = http.get("/admin/login").text
            token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            login = http.post(
                "/admin/login", data={"username": name, "password": password, "csrf_token": token}
            )
            assert login.status_code == 303
            pages[name] = http.get("/admin/dashboard").text
    assert 'id="lapor-bridge"' in pages["admin"]
    assert "Gagal diteruskan</dt><dd>1" in pages["admin"]
    assert 'id="lapor-bridge"' not in pages["petugas"]
