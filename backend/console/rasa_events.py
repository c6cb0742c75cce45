"""What Rasa's stored events mean: field access and where sessions begin.

The JSON of each event is what `rasa.shared.core.events.Event.as_dict()` wrote in
Rasa 3.6. Every accessor tolerates missing or mistyped fields: the table is written
by another program, and old rows may predate a field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from backend.console.tracker import TrackerEvent

USER = "user"
BOT = "bot"
SLOT = "slot"
ACTION = "action"
ACTIVE_LOOP = "active_loop"
LEGACY_FORM = "form"
SESSION_STARTED = "session_started"
RESTARTED = "restart"

ACTION_SESSION_START = "action_session_start"
ACTION_LISTEN = "action_listen"
#: Slot Rasa sets just before `action_session_start` when the message had metadata.
SESSION_METADATA_SLOT = "session_started_metadata"
REQUESTED_SLOT = "requested_slot"

#: A user text that is an intent payload, as buttons send: `/intent` or `/intent{...}`.
_PAYLOAD = re.compile(r"^/[\w.-]+(\{.*\})?$", re.DOTALL)


@dataclass(frozen=True)
class Button:
    """A button the bot offered."""

    title: str
    payload: str


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a dict, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_text(value: Any) -> str | None:
    """`value` if it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def as_number(value: Any) -> float | None:
    """`value` as a float if it is a number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def text_of(event: TrackerEvent) -> str | None:
    """The text of a user or bot message."""
    return as_text(event.data.get("text"))


def name_of(event: TrackerEvent) -> str | None:
    """The `name` of an action, slot or active loop event."""
    return as_text(event.data.get("name"))


def intent_of(event: TrackerEvent) -> tuple[str | None, float | None]:
    """The intent name and confidence NLU gave a user message."""
    intent = as_dict(as_dict(event.data.get("parse_data")).get("intent"))
    return as_text(intent.get("name")), as_number(intent.get("confidence"))


def entities_of(event: TrackerEvent) -> list[dict[str, Any]]:
    """The entities NLU extracted from a user message."""
    entities = as_dict(event.data.get("parse_data")).get("entities")
    if not isinstance(entities, list):
        return []
    return [entity for entity in entities if isinstance(entity, dict)]


def metadata_of(event: TrackerEvent) -> dict[str, Any]:
    """The event's metadata (for user messages: what the gateway sent with it)."""
    metadata = as_dict(event.data.get("metadata"))
    if metadata or event.type_name != USER:
        return metadata
    return as_dict(as_dict(event.data.get("parse_data")).get("metadata"))


def utter_action_of(event: TrackerEvent) -> str | None:
    """The response a bot message came from (`utter_...`), if Rasa recorded it."""
    return as_text(metadata_of(event).get("utter_action"))


def buttons_of(event: TrackerEvent) -> list[Button]:
    """The buttons a bot message offered."""
    buttons = as_dict(event.data.get("data")).get("buttons")
    if not isinstance(buttons, list):
        return []
    found = []
    for button in buttons:
        item = as_dict(button)
        payload = as_text(item.get("payload"))
        if payload is not None:
            found.append(Button(title=as_text(item.get("title")) or payload, payload=payload))
    return found


def slot_value_of(event: TrackerEvent) -> Any:
    """The value a slot event set."""
    return event.data.get("value")


def is_payload(text: str | None) -> bool:
    """Whether a user text is an intent payload (`/intent{...}`), not typed words."""
    return text is not None and bool(_PAYLOAD.match(text.strip()))


def is_action(event: TrackerEvent, name: str) -> bool:
    """Whether `event` is the execution of action `name`."""
    return event.type_name == ACTION and name_of(event) == name


def is_slot(event: TrackerEvent, name: str) -> bool:
    """Whether `event` sets slot `name`."""
    return event.type_name == SLOT and name_of(event) == name


def is_loop_event(event: TrackerEvent) -> bool:
    """Whether `event` activates or deactivates a form (`form` is the pre-2.0 name)."""
    return event.type_name in (ACTIVE_LOOP, LEGACY_FORM)


def split_sessions(events: Iterable[TrackerEvent]) -> Iterator[list[TrackerEvent]]:
    """Cut one sender's events (in id order) into conversation sessions.

    A session begins with Rasa's session start: `slot session_started_metadata` (when
    the message had metadata), `action action_session_start`, bot messages of a
    custom session start action, then `session_started`. A `session_started` without
    that prelude also begins one. The first event always begins a session.
    """
    current: list[TrackerEvent] = []
    in_prelude = False
    for event in events:
        starts, in_prelude = _starts_session(event, current, in_prelude)
        if starts and current:
            yield current
            current = []
        current.append(event)
    if current:
        yield current


def _starts_session(
    event: TrackerEvent, current: list[TrackerEvent], in_prelude: bool
) -> tuple[bool, bool]:
    """Whether `event` begins a session, and whether a session-start prelude is open."""
    if is_slot(event, SESSION_METADATA_SLOT):
        return True, True
    if is_action(event, ACTION_SESSION_START):
        after_metadata = bool(current) and is_slot(current[-1], SESSION_METADATA_SLOT)
        return not after_metadata, True
    if event.type_name == SESSION_STARTED:
        return not in_prelude, False
    if event.type_name == USER:
        return False, False
    return False, in_prelude
