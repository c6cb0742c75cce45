"""Creating, reading, listing and moving reports through the workflow.

Each public function runs inside the caller's session and commits what it writes in
one transaction: the report, its history entry and its outbox event together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql import Select

from backend.auth import Principal
from backend.db import as_utc, utcnow
from backend.deadlines import add_working_days
from backend.errors import ConflictError, InvalidInputError, NotFoundError
from backend.filing import (
    AttachmentRecord,
    HistoryRecord,
    KeyRecord,
    NewReport,
    ReporterRecord,
    connection_for_new_report,
    insert_new_report,
)
from backend.lapor.outgoing import LAPOR_SOURCE, queue_followup
from backend.models import (
    Attachment,
    IdempotencyKey,
    OutboxEvent,
    Report,
    Reporter,
    StatusChange,
    ThreadEntry,
)
from backend.notifications import fan_out_to_followers, prepare_event
from backend.schemas import ComplaintCreate, Privacy
from backend.taxonomy import Taxonomy
from backend.tracking import normalise_tracking_id
from backend.workflow import OPEN_STATUSES, Status, TransitionError, check_transition

EVENT_CREATED = "complaint.created"
EVENT_STATUS_CHANGED = "complaint.status_changed"
EVENT_RECEIPT = "complaint.receipt"


@dataclass(frozen=True)
class Policy:
    """The rules that vary by deployment."""

    tracking_prefix: str
    timezone: ZoneInfo
    verify_days: int
    followup_days: int
    #: New reports are written with a pending SP4N-LAPOR! forward (`LAPOR_ENABLED`).
    lapor_enabled: bool = False

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The calendar date of `moment` in the regency's time zone."""
        return moment.astimezone(self.timezone).date()


@dataclass(frozen=True)
class ListFilters:
    """Filters of the report listing; None means "any"."""

    status: Status | None = None
    category: str | None = None
    agency: str | None = None
    kecamatan: str | None = None
    channel: str | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    overdue: bool | None = None
    reporter_chat_id: str | None = None
    #: Only reports waiting (True) or not waiting (False) for their reporter's answer.
    waiting_for_reporter: bool | None = None
    #: Only reports with citizen thread entries no officer has read yet.
    unread_answers: bool = False
    include_confidential: bool = True


def request_fingerprint(payload: ComplaintCreate) -> str:
    """A stable hash of a create request, to spot a reused Idempotency-Key."""
    canonical = json.dumps(json.loads(payload.json()), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class CheckedInput:
    """What validation looked up: the official kecamatan name and the attachments."""

    kecamatan: str | None
    attachments: list[AttachmentRecord]


def validate_create(
    session: Session, payload: ComplaintCreate, taxonomy: Taxonomy, policy: Policy, now: dt.datetime
) -> CheckedInput:
    """Check what the schema cannot; raise InvalidInputError listing every problem."""
    problems: list[dict[str, str]] = []
    if payload.category not in taxonomy.categories:
        known = ", ".join(sorted(taxonomy.categories))
        problems.append(
            {
                "field": "category",
                "message": f"unknown category {payload.category!r}; use one of: {known}",
            }
        )
    kecamatan = None
    if payload.location.kecamatan:
        kecamatan = taxonomy.canonical_kecamatan(payload.location.kecamatan)
        if kecamatan is None:
            problems.append(
                {
                    "field": "location.kecamatan",
                    "message": f"{payload.location.kecamatan!r} is not a kecamatan of Kabupaten "
                    "Tangerang",
                }
            )
    if payload.incident_date and payload.incident_date > policy.local_date(now):
        problems.append({"field": "incident_date", "message": "the incident date is in the future"})
    attachments: list[AttachmentRecord] = []
    if payload.attachments:
        attachments, attachment_problems = _load_attachments(session, payload.attachments)
        problems.extend(attachment_problems)
    if problems:
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise InvalidInputError(f"Please correct the report: {summary}.", problems)
    return CheckedInput(kecamatan=kecamatan, attachments=attachments)


def _load_attachments(
    session: Session, ids: list[str]
) -> tuple[list[AttachmentRecord], list[dict[str, str]]]:
    """The uploaded attachments `ids` names (oldest first), and what is wrong with them."""
    if len(set(ids)) != len(ids):
        return [], [{"field": "attachments", "message": "an attachment is listed twice"}]
    rows = session.execute(
        select(
            Attachment.id,
            Attachment.report_id,
            Attachment.filename,
            Attachment.content_type,
            Attachment.size,
            Attachment.sha256,
        )
        .where(Attachment.id.in_(ids))
        .order_by(Attachment.created_at, Attachment.id)
    ).all()
    found = {row.id: row for row in rows}
    problems = []
    for attachment_id in ids:
        row = found.get(attachment_id)
        if row is None:
            problems.append(
                {"field": "attachments", "message": f"attachment {attachment_id} was not uploaded"}
            )
        elif row.report_id is not None:
            problems.append(
                {
                    "field": "attachments",
                    "message": f"attachment {attachment_id} belongs to another report",
                }
            )
    records = [
        AttachmentRecord(
            id=row.id,
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
        )
        for row in rows
    ]
    return records, problems


def create_complaint(
    session: Session,
    payload: ComplaintCreate,
    taxonomy: Taxonomy,
    policy: Policy,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[Report | NewReport, bool]:
    """Create a report, or return the one an earlier request with the same key created.

    Returns the report and whether it was created by this call. A new report is
    written with Core statements (on PostgreSQL a single one, see `backend.filing`)
    and returned as written, without reading it back.
    """
    now = now or utcnow()
    key = KeyRecord(idempotency_key, request_fingerprint(payload)) if idempotency_key else None
    try:
        with connection_for_new_report(session) as connection:
            if key:
                replay = _replayed(session, key)
                if replay is not None:
                    return replay, False
            checked = validate_create(session, payload, taxonomy, policy, now)
            draft = _new_report(payload, checked, taxonomy, policy, now)
            tracking_id = insert_new_report(
                connection,
                draft,
                _outbox_row(EVENT_CREATED, draft, now),
                key,
                policy.tracking_prefix,
                policy.local_date(now).year,
            )
        session.commit()
    except IntegrityError:
        # A concurrent request with the same key won the race: return its report.
        session.rollback()
        if key:
            replay = _replayed(session, key)
            if replay is not None:
                return replay, False
        raise
    return replace(draft, tracking_id=tracking_id), True


def _new_report(
    payload: ComplaintCreate,
    checked: CheckedInput,
    taxonomy: Taxonomy,
    policy: Policy,
    now: dt.datetime,
) -> NewReport:
    """A new, just received report, without its tracking ID (the database allocates it)."""
    received = Status.RECEIVED.value
    return NewReport(
        tracking_id="",
        report_type=payload.report_type.value,
        category=payload.category,
        agency=taxonomy.route(payload.category, checked.kecamatan),
        description=payload.description,
        location_text=payload.location.text,
        kecamatan=checked.kecamatan,
        desa=payload.location.desa,
        latitude=payload.location.latitude,
        longitude=payload.location.longitude,
        incident_date=payload.incident_date,
        privacy=payload.privacy.value,
        channel=payload.channel.value,
        status=received,
        created_at=now,
        updated_at=now,
        verify_due=add_working_days(policy.local_date(now), policy.verify_days),
        followup_due=None,
        reporter=ReporterRecord(
            name=payload.reporter.name,
            phone=payload.reporter.phone,
            email=payload.reporter.email,
            chat_id=payload.reporter.chat_id,
            language=payload.reporter.language,
        ),
        history=(HistoryRecord(status=received, note=None, at=now),),
        attachments=tuple(checked.attachments),
        lapor_pending=policy.lapor_enabled,
    )


def _replayed(session: Session, key: KeyRecord) -> Report | None:
    """The report first created with `key`; refuse the key if it came with another body."""
    stored = session.execute(
        select(IdempotencyKey.request_hash, IdempotencyKey.report_id).where(
            IdempotencyKey.key == key.key
        )
    ).one_or_none()
    if stored is None:
        return None
    if stored.request_hash != key.request_hash:
        raise InvalidInputError(
            "This Idempotency-Key was already used for a different report; "
            "send a new key for a new report."
        )
    report: Report | None = (
        session.execute(_with_details(select(Report).where(Report.id == stored.report_id)))
        .unique()
        .scalar_one_or_none()
    )
    return report


def get_complaint(session: Session, tracking_id: str, viewer: Principal | None) -> Report:
    """The report with `tracking_id` (any case, with or without dashes), if visible."""
    return _find_report(session, tracking_id, viewer, for_update=False)


def lock_complaint(session: Session, tracking_id: str) -> Report:
    """The report with `tracking_id`, locked for this transaction (callers check access)."""
    return _find_report(session, tracking_id, None, for_update=True)


def _find_report(
    session: Session, tracking_id: str, viewer: Principal | None, *, for_update: bool
) -> Report:
    canonical = normalise_tracking_id(tracking_id)
    report: Report | None = None
    if canonical:
        query = _with_details(select(Report).where(Report.tracking_id == canonical))
        if for_update:  # and re-read: the session may hold an older copy of the row
            query = query.with_for_update(of=Report).execution_options(populate_existing=True)
        report = session.execute(query).unique().scalar_one_or_none()
    if report is None or (viewer is not None and not _visible_to(report, viewer)):
        raise NotFoundError(
            f"No report with tracking ID {tracking_id!r}. Check the ID and try again."
        )
    return report


def _with_details(query: Select) -> Select:
    """One round trip: the report with its reporter, history and attachments."""
    return query.options(joinedload(Report.history), joinedload(Report.attachments))


def _visible_to(report: Report, viewer: Principal) -> bool:
    return viewer.sees_all_agencies or report.agency == viewer.agency


def overdue_clause(today: dt.date) -> object:
    """SQL condition: reports past their verification or follow-up deadline."""
    return or_(
        and_(Report.status == Status.RECEIVED.value, Report.verify_due < today),
        and_(Report.status == Status.VERIFIED.value, Report.followup_due < today),
    )


def is_overdue(report: Report | NewReport, today: dt.date) -> bool:
    """The Python twin of `overdue_clause`, for one loaded report."""
    if report.status == Status.RECEIVED.value:
        return bool(report.verify_due < today)
    if report.status == Status.VERIFIED.value and report.followup_due is not None:
        return bool(report.followup_due < today)
    return False


def _filtered(query: Select, filters: ListFilters, policy: Policy, now: dt.datetime) -> Select:
    conditions = []
    if filters.status:
        conditions.append(Report.status == filters.status.value)
    if filters.category:
        conditions.append(Report.category == filters.category)
    if filters.agency:
        conditions.append(Report.agency == filters.agency)
    if filters.kecamatan:
        conditions.append(func.lower(Report.kecamatan) == filters.kecamatan.lower())
    if filters.channel:
        conditions.append(Report.channel == filters.channel)
    if filters.created_from:
        conditions.append(Report.created_at >= _start_of_day(filters.created_from, policy))
    if filters.created_to and filters.created_to < dt.date.max:
        next_day = filters.created_to + dt.timedelta(days=1)
        conditions.append(Report.created_at < _start_of_day(next_day, policy))
    if filters.overdue is not None:
        clause = overdue_clause(policy.local_date(now))
        conditions.append(clause if filters.overdue else ~clause)  # type: ignore[operator]
    if filters.waiting_for_reporter is not None:
        conditions.append(Report.waiting_for_reporter.is_(filters.waiting_for_reporter))
    if filters.unread_answers:
        conditions.append(
            Report.id.in_(
                select(ThreadEntry.report_id).where(
                    ThreadEntry.author == "citizen", ThreadEntry.read_at.is_(None)
                )
            )
        )
    if filters.reporter_chat_id:
        conditions.append(
            Report.reporter_id.in_(
                select(Reporter.id).where(Reporter.chat_id == filters.reporter_chat_id)
            )
        )
    if not filters.include_confidential:
        conditions.append(Report.privacy != Privacy.CONFIDENTIAL.value)
    return query.where(*conditions) if conditions else query


def _start_of_day(day: dt.date, policy: Policy) -> dt.datetime:
    return as_utc(dt.datetime.combine(day, dt.time.min, tzinfo=policy.timezone))


def list_complaints(
    session: Session,
    filters: ListFilters,
    policy: Policy,
    viewer: Principal,
    page: int = 1,
    per_page: int = 20,
    now: dt.datetime | None = None,
) -> tuple[list[Report], int]:
    """One page of reports matching `filters` that `viewer` may see, newest first."""
    now = now or utcnow()
    if not viewer.sees_all_agencies:
        filters = ListFilters(**{**filters.__dict__, "agency": viewer.agency})
    total = session.execute(
        _filtered(select(func.count(Report.id)), filters, policy, now)
    ).scalar_one()
    rows = (
        session.execute(
            _filtered(select(Report), filters, policy, now)
            .order_by(Report.created_at.desc(), Report.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .unique()
        .scalars()
        .all()
    )
    return list(rows), int(total)


def change_status(
    session: Session,
    tracking_id: str,
    target: Status,
    note: str | None,
    policy: Policy,
    actor: Principal,
    now: dt.datetime | None = None,
    *,
    notify_citizen: bool = True,
    source: str | None = None,
    unanswered_before: dt.date | None = None,
) -> Report:
    """Move a report to `target`, recording history and an outbox event atomically.

    `notify_citizen=False` for a change the reporter made themselves (they know).
    `source="lapor"` for a change brought back from SP4N-LAPOR!; any other change of
    a report the bridge forwards is queued to be posted there as a follow-up.
    `unanswered_before`: the no-answer deadline job (`backend.threads`) closes an open
    report still waiting for its reporter since before that day, whatever its status.
    """
    now = now or utcnow()
    report = _find_report(session, tracking_id, actor, for_update=True)
    previous = Status(report.status)
    try:
        if unanswered_before is not None:
            check_unanswered(report, unanswered_before)
        else:
            check_transition(previous, target, note)
    except TransitionError as exc:
        raise ConflictError(str(exc)) from exc
    if target not in OPEN_STATUSES or unanswered_before is not None:
        report.waiting_for_reporter = False  # a finished report waits for no answer
    clean_note = note.strip() if note and note.strip() else None
    report.status = target.value
    report.updated_at = now
    if target is Status.VERIFIED:
        report.followup_due = add_working_days(policy.local_date(now), policy.followup_days)
    report.history.append(
        StatusChange(status=target.value, note=clean_note, actor=actor.name, at=now, source=source)
    )
    event = _outbox_event(EVENT_STATUS_CHANGED, report, previous, clean_note, now)
    if source:
        event.payload = {**event.payload, "source": source}
    prepare_event(session, event, report, notify_citizen)
    session.add(event)
    fan_out_to_followers(session, event, report)
    if source != LAPOR_SOURCE and report.lapor_forward is not None:
        queue_followup(session, report, target, clean_note, now)
    session.commit()
    return report


def check_unanswered(report: Report, before: dt.date) -> None:
    """Raise TransitionError unless `report` is open and waited for an answer past `before`."""
    if Status(report.status) not in OPEN_STATUSES:
        raise TransitionError(f"Report is '{report.status}': it is finished already.")
    if not report.waiting_for_reporter or report.reporter_due is None:
        raise TransitionError("The reporter answered: the report no longer waits.")
    if report.reporter_due >= before:
        raise TransitionError("The reporter's deadline has not passed yet.")


def add_lapor_note(
    session: Session, report: Report, note: str, actor: str, at: dt.datetime, now: dt.datetime
) -> None:
    """Record a follow-up from SP4N-LAPOR! in history, with an outbox event telling the
    citizen (the status stays). The caller commits, with the bridge's sync position.
    """
    status = Status(report.status)
    report.history.append(
        StatusChange(status=status.value, note=note, actor=actor, at=at, source=LAPOR_SOURCE)
    )
    report.updated_at = now
    event = _outbox_event(EVENT_STATUS_CHANGED, report, status, note, now)
    event.payload = {**event.payload, "source": LAPOR_SOURCE}
    prepare_event(session, event, report)
    session.add(event)
    fan_out_to_followers(session, event, report)


def request_receipt(
    session: Session, tracking_id: str, actor: Principal, now: dt.datetime | None = None
) -> Report:
    """Ask the notifier to send the reporter their tracking ID.

    Used when a submission was delayed (the backend was unreachable during the
    conversation), so the citizen could not be told the ID in the chat.
    """
    now = now or utcnow()
    report = _find_report(session, tracking_id, actor, for_update=False)
    event = _outbox_event(EVENT_RECEIPT, report, None, None, now)
    prepare_event(session, event, report)
    session.add(event)
    session.commit()
    return report


def _outbox_event(
    event_type: str,
    report: Report,
    previous: Status | None,
    note: str | None,
    now: dt.datetime,
) -> OutboxEvent:
    """The outbox event of a change to a stored report."""
    return OutboxEvent(**_outbox_row(event_type, report, now, previous, note))


def _outbox_row(
    event_type: str,
    report: Report | NewReport,
    now: dt.datetime,
    previous: Status | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """The column values of an outbox event about `report`."""
    event_id = uuid.uuid4().hex
    reporter = report.reporter
    payload = {
        "event_id": event_id,
        "type": event_type,
        "tracking_id": report.tracking_id,
        "status": report.status,
        "previous_status": previous.value if previous else None,
        "note": note,
        "report_type": report.report_type,
        "category": report.category,
        "agency": report.agency,
        "channel": report.channel,
        "chat_id": reporter.chat_id if reporter else None,
        "language": reporter.language if reporter else None,
        "at": now.isoformat(),
    }
    return {
        "id": event_id,
        "event_type": event_type,
        "tracking_id": report.tracking_id,
        "payload": payload,
        "created_at": now,
        "attempts": 0,
    }
