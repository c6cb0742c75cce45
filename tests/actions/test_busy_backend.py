"""A backend whose SQLite database is busy: the citizen's report is kept and sent later.

The real backend app (in-process, SQLite) answers 503 with Retry-After while another
writer holds the database's lock; the action server keeps the report in its pending
store, tells the citizen it is queued, and files it, once, when the database is free.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import BackendClient
from actions.pending import PendingStore
from actions.services import Services, use_services
from actions.submission import ActionSubmitComplaint, submit_pending
from backend.app import create_app
from backend.db import make_engine
from backend.migrate import upgrade
from backend.state import AppState
from tests.actions.conftest import DOMAIN, make_settings, make_tracker, responses
from tests.actions.test_through_backend import META, SENDER, SLOTS
from tests.backend.conftest import SERVICE_TOKEN
from tests.backend.conftest import make_settings as make_backend_settings


@pytest.fixture
async def busy_backend(tmp_path: Path) -> AsyncIterator[tuple[Services, sqlite3.Connection]]:
    """Services on the real backend (waiting 0.2 s for its lock), and an outside writer."""
    url = f"sqlite:///{tmp_path / 'backend.db'}"
    upgrade(url)
    engine = make_engine(url, busy_timeout=0.2)
    settings = make_backend_settings(tmp_path, db_busy_timeout_seconds=0.2)
    app = create_app(state=AppState.from_settings(settings, engine=engine))
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://backend.test")
    services = Services(
        settings=make_settings(tmp_path),
        http=http,
        backend=BackendClient(http, "http://backend.test", SERVICE_TOKEN),
        pending=PendingStore(f"sqlite:///{tmp_path / 'pending.db'}"),
    )
    outside = sqlite3.connect(tmp_path / "backend.db", isolation_level=None)
    use_services(services)
    try:
        yield services, outside
    finally:
        use_services(None)
        outside.close()
        await services.close()
        engine.dispose()


async def test_a_busy_backend_keeps_the_report_and_files_it_once_later(
    busy_backend: tuple[Services, sqlite3.Connection],
) -> None:
    services, outside = busy_backend
    outside.execute("BEGIN IMMEDIATE")  # another writer holds the lock beyond the timeout
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(sender_id=SENDER, slots=SLOTS, intent="affirm", metadata=META)
    await ActionSubmitComplaint().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_submission_queued"]
    [kept] = await asyncio.to_thread(services.pending.due)
    assert kept.sender_id == SENDER

    assert await submit_pending(services.pending, services.backend) == 0  # still busy
    [still] = await asyncio.to_thread(services.pending.due)
    assert still.attempts == 1

    outside.execute("ROLLBACK")
    assert await submit_pending(services.pending, services.backend) == 1
    assert await asyncio.to_thread(services.pending.due) == []
    mine = await services.backend.list_reports_of_chat(SENDER)
    assert [r["description"] for r in mine] == [SLOTS["complaint_description"]]
