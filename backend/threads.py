"""A report's thread: officers' questions to the reporter, answers and added information.

An officer's question puts the report in "waiting for the reporter" with a working-day
deadline (`reporter_due`); the citizen's answer (or any entry while waiting) ends the
wait. Each question is written with an outbox event (`complaint.question`) and a
`Notification` row in one transaction, so the notifier tells the citizen and reports
back how the delivery went. A question is not a status update: it is sent even to a
chat that turned status updates off (its event says `notifications_enabled: true`).

The functions here change the session and leave the commit to the caller, except the
job `close_unanswered`, which commits each report it closes.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.auth import Principal, Role
from backend.complaints import Policy, change_status
from backend.db import utcnow
from backend.deadlines import add_working_days
from backend.errors import ConflictError, ForbiddenError, InvalidInputError
from backend.lapor.outgoing import PENDING, marker
from backend.models import (
    Attachment,
    LaporOutgoing,
    Notification,
    OutboxEvent,
    Report,
    ThreadEntry,
)
from backend.workflow import Status

logger = logging.getLogger(__name__)

EVENT_QUESTION: Final = "complaint.question"
OFFICER, CITIZEN = "officer", "citizen"
QUESTION, ANSWER, INFO, SUPPORTING = "question", "answer", "info", "supporting"
CITIZEN_KINDS: Final = frozenset({ANSWER, INFO, SUPPORTING})
#: Statuses in which nothing more is asked or added.
FINISHED_STATUSES: Final = frozenset(
    {Status.RESOLVED.value, Status.CLOSED.value, Status.REJECTED.value, Status.ARCHIVED.value}
)
MAX_TEXT_CHARS: Final = 2000
MAX_ATTACHMENTS: Final = 10
#: The history note of a report closed because its question went unanswered.
NO_ANSWER_NOTE: Final = "tidak ada jawaban dari pelapor dalam {days} hari kerja"


def check_open(report: Report) -> None:
    """Raise ConflictError when `report` is finished (nothing more is asked or added)."""
    if report.status in FINISHED_STATUSES:
        raise ConflictError(
            f"Report {report.tracking_id} is '{report.status}': questions and additions "
            "are only possible while it is still being handled."
        )


def clean_text(text: str) -> str:
    """`text` stripped; InvalidInputError when empty or too long."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInputError(
            "Please write the text of the message.", [{"field": "text", "message": "empty"}]
        )
    if len(cleaned) > MAX_TEXT_CHARS:
        raise InvalidInputError(
            f"The text is longer than {MAX_TEXT_CHARS} characters; please shorten it.",
            [{"field": "text", "message": f"at most {MAX_TEXT_CHARS} characters"}],
        )
    return cleaned


def may_ask(report: Report, asker: Principal) -> bool:
    """Admins, and officers of the report's agency, may ask the reporter."""
    if asker.role is Role.ADMIN:
        return True
    return asker.role is Role.OFFICER and asker.agency == report.agency


def may_add_to_thread(session: Session, report: Report, chat_id: str) -> bool:
    """Whether the chat `chat_id` may add to `report`'s thread: its reporter or a follower."""
    if not chat_id:
        return False
    reporter = report.reporter
    if reporter is not None and reporter.chat_id == chat_id:
        return True
    from backend.followers import is_follower  # followers add to threads: no import cycle

    return is_follower(session, report, chat_id)


def ask_reporter(
    session: Session,
    report: Report,
    text: str,
    asker: Principal,
    answer_days: int,
    today: dt.date,
    now: dt.datetime | None = None,
) -> ThreadEntry:
    """Add an officer's question; the report waits for the reporter (caller commits).

    Raises:
        ForbiddenError: the asker is not an admin or an officer of the agency.
        ConflictError: the report is finished, or has no chat to send the question to.
        InvalidInputError: empty or too long text.
    """
    now = now or utcnow()
    if not may_ask(report, asker):
        raise ForbiddenError("Only an administrator or an officer of the agency may ask.")
    check_open(report)
    cleaned = clean_text(text)
    event_id = uuid.uuid4().hex
    entry = ThreadEntry(
        report_id=report.id,
        author=OFFICER,
        kind=QUESTION,
        text=cleaned,
        officer=asker.name,
        event_id=event_id,
        created_at=now,
    )
    report.thread.append(entry)
    report.waiting_for_reporter = True
    report.reporter_due = add_working_days(today, answer_days)
    report.updated_at = now
    session.flush()  # the entry's id, for the event
    reporter = report.reporter
    chat_id = reporter.chat_id if reporter else None
    payload = {
        "event_id": event_id,
        "type": EVENT_QUESTION,
        "tracking_id": report.tracking_id,
        "status": report.status,
        "chat_id": chat_id,
        "language": reporter.language if reporter else None,
        # A question is not a status update: sent even when updates are turned off.
        "notifications_enabled": bool(chat_id),
        "agency": report.agency,
        "report_type": report.report_type,
        "category": report.category,
        "channel": report.channel,
        "question_id": entry.id,
        "text": cleaned,
        "reporter_due": report.reporter_due.isoformat(),
        "at": now.isoformat(),
    }
    session.add(
        OutboxEvent(
            id=event_id,
            event_type=EVENT_QUESTION,
            tracking_id=report.tracking_id,
            payload=payload,
            created_at=now,
            attempts=0,
        )
    )
    report.notifications.append(
        Notification(
            event_id=event_id,
            report_id=report.id,
            event_type=EVENT_QUESTION,
            status=report.status,
            channel=chat_id.partition(":")[0] if chat_id else report.channel,
            state="queued" if chat_id else "failed",
            reason=None if chat_id else "the report has no chat to send the question to",
            created_at=now,
            updated_at=now,
        )
    )
    _queue_lapor(session, report, f"Pertanyaan petugas kepada pelapor: {cleaned}", now)
    return entry


def add_citizen_entry(
    session: Session,
    report: Report,
    chat_id: str,
    text: str,
    attachment_ids: Sequence[str],
    kind: str,
    now: dt.datetime | None = None,
) -> ThreadEntry:
    """Add the citizen's answer or information to `report`'s thread (caller commits).

    Validates that the attachments exist and belong to nothing yet, and links them. Any
    citizen entry while the report waits ends the wait. The caller checks who may add
    (`may_add_to_thread`).

    Raises:
        ConflictError: the report is finished.
        InvalidInputError: unknown kind, bad text, unknown or used attachments.
    """
    now = now or utcnow()
    if kind not in CITIZEN_KINDS:
        raise InvalidInputError(
            f"kind must be one of: {', '.join(sorted(CITIZEN_KINDS))}.",
            [{"field": "kind", "message": "unknown kind"}],
        )
    check_open(report)
    attachments = _free_attachments(session, attachment_ids)
    cleaned = text.strip()
    if not cleaned and not attachments:
        raise InvalidInputError(
            "Send a text or at least one attachment.", [{"field": "text", "message": "empty"}]
        )
    if len(cleaned) > MAX_TEXT_CHARS:
        clean_text(cleaned)  # raises the too-long error
    entry = ThreadEntry(
        report_id=report.id,
        author=CITIZEN,
        kind=kind,
        text=cleaned,
        chat_id=chat_id,
        created_at=now,
    )
    report.thread.append(entry)
    session.flush()
    for attachment in attachments:
        attachment.thread_entry_id = entry.id
        attachment.report_id = report.id
    if report.waiting_for_reporter:
        report.waiting_for_reporter = False
        report.reporter_due = None
    report.updated_at = now
    label = "Jawaban pelapor" if kind == ANSWER else "Informasi tambahan dari pelapor"
    files = f" ({len(attachments)} lampiran)" if attachments else ""
    _queue_lapor(session, report, f"{label}: {cleaned or '-'}{files}", now)
    return entry


def _free_attachments(session: Session, ids: Sequence[str]) -> list[Attachment]:
    """The uploaded, not yet used attachments `ids`; InvalidInputError naming any other."""
    if not ids:
        return []
    if len(ids) > MAX_ATTACHMENTS or len(set(ids)) != len(ids):
        raise InvalidInputError(
            f"List each attachment once, at most {MAX_ATTACHMENTS}.",
            [{"field": "attachments", "message": "duplicate or too many"}],
        )
    rows = session.execute(select(Attachment).where(Attachment.id.in_(list(ids)))).scalars()
    found = {a.id: a for a in rows}
    problems = []
    for attachment_id in ids:
        attachment = found.get(attachment_id)
        if attachment is None:
            problems.append(
                {"field": "attachments", "message": f"attachment {attachment_id} was not uploaded"}
            )
        elif attachment.report_id is not None or attachment.thread_entry_id is not None:
            problems.append(
                {"field": "attachments", "message": f"attachment {attachment_id} is already used"}
            )
    if problems:
        summary = "; ".join(p["message"] for p in problems)
        raise InvalidInputError(f"Please correct the attachments: {summary}.", problems)
    return [found[i] for i in ids]


def _queue_lapor(session: Session, report: Report, text: str, now: dt.datetime) -> None:
    """Queue `text` as a SP4N-LAPOR! follow-up of a forwarded report (no identity in it)."""
    if report.lapor_forward is None:
        return
    session.add(
        LaporOutgoing(
            report_id=report.id,
            content=f"{marker(report.tracking_id)} {text}",
            is_secret=report.privacy == "confidential",
            state=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def mark_read(report: Report, now: dt.datetime | None = None) -> int:
    """Mark the report's unread citizen entries read; how many were (caller commits)."""
    now = now or utcnow()
    count = 0
    for entry in report.thread:
        if entry.author == CITIZEN and entry.read_at is None:
            entry.read_at = now
            count += 1
    return count


def unread_report_ids(session: Session, report_ids: Sequence[int]) -> set[int]:
    """Which of `report_ids` have citizen entries no officer has read yet."""
    if not report_ids:
        return set()
    rows = session.execute(
        select(ThreadEntry.report_id)
        .where(
            ThreadEntry.report_id.in_(list(report_ids)),
            ThreadEntry.author == CITIZEN,
            ThreadEntry.read_at.is_(None),
        )
        .distinct()
    ).scalars()
    return set(rows)


#: Who closes the reports whose question went unanswered (history actor).
DEADLINE_ACTOR: Final = Principal(role=Role.SERVICE, name="sistem")


def close_unanswered(
    sessions: sessionmaker,
    policy: Policy,
    answer_days: int,
    today: dt.date,
    limit: int = 100,
) -> list[str]:
    """Close reports still waiting past `reporter_due`; their tracking IDs.

    Each goes through the normal workflow (`change_status` to closed with the note),
    so the citizen is told by the usual status event. Safe to run in several processes:
    a report already closed or answered is skipped.
    """
    with sessions() as session:
        due = (
            session.execute(
                select(Report.tracking_id)
                .where(Report.waiting_for_reporter.is_(True), Report.reporter_due < today)
                .order_by(Report.reporter_due, Report.id)
                .limit(limit)
            )
            .scalars()
            .all()
        )
    closed = []
    note = NO_ANSWER_NOTE.format(days=answer_days)
    for tracking_id in due:
        with sessions() as session:
            try:
                change_status(
                    session,
                    tracking_id,
                    Status.CLOSED,
                    note,
                    policy,
                    DEADLINE_ACTOR,
                    unanswered_before=today,
                )
            except ConflictError as exc:  # answered or finished meanwhile
                logger.info("Not closing %s: %s", tracking_id, exc.message)
                continue
            closed.append(tracking_id)
    return closed
