"""A conversation's events as a readable, typed transcript."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from backend.console import rasa_events as ev
from backend.console.rasa_events import Button
from backend.console.tracker import TrackerEvent, has_events_table, read_sender

#: The most events one transcript reads.
MAX_EVENTS = 10_000

#: Rasa's bookkeeping events, not shown.
_HIDDEN = frozenset({"user_featurization", "loop_interrupted", "form_validation", "entities"})


class EntryKind(str, Enum):
    """What a transcript entry shows."""

    SESSION_START = "session_start"
    USER = "user"
    BUTTON = "button"
    BOT = "bot"
    SLOT = "slot"
    ACTION = "action"
    FORM_START = "form_start"
    FORM_STOP = "form_stop"
    EVENT = "event"


@dataclass(frozen=True)
class Entity:
    """An entity NLU found in a citizen's message."""

    entity: str
    value: str


@dataclass(frozen=True)
class Location:
    """A pin the citizen shared (gateway metadata `location`)."""

    latitude: float | None
    longitude: float | None
    title: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class TranscriptEntry:
    """One step of a conversation; which fields are set depends on `kind`.

    - USER: `text`, `intent`, `confidence`, `entities`, `attachments`,
      `attachment_kind`, `location`.
    - BUTTON (a tapped button's `/intent{...}` payload): `text` = the button title
      when known (else the payload), `payload`, `intent`, `confidence`.
    - BOT: `text`, `buttons`, `response` (the `utter_...` name), `image`.
    - SLOT: `slot`, `value` (any JSON value).
    - ACTION: `name`, `policy`, `confidence`.
    - FORM_START / FORM_STOP: `name` (the form).
    - SESSION_START: nothing more.
    - EVENT (restart, rewind, rejected action, reminder...): `name` = the event type,
      `text` = the name it carries, if any.
    """

    kind: EntryKind
    event_id: int
    at: dt.datetime
    text: str | None = None
    intent: str | None = None
    confidence: float | None = None
    entities: tuple[Entity, ...] = ()
    attachments: tuple[str, ...] = ()
    attachment_kind: str | None = None
    location: Location | None = None
    buttons: tuple[Button, ...] = ()
    response: str | None = None
    image: str | None = None
    payload: str | None = None
    slot: str | None = None
    value: Any = None
    name: str | None = None
    policy: str | None = None


class ConversationRef(Protocol):
    """Anything naming a conversation: its first event id and sender (`ConversationItem`)."""

    @property
    def id(self) -> int:
        """The id of the conversation's first event."""

    @property
    def sender_id(self) -> str:
        """The Rasa sender (conversation) id."""


def transcript(
    tracker_engine: Engine, conversation: ConversationRef, *, limit: int = MAX_EVENTS
) -> list[TranscriptEntry]:
    """The conversation's entries in order, read live from Rasa's table.

    Reads from the conversation's first event up to the next session of the same
    sender (at most `limit` events); empty if Rasa's table or the event is gone.
    """
    if not has_events_table(tracker_engine):
        return []
    events = read_sender(tracker_engine, conversation.sender_id, conversation.id, limit=limit)
    if not events or events[0].id != conversation.id:
        return []
    first_session = next(ev.split_sessions(events))
    return entries(first_session)


def entries(events: Iterable[TrackerEvent]) -> list[TranscriptEntry]:
    """Transcript entries of events (in id order)."""
    reader = _Reader()
    found = (reader.entry(event) for event in events)
    return [entry for entry in found if entry is not None]


class _Reader:
    """Turns events into entries, remembering offered buttons and the active form."""

    def __init__(self) -> None:
        self.button_titles: dict[str, str] = {}
        self.active_loop: str | None = None

    def entry(self, event: TrackerEvent) -> TranscriptEntry | None:
        """The entry for `event`, or None for bookkeeping events."""
        kind = event.type_name
        if kind == ev.USER:
            return self.user(event)
        if kind == ev.BOT:
            return self.bot(event)
        if kind == ev.SLOT:
            return _slot(event)
        if kind == ev.ACTION:
            return _action(event)
        if ev.is_loop_event(event):
            return self.loop(event)
        if kind == ev.SESSION_STARTED:
            return TranscriptEntry(EntryKind.SESSION_START, event.id, event.at)
        if kind in _HIDDEN:
            return None
        return TranscriptEntry(
            EntryKind.EVENT, event.id, event.at, text=ev.name_of(event), name=kind
        )

    def user(self, event: TrackerEvent) -> TranscriptEntry:
        """A citizen's message, or a button they tapped."""
        text = ev.text_of(event)
        intent, confidence = ev.intent_of(event)
        metadata = ev.metadata_of(event)
        attachments = _strings(metadata.get("attachments"))
        location = _location(metadata.get("location"))
        if ev.is_payload(text) and not attachments and location is None:
            title = ev.as_text(metadata.get("button_title")) or self.button_titles.get(text or "")
            return TranscriptEntry(
                EntryKind.BUTTON,
                event.id,
                event.at,
                text=title or text,
                payload=text,
                intent=intent,
                confidence=confidence,
            )
        return TranscriptEntry(
            EntryKind.USER,
            event.id,
            event.at,
            text=text,
            intent=intent,
            confidence=confidence,
            entities=_entities(ev.entities_of(event)),
            attachments=attachments,
            attachment_kind=ev.as_text(metadata.get("attachment_kind")),
            location=location,
        )

    def bot(self, event: TrackerEvent) -> TranscriptEntry:
        """A bot message; its buttons are remembered to name a later tap."""
        buttons = tuple(ev.buttons_of(event))
        self.button_titles.update({button.payload: button.title for button in buttons})
        data = ev.as_dict(event.data.get("data"))
        return TranscriptEntry(
            EntryKind.BOT,
            event.id,
            event.at,
            text=ev.text_of(event),
            buttons=buttons,
            response=ev.utter_action_of(event),
            image=ev.as_text(data.get("image")) or ev.as_text(data.get("attachment")),
        )

    def loop(self, event: TrackerEvent) -> TranscriptEntry:
        """A form started (`name` set) or stopped (`name` None)."""
        name = ev.name_of(event)
        stopped, self.active_loop = self.active_loop, name
        if name is None:
            return TranscriptEntry(EntryKind.FORM_STOP, event.id, event.at, name=stopped)
        return TranscriptEntry(EntryKind.FORM_START, event.id, event.at, name=name)


def _slot(event: TrackerEvent) -> TranscriptEntry:
    return TranscriptEntry(
        EntryKind.SLOT,
        event.id,
        event.at,
        slot=ev.name_of(event),
        value=ev.slot_value_of(event),
    )


def _action(event: TrackerEvent) -> TranscriptEntry:
    return TranscriptEntry(
        EntryKind.ACTION,
        event.id,
        event.at,
        name=ev.name_of(event) or ev.as_text(event.data.get("action_text")),
        policy=ev.as_text(event.data.get("policy")),
        confidence=ev.as_number(event.data.get("confidence")),
    )


def _entities(raw: list[dict[str, Any]]) -> tuple[Entity, ...]:
    found = []
    for entity in raw:
        name = ev.as_text(entity.get("entity"))
        if name is not None:
            found.append(Entity(entity=name, value=value_text(entity.get("value")) or ""))
    return tuple(found)


def _location(raw: Any) -> Location | None:
    pin = ev.as_dict(raw)
    latitude, longitude = ev.as_number(pin.get("latitude")), ev.as_number(pin.get("longitude"))
    if latitude is None and longitude is None:
        return None
    return Location(
        latitude=latitude,
        longitude=longitude,
        title=ev.as_text(pin.get("title")),
        address=ev.as_text(pin.get("address")),
    )


def _strings(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(item for item in raw if isinstance(item, str) and item)


def value_text(value: Any) -> str | None:
    """A slot or entity value as text: strings as they are, anything else as JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
