"""The Rasa server's fixes keep Rasa's behaviour."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import sqlalchemy as sa
from aiohttp import web
from jsonschema import ValidationError
from rasa.core import tracker_store
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    Event,
    SlotSet,
    UserUttered,
    deserialise_events,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool

from rasa_runtime import patches

VALID: dict[str, Any] = {
    "events": [{"event": "slot", "name": "privacy", "value": "public"}],
    "responses": [{"response": "utter_ask_privacy", "buttons": []}],
}
INVALID: dict[str, Any] = {"events": [{"event": "slot", "name": 42}], "responses": []}


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch) -> RemoteAction:
    original = RemoteAction._validate_action_result
    monkeypatch.setattr(RemoteAction, "_validate_action_result", original)
    assert patches.apply()
    action: RemoteAction = RemoteAction.__new__(RemoteAction)
    return action


def test_the_fix_accepts_and_refuses_exactly_what_rasa_does(patched: RemoteAction) -> None:
    assert patched._validate_action_result(VALID) is True
    with pytest.raises(ValidationError) as ours:
        patched._validate_action_result(INVALID)
    with pytest.raises(ValidationError) as rasas:
        jsonschema.validate(INVALID, RemoteAction.action_response_format_spec())
    assert ours.value.message.startswith(rasas.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_the_schema_is_checked_once_not_per_response(
    patched: RemoteAction, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[object] = []
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    original = validator_class.check_schema
    monkeypatch.setattr(
        validator_class, "check_schema", classmethod(lambda cls, s: checks.append(s) or original(s))
    )
    for _ in range(20):
        patched._validate_action_result(VALID)
    assert checks == []
    jsonschema.validate(VALID, RemoteAction.action_response_format_spec())
    assert len(checks) == 1  # what Rasa's own code did for every response


def test_nothing_is_changed_on_another_rasa_line(monkeypatch: pytest.MonkeyPatch) -> None:
    before = RemoteAction._validate_action_result
    monkeypatch.setattr(patches.rasa, "__version__", "4.0.0")
    assert patches.apply() is False
    assert RemoteAction._validate_action_result is before


def test_event_types_resolve_exactly_as_rasa_resolves_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = Event.resolve_by_type
    monkeypatch.setattr(Event, "resolve_by_type", original)
    names = {cls.type_name for cls in all_subclasses(Event)}
    expected = {name: original(name) for name in names}
    patches.cache_event_type_lookup()
    assert {name: Event.resolve_by_type(name) for name in names} == expected
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")
    events = deserialise_events([{"event": "slot", "name": "privacy", "value": "public"}])
    assert events == [SlotSet("privacy", "public", timestamp=events[0].timestamp)]


def test_an_event_class_imported_later_is_still_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Event, "resolve_by_type", Event.resolve_by_type)
    patches.cache_event_type_lookup()
    assert Event.resolve_by_type("slot") is SlotSet  # the table is built now

    class LateEvent(SlotSet):
        type_name = "late_event_for_test"

    assert Event.resolve_by_type("late_event_for_test") is LateEvent


def test_sqlite_databases_open_in_write_ahead_log_mode(tmp_path: Path) -> None:
    patches.sqlite_tracker_store_in_wal_mode()
    patches.sqlite_tracker_store_in_wal_mode()  # twice: still one listener
    engine = create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        engine.dispose()
        event.remove(Engine, "connect", patches._connect_listener)  # leave other tests alone


@pytest.fixture
def pooled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracker_store, "create_engine_kwargs", tracker_store.create_engine_kwargs)
    patches.pooled_sqlite_tracker_store()
    patches.pooled_sqlite_tracker_store()  # twice: wrapped once


async def test_the_sqlite_tracker_store_keeps_its_connections(pooled: None, tmp_path: Path) -> None:
    domain = Domain.from_dict({"intents": ["greet"], "slots": {}})
    store = SQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    try:
        assert isinstance(store.engine.pool, QueuePool)
        tracker = DialogueStateTracker("telegram:1", domain.slots)
        tracker.update(UserUttered("halo", {"name": "greet", "confidence": 0.9}), domain)
        await store.save(tracker)
        tracker.update(ActionExecuted("action_listen"), domain)
        await store.save(tracker)
        again = await store.retrieve("telegram:1")
        assert again is not None
        assert [e.as_dict()["event"] for e in again.events] == ["user", "action"]
        assert store.engine.pool.checkedout() == 0  # returned, not closed
        assert store.engine.pool.checkedin() >= 1
    finally:
        store.engine.dispose()


def test_other_databases_keep_rasas_engine_options(pooled: None) -> None:
    assert "poolclass" not in tracker_store.create_engine_kwargs("postgresql://u@h/db")
    assert tracker_store.create_engine_kwargs("sqlite://") == {}


async def test_requests_to_the_action_server_carry_the_same_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(EndpointConfig, "session", EndpointConfig.session)
    patches.fast_json_to_action_server()
    patches.fast_json_to_action_server()  # twice: patched once
    assert getattr(EndpointConfig.session, "fast_json", False)
    received: list[bytes] = []

    async def webhook(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    body = {"text": "jalan rusak di Jl. Raya/Serang", "é": "ñ", "n": 0.1 + 0.2, "none": None}
    try:
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", basic_auth=None)
        answer = await endpoint.request(json=body, method="post")
    finally:
        await runner.cleanup()
    assert answer == {"events": [], "responses": []}
    assert json.loads(received[0]) == body
    assert b"\\/" not in received[0]


async def test_trackers_read_back_the_same_events_from_the_text_column(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    domain = Domain.from_dict(
        {"intents": ["greet"], "slots": {"privacy": {"type": "text", "mappings": []}}}
    )
    store = SQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    try:
        tracker = DialogueStateTracker("telegram:7", domain.slots)
        for turn in ("halo", "mau lapor"):
            tracker.update(UserUttered(turn, {"name": "greet", "confidence": 0.9}), domain)
            tracker.update(SlotSet("privacy", "public"), domain)
            tracker.update(ActionExecuted("action_listen"), domain)
        await store.save(tracker)
        tracker.update(ActionExecuted("action_session_start"), domain)
        await store.save(tracker)
        # Rasa's own (the fixture of another test may have applied every fix already).
        rasa_retrieve = getattr(SQLTrackerStore._retrieve, "original", SQLTrackerStore._retrieve)
        monkeypatch.setattr(SQLTrackerStore, "_retrieve", rasa_retrieve)
        rasas = await store.retrieve("telegram:7")
        rasas_full = await store.retrieve_full_tracker("telegram:7")
        patches.tracker_events_read_as_text()
        patches.tracker_events_read_as_text()  # twice: patched once
        ours = await store.retrieve("telegram:7")
        ours_full = await store.retrieve_full_tracker("telegram:7")
        assert rasas is not None and ours is not None and rasas_full and ours_full
        assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in rasas.events]
        assert [e.as_dict() for e in ours_full.events] == [e.as_dict() for e in rasas_full.events]
        assert ours.current_slot_values() == rasas.current_slot_values()
        assert await store.retrieve("telegram:unknown") is None
    finally:
        store.engine.dispose()


def tracker_store_on(
    database: str, domain: Domain, tmp_path: Path, request: pytest.FixtureRequest
) -> SQLTrackerStore:
    """Rasa's SQL tracker store on SQLite, or on the test PostgreSQL in a fresh schema."""
    if database == "sqlite":
        return SQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    url, schema = request.getfixturevalue("postgres_schema_url")
    parts = make_url(url)
    return SQLTrackerStore(
        domain=domain,
        dialect="postgresql",
        host=parts.host,
        port=parts.port,
        db=parts.database,
        username=parts.username,
        password=parts.password,
        query={"options": f"-csearch_path={schema}"},
    )


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_a_turns_events_are_stored_as_rasa_stores_them(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    database: str,
) -> None:
    domain = Domain.from_dict(
        {"intents": ["greet"], "slots": {"privacy": {"type": "text", "mappings": []}}}
    )

    def turns(sender: str) -> list[DialogueStateTracker]:
        """Three saves of one conversation: two events, then three more, then none."""
        tracker = DialogueStateTracker(sender, domain.slots)
        intent = {"name": "greet", "confidence": 0.9}
        tracker.update(UserUttered("halo", intent, timestamp=1.25), domain)
        tracker.update(ActionExecuted("action_listen", timestamp=1.5), domain)
        first = tracker.copy()
        tracker.update(SlotSet("privacy", "rahasia/anonim é", timestamp=2.0), domain)
        tracker.update(UserUttered("lagi", intent, timestamp=2.5), domain)
        tracker.update(ActionExecuted("utter_greet", timestamp=3.0), domain)
        return [first, tracker, tracker]

    def rows(store: SQLTrackerStore, sender: str) -> list[tuple[Any, ...]]:
        with store.session_scope() as session:
            found = session.execute(
                sa.select(
                    store.SQLEvent.type_name,
                    store.SQLEvent.timestamp,
                    store.SQLEvent.intent_name,
                    store.SQLEvent.action_name,
                    store.SQLEvent.data,
                )
                .where(store.SQLEvent.sender_id == sender)
                .order_by(store.SQLEvent.id)
            )
            return [tuple(row) for row in found]

    store = tracker_store_on(database, domain, tmp_path, request)
    try:
        rasa_save = getattr(SQLTrackerStore.save, "original", SQLTrackerStore.save)
        monkeypatch.setattr(SQLTrackerStore, "save", rasa_save)
        for tracker in turns("telegram:rasa"):
            await store.save(tracker)
        patches.tracker_events_written_in_one_insert()
        patches.tracker_events_written_in_one_insert()  # twice: patched once
        assert getattr(SQLTrackerStore.save, "one_insert", False)
        for tracker in turns("telegram:ours"):
            await store.save(tracker)
        ours, rasas = rows(store, "telegram:ours"), rows(store, "telegram:rasa")
        assert len(ours) == 5
        assert ours == rasas
        again = await store.retrieve("telegram:ours")
        assert again is not None and again.get_slot("privacy") == "rahasia/anonim é"
    finally:
        store.engine.dispose()
