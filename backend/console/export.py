"""Exporting transcripts as JSON Lines or CSV, streamed one conversation at a time.

Free text (messages, every string inside slot values, e.g. the name in the session's
metadata) passes through `redact`, the sender id through `redact_sender` (default:
`redact`): the pages give officers maskers and administrators the identity function.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from backend.console.conversations import ConversationItem
from backend.console.transcript import TranscriptEntry, transcript

Redact = Callable[[str], str]


@dataclass(frozen=True)
class PersonMessage:
    """A message of a takeover (a person answering instead of the bot), for the export."""

    at: dt.datetime
    author: str
    officer: str | None
    text: str


#: Takeover messages by sender id (loaded before streaming: the session may be gone).
PersonMessages = Mapping[str, Sequence[PersonMessage]]
#: `kind` of the export rows of takeover messages.
KIND_PERSON, KIND_USER_TO_PERSON = "person", "user_to_person"

COLUMNS = (
    "conversation_id",
    "sender",
    "channel",
    "time",
    "kind",
    "text",
    "intent",
    "confidence",
    "name",
    "slot",
    "value",
)

#: Spreadsheets run a cell starting with these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_rows(
    conversations: Iterable[ConversationItem],
    tracker_engine: Engine,
    *,
    redact: Redact,
    redact_sender: Redact | None = None,
    person_messages: PersonMessages | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Per conversation, one row (dict keyed by `COLUMNS`) per transcript entry.

    Takeover messages (`person_messages`) of the sender since the conversation started
    are merged in time order, with kind `person` (the officer) or `user_to_person`.
    """
    for conversation in conversations:
        sender = (redact_sender or redact)(conversation.sender_id)
        rows = [
            _row(conversation, sender, entry, redact)
            for entry in transcript(tracker_engine, conversation)
        ]
        extra = (person_messages or {}).get(conversation.sender_id, ())
        if extra:
            rows += [
                _person_row(conversation, sender, m, redact)
                for m in extra
                if m.at >= conversation.started_at
            ]
            rows.sort(key=lambda row: str(row["time"]))
        yield rows


def export_jsonl(
    conversations: Iterable[ConversationItem],
    tracker_engine: Engine,
    *,
    redact: Redact,
    redact_sender: Redact | None = None,
    person_messages: PersonMessages | None = None,
) -> Iterator[str]:
    """JSON Lines text, one chunk per conversation."""
    rows_by_conversation = export_rows(
        conversations,
        tracker_engine,
        redact=redact,
        redact_sender=redact_sender,
        person_messages=person_messages,
    )
    for rows in rows_by_conversation:
        if rows:
            yield "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def export_csv(
    conversations: Iterable[ConversationItem],
    tracker_engine: Engine,
    *,
    redact: Redact,
    redact_sender: Redact | None = None,
    person_messages: PersonMessages | None = None,
) -> Iterator[str]:
    """CSV text with a header line, then one chunk per conversation.

    Cells that a spreadsheet would run as a formula get a leading apostrophe.
    """
    yield _csv_lines([list(COLUMNS)])
    rows_by_conversation = export_rows(
        conversations,
        tracker_engine,
        redact=redact,
        redact_sender=redact_sender,
        person_messages=person_messages,
    )
    for rows in rows_by_conversation:
        if rows:
            yield _csv_lines([[_csv_cell(row[column]) for column in COLUMNS] for row in rows])


def _row(
    conversation: ConversationItem, sender: str, entry: TranscriptEntry, redact: Redact
) -> dict[str, Any]:
    return {
        "conversation_id": conversation.id,
        "sender": sender,
        "channel": conversation.channel,
        "time": entry.at.isoformat(),
        "kind": entry.kind.value,
        "text": redact(entry.text) if entry.text is not None else None,
        "intent": entry.intent,
        "confidence": entry.confidence,
        "name": entry.name or entry.response,
        "slot": entry.slot,
        "value": _value_text(entry.value, redact),
    }


def _person_row(
    conversation: ConversationItem, sender: str, message: PersonMessage, redact: Redact
) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(
        conversation_id=conversation.id,
        sender=sender,
        channel=conversation.channel,
        time=message.at.isoformat(),
        kind=KIND_PERSON if message.author == "officer" else KIND_USER_TO_PERSON,
        text=redact(message.text),
        name=message.officer,
    )
    return row


def _value_text(value: Any, redact: Redact) -> str | None:
    """A slot value as text: a string redacted, a structure as JSON with its strings redacted."""
    if value is None:
        return None
    if isinstance(value, str):
        return redact(value)
    return json.dumps(_redact_strings(value, redact), ensure_ascii=False, sort_keys=True)


def _redact_strings(value: Any, redact: Redact) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_strings(item, redact) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_strings(item, redact) for item in value]
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_lines(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()
