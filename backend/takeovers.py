"""A person takes a chat over from the bot, writes to the citizen and hands it back.

The conversation id is Rasa's sender id (`telegram:123`). While a takeover is active
the gateway sends the citizen's messages here (`add_inbound`) instead of to Rasa, and
the notifier delivers the officer's messages from the outbox events
`conversation.takeover`, `conversation.message` and `conversation.released`. An idle
takeover (no message either way for `TAKEOVER_IDLE_MINUTES`) is released by the job
`release_idle` with the reason `idle`.

Each function commits what it writes in one transaction with its outbox event.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.auth import Principal, Role
from backend.db import utcnow
from backend.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from backend.models import (
    Attachment,
    Conversation,
    ConversationReport,
    OutboxEvent,
    Report,
    Reporter,
    Takeover,
    TakeoverMessage,
)
from backend.notifications import STATE_ORDER
from backend.threads import MAX_ATTACHMENTS, clean_text

EVENT_TAKEOVER: Final = "conversation.takeover"
EVENT_MESSAGE: Final = "conversation.message"
EVENT_RELEASED: Final = "conversation.released"
OFFICER, CITIZEN = "officer", "citizen"
REASON_OFFICER, REASON_IDLE = "officer", "idle"
#: A conversation id: `channel:chat`, as the gateway gives it to Rasa.
MAX_CONVERSATION_ID = 255


@dataclass(frozen=True)
class TakeoverSettings:
    """The deployment's takeover rules."""

    idle_minutes: int = 30
    show_agent_name: bool = False


def linked_reports(session: Session, conversation_id: str) -> list[Report]:
    """Reports filed in any session of this sender (ConversationReport), newest first."""
    tracking_ids = select(ConversationReport.tracking_id).join(
        Conversation, Conversation.id == ConversationReport.conversation_id
    )
    query = (
        select(Report)
        .where(
            Report.tracking_id.in_(tracking_ids.where(Conversation.sender_id == conversation_id))
        )
        .order_by(Report.created_at.desc(), Report.id.desc())
    )
    return list(session.execute(query).unique().scalars().all())


def may_take_over(session: Session, conversation_id: str, who: Principal) -> bool:
    """Admins; officers whose agency has a report linked to this conversation."""
    if who.role is Role.ADMIN:
        return True
    if who.role is not Role.OFFICER or not who.agency:
        return False
    return any(r.agency == who.agency for r in linked_reports(session, conversation_id))


def active_takeover(session: Session, conversation_id: str) -> Takeover | None:
    """The conversation's active takeover, if any."""
    result: Takeover | None = session.execute(
        select(Takeover).where(Takeover.active_key == conversation_id)
    ).scalar_one_or_none()
    return result


def active_takeovers(session: Session) -> list[Takeover]:
    """Every active takeover, oldest first (the gateway reads them at start)."""
    return list(
        session.execute(
            select(Takeover).where(Takeover.active_key.is_not(None)).order_by(Takeover.id)
        )
        .scalars()
        .all()
    )


def _context(session: Session, conversation_id: str, who: Principal | None) -> tuple[str, str]:
    """The tracking ID of the linked report (the officer's agency first) and the language."""
    reports = linked_reports(session, conversation_id)
    if who is not None and who.role is Role.OFFICER:
        reports = sorted(reports, key=lambda r: r.agency != who.agency)
    tracking_id = reports[0].tracking_id if reports else ""
    language = reports[0].reporter.language if reports and reports[0].reporter else None
    if language is None:
        language = session.execute(
            select(Reporter.language)
            .where(Reporter.chat_id == conversation_id, Reporter.language.is_not(None))
            .order_by(Reporter.id.desc())
            .limit(1)
        ).scalar_one_or_none()
    return tracking_id, language or "id"


def _event(
    session: Session,
    event_type: str,
    takeover: Takeover,
    now: dt.datetime,
    **fields: Any,
) -> OutboxEvent:
    """Add an outbox event about `takeover` (same feed as the report events)."""
    event_id = uuid.uuid4().hex
    _tracking_id, language = _context(session, takeover.conversation_id, None)
    payload = {
        "event_id": event_id,
        "type": event_type,
        "chat_id": takeover.conversation_id,
        "tracking_id": takeover.tracking_id,
        "status": "",
        "language": language,
        **fields,
        "at": now.isoformat(),
    }
    event = OutboxEvent(
        id=event_id,
        event_type=event_type,
        tracking_id=takeover.tracking_id,
        payload=payload,
        created_at=now,
        attempts=0,
    )
    session.add(event)
    return event


def check_conversation_id(conversation_id: str) -> None:
    """InvalidInputError unless `conversation_id` looks like `channel:chat`."""
    channel, sep, chat = conversation_id.partition(":")
    if not sep or not channel or not chat or len(conversation_id) > MAX_CONVERSATION_ID:
        raise InvalidInputError(
            "The conversation id is the chat's sender id, like 'telegram:123'.",
            [{"field": "conversation_id", "message": "expected channel:chat"}],
        )


def take_over(
    session: Session,
    conversation_id: str,
    who: Principal,
    settings: TakeoverSettings,
    now: dt.datetime | None = None,
) -> Takeover:
    """Start (or, for the same holder, keep) a takeover of the conversation.

    Raises:
        ForbiddenError: `who` may not take this conversation over.
        ConflictError: someone else holds it (the message names them).
    """
    now = now or utcnow()
    check_conversation_id(conversation_id)
    if not may_take_over(session, conversation_id, who):
        raise ForbiddenError(
            "Only an administrator, or an officer of an agency with a report from this "
            "conversation, may take it over."
        )
    current = active_takeover(session, conversation_id)
    if current is not None:
        return _held(current, who)
    tracking_id, _language = _context(session, conversation_id, who)
    takeover = Takeover(
        conversation_id=conversation_id,
        active_key=conversation_id,
        holder=who.name,
        holder_role=who.role.value,
        tracking_id=tracking_id,
        started_at=now,
        last_activity_at=now,
    )
    session.add(takeover)
    try:
        session.flush()
    except IntegrityError:  # another officer took it over at the same moment
        session.rollback()
        current = active_takeover(session, conversation_id)
        if current is None:
            raise
        return _held(current, who)
    _event(
        session,
        EVENT_TAKEOVER,
        takeover,
        now,
        agent_name=who.name if settings.show_agent_name else None,
    )
    session.commit()
    return takeover


def _held(current: Takeover, who: Principal) -> Takeover:
    if current.holder == who.name:
        return current
    raise ConflictError(
        f"{current.holder} is already answering this chat (since "
        f"{current.started_at:%H:%M} UTC); ask them to hand it back first."
    )


def _held_by(session: Session, conversation_id: str, who: Principal) -> Takeover:
    """The active takeover held by `who`, locked for this transaction."""
    check_conversation_id(conversation_id)
    query = select(Takeover).where(Takeover.active_key == conversation_id).with_for_update()
    takeover: Takeover | None = session.execute(query).scalar_one_or_none()
    if takeover is None:
        raise ConflictError("Nobody has taken this chat over: the bot is answering it.")
    if takeover.holder != who.name:
        raise ConflictError(f"{takeover.holder} is answering this chat, not you.")
    return takeover


def send_message(
    session: Session,
    conversation_id: str,
    text: str,
    who: Principal,
    now: dt.datetime | None = None,
) -> TakeoverMessage:
    """The holder writes to the citizen: stored `queued`, delivered by the notifier."""
    now = now or utcnow()
    cleaned = clean_text(text)
    takeover = _held_by(session, conversation_id, who)
    event = _event(session, EVENT_MESSAGE, takeover, now, text=cleaned)
    message = TakeoverMessage(
        takeover_id=takeover.id,
        conversation_id=conversation_id,
        author=OFFICER,
        officer=who.name,
        text=cleaned,
        attachments=[],
        event_id=event.id,
        state="queued",
        channel=conversation_id.partition(":")[0],
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    session.flush()
    event.payload = {**event.payload, "message_id": message.id}
    takeover.last_activity_at = now
    session.commit()
    return message


def release(
    session: Session, conversation_id: str, who: Principal, now: dt.datetime | None = None
) -> Takeover:
    """The holder (or an admin) hands the chat back to the bot."""
    now = now or utcnow()
    check_conversation_id(conversation_id)
    takeover = active_takeover(session, conversation_id)
    if takeover is None:
        raise ConflictError("Nobody has taken this chat over: the bot is answering it.")
    if takeover.holder != who.name and who.role is not Role.ADMIN:
        raise ConflictError(
            f"{takeover.holder} is answering this chat; only they can hand it back."
        )
    _finish(session, takeover, REASON_OFFICER, now)
    session.commit()
    return takeover


def _finish(session: Session, takeover: Takeover, reason: str, now: dt.datetime) -> None:
    takeover.active_key = None
    takeover.released_at = now
    takeover.release_reason = reason
    _event(session, EVENT_RELEASED, takeover, now, reason=reason)


def add_inbound(
    session: Session,
    conversation_id: str,
    text: str,
    attachment_ids: Sequence[str],
    now: dt.datetime | None = None,
) -> TakeoverMessage:
    """A citizen's message during a takeover (from the gateway).

    Raises:
        ConflictError: no active takeover (the gateway then gives it to Rasa).
        InvalidInputError: empty message, unknown attachments.
    """
    now = now or utcnow()
    check_conversation_id(conversation_id)
    query = select(Takeover).where(Takeover.active_key == conversation_id).with_for_update()
    takeover: Takeover | None = session.execute(query).scalar_one_or_none()
    if takeover is None:
        raise ConflictError("No takeover is active for this chat: send the message to the bot.")
    ids = list(attachment_ids)
    if len(ids) > MAX_ATTACHMENTS or len(set(ids)) != len(ids):
        raise InvalidInputError(
            f"List each attachment once, at most {MAX_ATTACHMENTS}.",
            [{"field": "attachments", "message": "duplicate or too many"}],
        )
    if ids:
        found = set(session.execute(select(Attachment.id).where(Attachment.id.in_(ids))).scalars())
        missing = [i for i in ids if i not in found]
        if missing:
            problems = [
                {"field": "attachments", "message": f"attachment {m} was not uploaded"}
                for m in missing
            ]
            raise InvalidInputError(f"Attachment {missing[0]} was not uploaded.", problems)
    cleaned = text.strip()
    if not cleaned and not ids:
        raise InvalidInputError(
            "Send a text or at least one attachment.", [{"field": "text", "message": "empty"}]
        )
    message = TakeoverMessage(
        takeover_id=takeover.id,
        conversation_id=conversation_id,
        author=CITIZEN,
        text=cleaned[:4000],
        attachments=ids,
        state="received",
        channel=conversation_id.partition(":")[0],
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    takeover.last_activity_at = now
    session.commit()
    return message


def messages_after(
    session: Session, conversation_id: str, after: int = 0, limit: int = 200
) -> list[TakeoverMessage]:
    """The takeover messages of the conversation after id `after`, oldest first."""
    return list(
        session.execute(
            select(TakeoverMessage)
            .where(TakeoverMessage.conversation_id == conversation_id, TakeoverMessage.id > after)
            .order_by(TakeoverMessage.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )


@dataclass(frozen=True)
class MessageDelivery:
    """What the notifier says about one officer message."""

    state: str
    reason: str | None = None
    message_id: str | None = None
    channel: str | None = None


def record_delivery(
    session: Session, conversation_id: str, event_id: str, delivery: MessageDelivery
) -> TakeoverMessage:
    """Store an officer message's delivery state; a late, lesser state never overwrites."""
    message: TakeoverMessage | None = session.execute(
        select(TakeoverMessage)
        .where(
            TakeoverMessage.event_id == event_id,
            TakeoverMessage.conversation_id == conversation_id,
        )
        .with_for_update()
    ).scalar_one_or_none()
    if message is None:
        raise NotFoundError(f"No officer message {event_id!r} in conversation {conversation_id!r}.")
    if STATE_ORDER[delivery.state] >= STATE_ORDER.get(message.state, 0):
        message.state = delivery.state
        message.reason = delivery.reason
        message.message_id = delivery.message_id or message.message_id
        message.channel = delivery.channel or message.channel
        message.updated_at = utcnow()
    session.commit()
    return message


def release_idle(session: Session, idle_minutes: int, now: dt.datetime | None = None) -> list[str]:
    """Hand back every takeover idle for `idle_minutes`; their conversation ids.

    The conditional update makes a second process running the same job release nothing.
    """
    now = now or utcnow()
    cutoff = now - dt.timedelta(minutes=idle_minutes)
    idle = (
        session.execute(
            select(Takeover.id).where(
                Takeover.active_key.is_not(None), Takeover.last_activity_at < cutoff
            )
        )
        .scalars()
        .all()
    )
    released = []
    for takeover_id in idle:
        result = session.execute(
            update(Takeover)
            .where(
                Takeover.id == takeover_id,
                Takeover.active_key.is_not(None),
                Takeover.last_activity_at < cutoff,
            )
            .values(active_key=None, released_at=now, release_reason=REASON_IDLE)
        )
        if not result.rowcount:
            continue
        takeover = session.get(Takeover, takeover_id, populate_existing=True)
        if takeover is None:  # pragma: no cover - the row was just updated
            continue
        _event(session, EVENT_RELEASED, takeover, now, reason=REASON_IDLE)
        session.commit()
        released.append(takeover.conversation_id)
    session.commit()
    return released


def with_takeover_messages(
    entries: Sequence[Any], messages: Sequence[TakeoverMessage]
) -> list[Any]:
    """Transcript entries (with `.at`) and takeover messages merged in time order."""
    merged: list[tuple[dt.datetime, int, Any]] = [(e.at, 0, e) for e in entries]
    merged += [(m.created_at, 1, m) for m in messages]
    merged.sort(key=lambda row: (row[0], row[1]))
    return [row[2] for row in merged]
