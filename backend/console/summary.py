"""What one conversation session amounts to: the figures the console lists and filters.

Pure functions over `TrackerEvent`s; the domain facts (form, intents, responses) are
those of this assistant's `domain.yml` and `actions/`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from backend.console import rasa_events as ev
from backend.console.tracker import TrackerEvent

COMPLAINT_FORM = "complaint_form"
STATUS_FORM = "status_form"
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTION = "action_default_fallback"
STATUS_INTENTS = frozenset({"check_status", "my_reports"})
STATUS_ACTIONS = frozenset({"action_check_status", "action_my_reports"})
SUBMITTED_RESPONSE = "utter_submitted"
QUEUED_RESPONSE = "utter_submission_queued"
DRAFT_ID_SLOT = "report_draft_id"
TRACKING_ID = re.compile(r"[A-Z]{2,6}-\d{4}-\d{6}")

#: A conversation idle for longer than this is over (abandoned, if its form was open).
IDLE_AFTER = dt.timedelta(minutes=30)

_CHANNEL_LENGTH = 20
_NAME_LENGTH = 200
_SLOT_LENGTH = 100
_INTENT_LENGTH = 255


class Outcome(str, Enum):
    """How a conversation ended (or that it has not yet)."""

    REPORT_FILED = "report_filed"
    ABANDONED = "abandoned"
    STATUS_CHECK = "status_check"
    FALLBACK = "fallback"
    IN_PROGRESS = "in_progress"
    OTHER = "other"


@dataclass(frozen=True)
class ConversationSummary:
    """The indexed figures of one session (see `backend.models.Conversation`)."""

    id: int
    sender_id: str
    last_event_id: int
    event_count: int
    channel: str
    display_name: str | None
    started_at: dt.datetime
    last_activity_at: dt.datetime
    user_messages: int
    fallbacks: int
    ended_on_fallback: bool
    form_started: bool
    last_requested_slot: str | None
    status_checked: bool
    submission_queued: bool
    queued_key: str | None
    tracking_ids: tuple[str, ...]
    intents: tuple[str, ...]
    search_text: str


def outcome(
    *,
    filed: bool,
    form_started: bool,
    status_checked: bool,
    ended_on_fallback: bool,
    last_activity_at: dt.datetime,
    now: dt.datetime,
    idle_after: dt.timedelta = IDLE_AFTER,
) -> Outcome:
    """How a conversation ended, by precedence.

    Filed (a tracking ID was given, or the report was queued) wins; a started form
    without a report is abandoned once idle, else in progress; then a status check;
    then any conversation still active is in progress; then one whose last message
    the bot did not understand ended on a fallback; anything else is `other`.
    """
    idle = now - last_activity_at > idle_after
    if filed:
        return Outcome.REPORT_FILED
    if form_started:
        return Outcome.ABANDONED if idle else Outcome.IN_PROGRESS
    if status_checked:
        return Outcome.STATUS_CHECK
    if not idle:
        return Outcome.IN_PROGRESS
    if ended_on_fallback:
        return Outcome.FALLBACK
    return Outcome.OTHER


def channel_of(sender_id: str, metadata_channel: str | None, input_channel: str | None) -> str:
    """The channel: the gateway's metadata, else Rasa's input channel, else the id prefix."""
    prefix = sender_id.partition(":")[0] if ":" in sender_id else None
    channel = metadata_channel or input_channel or prefix or "unknown"
    return channel.lower()[:_CHANNEL_LENGTH]


def queued_report_key(sender_id: str, draft_id: str) -> str:
    """The `Idempotency-Key` the action server files a queued draft with.

    Same as `actions.submission.idempotency_key`, so a report sent later from the
    queue can be linked back to its conversation.
    """
    return hashlib.sha256(f"{sender_id}|{draft_id}".encode()).hexdigest()


def summarise(events: Sequence[TrackerEvent]) -> ConversationSummary:
    """The summary of one session's events (in id order, at least one)."""
    if not events:
        raise ValueError("a conversation has at least one event")
    tally = _Tally(events[0].sender_id)
    for event in events:
        tally.add(event)
    return tally.summary(events)


@dataclass
class _Tally:
    """Walks a session's events once, keeping what the summary needs."""

    sender_id: str
    metadata_channel: str | None = None
    input_channel: str | None = None
    display_name: str | None = None
    user_messages: int = 0
    fallbacks: int = 0
    turn_fell_back: bool = False
    form_started: bool = False
    active_loop: str | None = None
    last_requested_slot: str | None = None
    status_checked: bool = False
    submission_queued: bool = False
    queued_key: str | None = None
    draft_id: str | None = None
    tracking_ids: list[str] = field(default_factory=list)
    intents: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)

    def add(self, event: TrackerEvent) -> None:
        """Take one event into account."""
        handler = _HANDLERS.get(event.type_name)
        if handler is not None:
            handler(self, event)

    def on_user(self, event: TrackerEvent) -> None:
        """A citizen's message: counts, intent, channel, name, fallback turn."""
        self.user_messages += 1
        intent, _ = ev.intent_of(event)
        if intent:
            self.intents.add(intent[:_INTENT_LENGTH])
        self.status_checked |= intent in STATUS_INTENTS
        self.turn_fell_back = intent == FALLBACK_INTENT
        self.fallbacks += int(self.turn_fell_back)
        self.input_channel = self.input_channel or ev.as_text(event.data.get("input_channel"))
        metadata = ev.metadata_of(event)
        self.note_metadata(metadata)
        self.note_text(ev.as_text(metadata.get("button_title")) or ev.text_of(event))

    def on_bot(self, event: TrackerEvent) -> None:
        """A bot message: searchable text, filed tracking IDs, queued submissions."""
        text = ev.text_of(event)
        self.note_text(text)
        response = ev.utter_action_of(event)
        if response == SUBMITTED_RESPONSE and text:
            self.tracking_ids.extend(
                found for found in TRACKING_ID.findall(text) if found not in self.tracking_ids
            )
        elif response == QUEUED_RESPONSE:
            self.submission_queued = True
            if self.draft_id:
                self.queued_key = queued_report_key(self.sender_id, self.draft_id)

    def on_action(self, event: TrackerEvent) -> None:
        """An action ran: status checks and fallbacks."""
        name = ev.name_of(event)
        self.status_checked |= name in STATUS_ACTIONS
        if name == FALLBACK_ACTION and not self.turn_fell_back:
            self.turn_fell_back = True
            self.fallbacks += 1

    def on_slot(self, event: TrackerEvent) -> None:
        """A slot was set: the form's current question, the draft id, session metadata."""
        name = ev.name_of(event)
        value = ev.slot_value_of(event)
        if name == ev.REQUESTED_SLOT:
            asked = ev.as_text(value)
            if asked and self.active_loop == COMPLAINT_FORM:
                self.last_requested_slot = asked[:_SLOT_LENGTH]
        elif name == DRAFT_ID_SLOT:
            self.draft_id = ev.as_text(value)
        elif name == ev.SESSION_METADATA_SLOT:
            self.note_metadata(ev.as_dict(value))

    def on_loop(self, event: TrackerEvent) -> None:
        """A form was activated or deactivated."""
        self.active_loop = ev.name_of(event)
        self.form_started |= self.active_loop == COMPLAINT_FORM
        self.status_checked |= self.active_loop == STATUS_FORM

    def on_restart(self, event: TrackerEvent) -> None:
        """`/restart` forgets the slots and the active form."""
        self.active_loop = None
        self.draft_id = None

    def note_metadata(self, metadata: dict[str, Any]) -> None:
        """Remember the channel (first seen) and the display name (latest seen)."""
        self.metadata_channel = self.metadata_channel or ev.as_text(metadata.get("channel"))
        name = ev.as_text(metadata.get("display_name"))
        if name:
            self.display_name = name[:_NAME_LENGTH]

    def note_text(self, text: str | None) -> None:
        """Keep a message's text for full-text search."""
        if text:
            self.texts.append(text.lower())

    def summary(self, events: Sequence[TrackerEvent]) -> ConversationSummary:
        """The summary of the events taken into account."""
        first, last = events[0], events[-1]
        return ConversationSummary(
            id=first.id,
            sender_id=self.sender_id,
            last_event_id=last.id,
            event_count=len(events),
            channel=channel_of(self.sender_id, self.metadata_channel, self.input_channel),
            display_name=self.display_name,
            started_at=first.at,
            last_activity_at=max(event.at for event in events),
            user_messages=self.user_messages,
            fallbacks=self.fallbacks,
            ended_on_fallback=self.turn_fell_back,
            form_started=self.form_started,
            last_requested_slot=self.last_requested_slot,
            status_checked=self.status_checked,
            submission_queued=self.submission_queued,
            queued_key=self.queued_key,
            tracking_ids=tuple(self.tracking_ids),
            intents=tuple(sorted(self.intents)),
            search_text="\n".join(self.texts),
        )


_HANDLERS = {
    ev.USER: _Tally.on_user,
    ev.BOT: _Tally.on_bot,
    ev.ACTION: _Tally.on_action,
    ev.SLOT: _Tally.on_slot,
    ev.ACTIVE_LOOP: _Tally.on_loop,
    ev.LEGACY_FORM: _Tally.on_loop,
    ev.RESTARTED: _Tally.on_restart,
}
