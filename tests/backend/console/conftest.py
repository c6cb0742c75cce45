"""Console fixtures: a Rasa tracker store written by Rasa's own `SQLTrackerStore`.

The tracker database matches the backend test database: SQLite next to SQLite, and on
PostgreSQL a fresh schema per test (dropped after it), so no other test's tables are
touched.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from backend.complaints import Policy, create_complaint
from backend.console.indexer import SyncResult, sync
from backend.db import make_reader_engine, make_session_factory
from backend.schemas import ComplaintCreate
from backend.taxonomy import Taxonomy
from tests.backend.conftest import complaint_body
from tests.conftest import POSTGRES_URL, service_missing

DOMAIN_FILE = Path(__file__).resolve().parents[3] / "domain.yml"
#: The conversations' clock: every test event happens at T0 + some minutes.
T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.timezone.utc)


def at(minutes: float) -> float:
    """Epoch seconds `minutes` after T0."""
    return (T0 + dt.timedelta(minutes=minutes)).timestamp()


@pytest.fixture(scope="session")
def rasa_domain() -> Domain:
    """The assistant's real domain (Rasa needs it to read a tracker back)."""
    return Domain.load(str(DOMAIN_FILE))


@dataclass
class Tracker:
    """Rasa's tracker store for one test: written by Rasa, read by the console."""

    url: str
    domain: Domain
    reader: Engine
    _store: SQLTrackerStore | None = field(default=None, repr=False)

    @property
    def store(self) -> SQLTrackerStore:
        """Rasa's store; creating it creates the `events` table."""
        if self._store is None:
            self._store = SQLTrackerStore(domain=self.domain, dialect=self.dialect, **self._where())
        return self._store

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return str(make_url(self.url).get_backend_name())

    def _where(self) -> dict[str, Any]:
        if self.dialect == "sqlite":
            return {"db": make_url(self.url).database}
        return {"host": self.url}

    def write(self, sender_id: str, events: Sequence[Event]) -> None:
        """Append events to a sender's tracker and save it, as Rasa does after a turn."""
        asyncio.run(self._write(sender_id, events))

    async def _write(self, sender_id: str, events: Sequence[Event]) -> None:
        tracker = await self.store.retrieve(sender_id)
        if tracker is None:
            tracker = DialogueStateTracker(sender_id, self.domain.slots)
        for event in events:
            tracker.update(event, self.domain)
        await self.store.save(tracker)

    def close(self) -> None:
        """Release both engines' connections."""
        if self._store is not None:
            self._store.engine.dispose()
        self.reader.dispose()


@pytest.fixture
def tracker(engine: Engine, tmp_path: Path, rasa_domain: Domain) -> Iterator[Tracker]:
    """An empty tracker store (no `events` table yet) on the backend's kind of database."""
    if engine.dialect.name != "postgresql":
        url = f"sqlite:///{tmp_path / 'tracker.db'}"
        handle = Tracker(url, rasa_domain, make_reader_engine(url))
        yield handle
        handle.close()
        return
    schema = f"tracker_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, future=True)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means the server is not usable
        admin.dispose()
        service_missing(f"PostgreSQL at {POSTGRES_URL}", exc)
    options = {"options": f"-csearch_path={schema}"}
    url = make_url(POSTGRES_URL).update_query_dict(options).render_as_string(hide_password=False)
    handle = Tracker(url, rasa_domain, make_reader_engine(url))
    try:
        yield handle
    finally:
        handle.close()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker:
    """Sessions on the migrated backend database."""
    return make_session_factory(engine)


def run_sync(sessions: sessionmaker, tracker: Tracker, **options: Any) -> SyncResult:
    """Sync the index from the test's tracker store."""
    return sync(sessions, tracker.reader, **options)


# --- Rasa events, as the assistant produces them ------------------------------------------


def session_start(minutes: float, metadata: dict[str, Any] | None = None) -> list[Event]:
    """Rasa's session start: the metadata slot (if any), the action, the marker, listen."""
    events: list[Event] = []
    if metadata:
        events.append(SlotSet("session_started_metadata", metadata, timestamp=at(minutes)))
    events += [
        ActionExecuted("action_session_start", timestamp=at(minutes)),
        SessionStarted(timestamp=at(minutes)),
        ActionExecuted("action_listen", timestamp=at(minutes)),
    ]
    return events


def user(
    text_: str,
    intent: str,
    minutes: float,
    *,
    confidence: float = 0.93,
    metadata: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    channel: str = "rest",
) -> UserUttered:
    """A citizen's message with the parse data NLU gave it."""
    parse_data = {
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "text": text_,
        "intent_ranking": [{"name": intent, "confidence": confidence}],
    }
    return UserUttered(
        text_,
        parse_data["intent"],
        parse_data["entities"],
        parse_data,
        timestamp=at(minutes),
        input_channel=channel,
        metadata=metadata or {},
    )


def bot(
    text_: str, response: str, minutes: float, buttons: list[dict[str, str]] | None = None
) -> BotUttered:
    """A bot message from response `response`."""
    data = {"buttons": buttons} if buttons else {}
    return BotUttered(text_, data, {"utter_action": response}, timestamp=at(minutes))


def action(name: str, minutes: float, policy: str = "RulePolicy", confidence: float = 1.0) -> Event:
    """An action run by a policy."""
    return ActionExecuted(name, policy, confidence, timestamp=at(minutes))


def slot(name: str, value: Any, minutes: float) -> SlotSet:
    """A slot set."""
    return SlotSet(name, value, timestamp=at(minutes))


def loop(name: str | None, minutes: float) -> ActiveLoop:
    """A form activated (or, with None, deactivated)."""
    return ActiveLoop(name, timestamp=at(minutes))


def file_report(
    session: Session,
    taxonomy: Taxonomy,
    policy: Policy,
    *,
    category: str = "jalan_jembatan",
    chat_id: str = "telegram:100",
    kecamatan: str = "Balaraja",
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
) -> str:
    """File a report with the backend's own code; returns its tracking ID."""
    body = complaint_body(category=category)
    body["reporter"] = {**body["reporter"], "chat_id": chat_id}
    body["location"] = {**body["location"], "kecamatan": kecamatan}
    payload = ComplaintCreate.parse_obj(body)
    report, _ = create_complaint(
        session, payload, taxonomy, policy, idempotency_key=idempotency_key, now=now
    )
    return report.tracking_id
