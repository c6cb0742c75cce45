"""Fixes for known costs in Rasa 3.6, applied in the Rasa server process at start.

Each fix keeps Rasa's behaviour and is applied only to the Rasa line it was written for.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import aiohttp
import rasa
import ujson
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core import tracker_store
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import QueuePool

logger = logging.getLogger(__name__)

#: The Rasa line these fixes were written for (and tested against).
RASA_LINE = "3.6."
#: Connections the SQLite tracker store keeps (Rasa uses them on its one event loop).
SQLITE_POOL_SIZE = 2


def action_result_validator() -> Callable[[dict[str, Any]], None]:
    """A function that validates an action server's response against Rasa's schema.

    `RemoteAction._validate_action_result` calls `jsonschema.validate` for every
    custom action, which checks the schema itself against the JSON Schema meta-schema
    each time: about a fifth of the Rasa server's CPU in our load test. The schema never
    changes, so it is checked once here and one validator is reused.
    """
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def validate(result: dict[str, Any]) -> None:
        error = best_match(validator.iter_errors(result))
        if error is not None:
            raise error

    return validate


def reuse_action_result_validator() -> None:
    """Make `RemoteAction` validate responses with one prepared validator."""
    validate = action_result_validator()

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validate(result)
        except ValidationError as error:  # the same message as Rasa's own
            error.message += (
                ". Failed to validate Action server response from API, "
                "make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise
        return True

    RemoteAction._validate_action_result = _validate_action_result


def cache_event_type_lookup() -> None:
    """Look event classes up by type name in a table instead of walking the class tree.

    `Event.resolve_by_type` walks every subclass of `Event` for each event read back
    from the tracker store (every event of the session, every turn). The table keeps
    the same answer (the first class in that walk with the name) and is rebuilt when a
    name is missing, so event classes imported later are still found.
    """
    original = Event.resolve_by_type
    table: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        found = table.get(type_name)
        if found is None:
            table.clear()
            for cls in all_subclasses(Event):
                table.setdefault(cls.type_name, cls)
            found = table.get(type_name)
        if found is not None:
            return found
        answer: type[Event] | None = original(type_name, default)  # old names, default, error
        return answer

    Event.resolve_by_type = staticmethod(resolve_by_type)


def sqlite_tracker_store_in_wal_mode() -> None:
    """Open SQLite databases (the embedded tracker store) in write-ahead-log mode.

    Rasa's SQL tracker store runs its queries on the event loop, so every commit
    blocks every conversation; in the default rollback-journal mode each commit
    waits for the disk twice. With WAL and `synchronous=NORMAL` a commit only
    appends to the log (a crash loses at most the last turns, never the database),
    and the console reads the conversation log without blocking Rasa's writes.
    PostgreSQL, the production store, is untouched.
    """
    if not event.contains(Engine, "connect", _connect_listener):
        event.listen(Engine, "connect", _connect_listener)


def _connect_listener(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def pooled_sqlite_tracker_store() -> None:
    """Keep the SQLite tracker store's connections open between turns.

    SQLAlchemy 1.4 opens a file database with `NullPool`: every tracker fetch and save
    (three per turn) connected anew, set the pragmas, and closing the last connection
    checkpointed the WAL into the database file, on Rasa's event loop. In our load test
    that was a tenth of the server's CPU. A small `QueuePool` keeps the connections; the
    WAL is still checkpointed automatically as it grows. Other databases are untouched
    (PostgreSQL already gets Rasa's pool settings).
    """
    original = tracker_store.create_engine_kwargs
    if getattr(original, "pooled_sqlite", False):
        return

    def create_engine_kwargs(url: str | URL) -> dict[str, Any]:
        kwargs: dict[str, Any] = original(url)
        name = url if isinstance(url, str) else url.render_as_string(hide_password=False)
        database = make_url(name).database
        if make_url(name).get_backend_name() == "sqlite" and database not in (None, "", ":memory:"):
            kwargs.update(poolclass=QueuePool, pool_size=SQLITE_POOL_SIZE, max_overflow=8)
            kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "check_same_thread": False}
        return kwargs

    create_engine_kwargs.pooled_sqlite = True  # type: ignore[attr-defined]
    tracker_store.create_engine_kwargs = create_engine_kwargs


def fast_json_to_action_server() -> None:
    """Encode the requests to the action server with ujson (a Rasa dependency).

    Every custom action call sends the whole tracker; `json.dumps` of it was a tenth
    of the Rasa server's CPU in our load test. ujson writes the same JSON values
    several times faster. Only the encoder changes: same session options as Rasa's.
    """
    if getattr(EndpointConfig.session, "fast_json", False):
        return

    def session(self: EndpointConfig) -> aiohttp.ClientSession:
        auth = None
        if self.basic_auth:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        return aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            json_serialize=_ujson_dumps,
        )

    session.fast_json = True  # type: ignore[attr-defined]
    EndpointConfig.session = session


def _ujson_dumps(value: Any) -> str:
    # escape_forward_slashes=False: the text json.dumps writes ("a/b", not "a\/b").
    text: str = ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False)
    return text


def tracker_events_read_as_text() -> None:
    """Rebuild a tracker from the events' JSON column only, not from ORM objects.

    `SQLTrackerStore._retrieve` (every turn, on the event loop) loads each stored event
    of the session as an ORM instance, all six columns, only to read its `data` (the read
    was about a sixth of the Rasa server's busy CPU in our load test; this cuts it by about
    a tenth, 5.2 -> 4.7 ms for a conversation of 8 turns). The same query (same filters,
    same order) selecting the one column gives the same events.
    """
    if getattr(SQLTrackerStore._retrieve, "text_only", False):
        return

    async def _retrieve(
        self: SQLTrackerStore, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            query = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).with_entities(self.SQLEvent.data)
            events = [json.loads(data) for (data,) in query]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    _retrieve.text_only = True  # type: ignore[attr-defined]
    _retrieve.original = SQLTrackerStore._retrieve  # type: ignore[attr-defined]
    SQLTrackerStore._retrieve = _retrieve


def tracker_events_written_in_one_insert() -> None:
    """Store a turn's new events with one multi-row INSERT instead of ORM objects.

    `SQLTrackerStore.save` (every turn, on the event loop) made an ORM object of each
    new event and flushed them one by one through the unit of work. The same rows (same
    columns, values and order, so the same ids' order) go in as one Core insert, in the
    same transaction after the same count of stored events.
    """
    if getattr(SQLTrackerStore.save, "one_insert", False):
        return

    async def save(self: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = []
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {})
                        .get("intent", {})
                        .get(INTENT_NAME_KEY),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                )
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()

    save.one_insert = True  # type: ignore[attr-defined]
    save.original = SQLTrackerStore.save  # type: ignore[attr-defined]
    SQLTrackerStore.save = save


def apply() -> bool:
    """Apply every fix; returns False (and changes nothing) on another Rasa line."""
    if not rasa.__version__.startswith(RASA_LINE):
        logger.warning("Rasa %s: fixes for %sx not applied", rasa.__version__, RASA_LINE)
        return False
    reuse_action_result_validator()
    cache_event_type_lookup()
    sqlite_tracker_store_in_wal_mode()
    pooled_sqlite_tracker_store()
    fast_json_to_action_server()
    tracker_events_read_as_text()
    tracker_events_written_in_one_insert()
    return True
