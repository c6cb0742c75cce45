"""The embedded SQLite default when the database is busy, and transactions that always end.

The backend once wedged for good under 8 concurrent clients: a request's session still
held SQLite's write lock when the request ended, and its rollback waited for a worker
thread while every worker thread waited for that lock. These tests pin the cure: a busy
database is a 503 with Retry-After (never a 500 or a hang), health always answers, and
a request that fails, is abandoned by its client or is cancelled leaves no transaction
open and its connection back in the pool.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from backend.api.deps import db_session
from backend.app import create_app
from backend.db import make_engine, utcnow
from backend.migrate import upgrade
from backend.models import NotificationPreference, Report
from backend.state import AppState
from tests.backend.conftest import AUTH, complaint_body, count_rows, make_settings
from tests.fakes.server import ThreadedServer

BUSY_TIMEOUT = 0.3


@pytest.fixture
def sqlite_file(tmp_path: Path) -> str:
    """A migrated SQLite file of its own (the session-wide one is shared by tests)."""
    url = f"sqlite:///{tmp_path / 'backend.db'}"
    upgrade(url)
    return url


@pytest.fixture
def busy_engine(sqlite_file: str) -> Iterator[Engine]:
    """The backend's engine on that file, waiting at most BUSY_TIMEOUT for the lock."""
    engine = make_engine(sqlite_file, busy_timeout=BUSY_TIMEOUT)
    yield engine
    engine.dispose()


@pytest.fixture
def busy_app(busy_engine: Engine, tmp_path: Path) -> FastAPI:
    """A backend app of its own on that engine (the tests add routes to it)."""
    settings = make_settings(
        tmp_path, db_busy_timeout_seconds=BUSY_TIMEOUT, console_cookie_secure=False
    )
    return create_app(settings, AppState.from_settings(settings, engine=busy_engine))


@pytest.fixture
async def busy_client(busy_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=busy_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://backend.test") as c:
        yield c


class OutsideWriter:
    """Another process's connection holding SQLite's write lock (`BEGIN IMMEDIATE`)."""

    def __init__(self, url: str) -> None:
        self._connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)

    def lock(self) -> None:
        self._connection.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self._connection.execute("ROLLBACK")

    def close(self) -> None:
        self._connection.close()


@pytest.fixture
def outside(sqlite_file: str) -> Iterator[OutsideWriter]:
    writer = OutsideWriter(sqlite_file)
    yield writer
    writer.close()


def lock_is_free(url: str) -> bool:
    """Whether a writer gets SQLite's write lock at once."""
    connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=0)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()


async def _wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # noqa: ASYNC110 - polls a file lock
        await asyncio.sleep(0.02)


async def wait_until_released(url: str, engine: Engine, seconds: float = 5.0) -> None:
    """Wait until no connection is checked out and the write lock is free."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if engine.pool.checkedout() == 0 and lock_is_free(url):  # type: ignore[attr-defined]
            return
        await asyncio.sleep(0.05)
    raise AssertionError(
        f"after {seconds} s: {engine.pool.checkedout()} connections checked out, "  # type: ignore[attr-defined]
        f"write lock free: {lock_is_free(url)}"
    )


# -- a busy database ------------------------------------------------------------------


async def test_a_busy_database_is_a_503_with_retry_after_and_the_retry_files_once(
    busy_client: httpx.AsyncClient, busy_engine: Engine, outside: OutsideWriter
) -> None:
    outside.lock()
    key = {"Idempotency-Key": "busy-retry-1", **AUTH}
    started = time.monotonic()
    busy = await busy_client.post("/api/v1/complaints", json=complaint_body(), headers=key)
    waited = time.monotonic() - started
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "2"
    assert busy.json()["error"] == "database_busy"
    assert "send the same request again" in busy.json()["message"]
    assert BUSY_TIMEOUT <= waited < BUSY_TIMEOUT + 2  # waited for the lock, then gave up
    outside.release()
    assert count_rows(busy_engine, Report) == 0

    retried = await busy_client.post("/api/v1/complaints", json=complaint_body(), headers=key)
    assert retried.status_code == 201
    again = await busy_client.post("/api/v1/complaints", json=complaint_body(), headers=key)
    assert again.json()["tracking_id"] == retried.json()["tracking_id"]
    assert count_rows(busy_engine, Report) == 1


async def test_a_busy_status_change_is_a_503_and_changes_nothing(
    busy_client: httpx.AsyncClient, outside: OutsideWriter
) -> None:
    created = await busy_client.post("/api/v1/complaints", json=complaint_body(), headers=AUTH)
    tracking_id = created.json()["tracking_id"]
    outside.lock()
    busy = await busy_client.post(
        f"/api/v1/complaints/{tracking_id}/status",
        json={"status": "verified", "note": "diteruskan"},
        headers=AUTH,
    )
    outside.release()
    assert busy.status_code == 503
    assert "Retry-After" in busy.headers
    report = await busy_client.get(f"/api/v1/complaints/{tracking_id}", headers=AUTH)
    assert report.json()["status"] == "received"


async def test_readers_and_health_are_not_held_up_by_a_writer(
    busy_client: httpx.AsyncClient, outside: OutsideWriter
) -> None:
    created = await busy_client.post("/api/v1/complaints", json=complaint_body(), headers=AUTH)
    tracking_id = created.json()["tracking_id"]
    outside.lock()
    try:
        started = time.monotonic()
        health = await busy_client.get("/health")
        listing = await busy_client.get("/api/v1/complaints", headers=AUTH)
        one = await busy_client.get(f"/api/v1/complaints/{tracking_id}", headers=AUTH)
        feed = await busy_client.get("/api/v1/events/pending", headers=AUTH)
        took = time.monotonic() - started
    finally:
        outside.release()
    assert [r.status_code for r in (health, listing, one, feed)] == [200, 200, 200, 200]
    assert health.json() == {"status": "ok", "database": "sqlite"}
    assert listing.json()["total"] == 1
    assert took < BUSY_TIMEOUT  # none of them waited for the lock


async def test_health_answers_503_within_a_second_when_the_database_hangs(
    busy_client: httpx.AsyncClient, busy_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    state: AppState = busy_app.state.backend

    def hanging_session(**_kw: Any) -> Session:
        time.sleep(3)
        raise AssertionError("unreachable in time")

    monkeypatch.setattr(state, "read_sessions", hanging_session)
    started = time.monotonic()
    response = await busy_client.get("/health")
    assert time.monotonic() - started < 1.0
    assert response.status_code == 503
    assert response.json()["database"] == "not answering in time"
    assert "Retry-After" in response.headers


# -- transactions always end ------------------------------------------------------------


def _write_something(session: Session) -> None:
    """Open a write transaction (SQLite's write lock) with a row not yet committed."""
    session.add(NotificationPreference(chat_id="telegram:777", enabled=False, updated_at=_now()))
    session.flush()


def _now() -> dt.datetime:
    return utcnow()


def add_route(app: FastAPI, path: str, handler: Any) -> None:
    """Add a test route to this test's app."""
    app.add_api_route(path, handler, methods=["POST"])


def _raising(session: Session = Depends(db_session)) -> None:
    _write_something(session)
    raise RuntimeError("the handler failed half-way")


def _slow(session: Session = Depends(db_session)) -> dict[str, str]:
    _write_something(session)
    time.sleep(0.6)  # the client gives up meanwhile
    return {"done": "never committed"}


async def _cancellable(session: Session = Depends(db_session)) -> dict[str, str]:
    await run_in_threadpool(_write_something, session)
    await asyncio.sleep(30)  # cancelled here
    return {"done": "never"}


async def test_an_exception_rolls_back_and_returns_the_connection(
    busy_app: FastAPI, busy_engine: Engine, sqlite_file: str
) -> None:
    add_route(busy_app, "/test/raising", _raising)
    transport = httpx.ASGITransport(app=busy_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://backend.test") as client:
        response = await client.post("/test/raising")
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    await wait_until_released(sqlite_file, busy_engine)
    assert count_rows(busy_engine, NotificationPreference) == 0


async def test_a_client_that_disconnects_leaves_no_transaction_open(
    busy_app: FastAPI, busy_engine: Engine, sqlite_file: str
) -> None:
    add_route(busy_app, "/test/slow", _slow)
    server = ThreadedServer(busy_app, "busy-backend")
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.post("/test/slow", timeout=0.2)
        assert not lock_is_free(sqlite_file)  # the handler is still running
        await wait_until_released(sqlite_file, busy_engine)
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            health = await client.get("/health")
    finally:
        server.stop()
    assert health.status_code == 200
    assert count_rows(busy_engine, NotificationPreference) == 0


async def test_a_cancelled_request_rolls_back_and_returns_the_connection(
    busy_app: FastAPI, busy_engine: Engine, sqlite_file: str
) -> None:
    add_route(busy_app, "/test/cancellable", _cancellable)
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/test/cancellable",
        "raw_path": b"/test/cancellable",
        "query_string": b"",
        "headers": [(b"host", b"backend.test")],
        "server": ("backend.test", 80),
        "client": ("127.0.0.1", 5000),
        "root_path": "",
        "state": {},
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    # Cancelled as Starlette and anyio cancel (a cancel scope: every later await in it is
    # cancelled too, unlike a single asyncio `Task.cancel`).
    async with anyio.create_task_group() as group:
        group.start_soon(busy_app, scope, receive, send)
        await _wait_for(lambda: not lock_is_free(sqlite_file))
        assert not lock_is_free(sqlite_file)  # the request holds the write lock now
        group.cancel_scope.cancel()
    await wait_until_released(sqlite_file, busy_engine)
    assert count_rows(busy_engine, NotificationPreference) == 0
    assert sent == []  # nothing was answered


async def test_a_busy_database_is_a_page_in_the_console(
    busy_client: httpx.AsyncClient, outside: OutsideWriter
) -> None:
    form = await busy_client.get("/admin/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    outside.lock()
    try:
        response = await busy_client.post(
            "/admin/login",
            data={"username": "admin", "password": "whatever", "csrf_token": token[1]},
        )
    finally:
        outside.release()
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["Retry-After"] == "2"
    assert "Sistem sedang sibuk dan tidak ada yang diubah" in response.text
