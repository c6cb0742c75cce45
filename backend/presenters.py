"""Turning stored reports into API responses, with privacy applied."""

from __future__ import annotations

import datetime as dt

from backend.auth import Principal, Role
from backend.complaints import is_overdue
from backend.console.masking import mask_chat_id
from backend.filing import AttachmentRecord, NewReport
from backend.models import Attachment, LaporForward, Notification, Report, ThreadEntry
from backend.schemas import (
    AttachmentOut,
    ComplaintOut,
    Deadlines,
    DeliveryState,
    FollowerOut,
    HistoryEntry,
    LaporOut,
    LaporState,
    LocationOut,
    NotificationOut,
    Privacy,
    ReporterOut,
    ReportType,
    ThreadEntryOut,
)
from backend.taxonomy import Taxonomy
from backend.workflow import STATUS_LABELS_ID, Status


def attachment_url(attachment_id: str) -> str:
    """Where an authorised caller downloads an attachment."""
    return f"/api/v1/attachments/{attachment_id}"


def complaint_out(
    report: Report | NewReport, taxonomy: Taxonomy, viewer: Principal, today: dt.date
) -> ComplaintOut:
    """The API view of `report` for `viewer`: the reporter only where allowed.

    `report` is a stored report or one just created (`NewReport`, not read back).
    """
    category = taxonomy.categories.get(report.category)
    status = Status(report.status)
    reporter = None
    if report.reporter is not None and viewer.may_see_reporter(report.privacy):
        reporter = ReporterOut(
            name=report.reporter.name,
            phone=report.reporter.phone,
            email=report.reporter.email,
            chat_id=report.reporter.chat_id,
        )
    return ComplaintOut(
        tracking_id=report.tracking_id,
        status=status,
        status_label=STATUS_LABELS_ID[status],
        report_type=ReportType(report.report_type),
        category=report.category,
        category_label=category.label_id if category else report.category,
        agency=report.agency,
        agency_name=taxonomy.agency_name(report.agency),
        description=report.description,
        location=LocationOut(
            text=report.location_text,
            kecamatan=report.kecamatan,
            desa=report.desa,
            latitude=report.latitude,
            longitude=report.longitude,
        ),
        incident_date=report.incident_date,
        privacy=Privacy(report.privacy),
        channel=report.channel,
        # Files that came with a thread entry are shown there, not here.
        attachments=[a.id for a in report.attachments if not _in_thread(a)],
        attachment_files=[_attachment_out(a) for a in report.attachments if not _in_thread(a)],
        created_at=report.created_at,
        updated_at=report.updated_at,
        history=[
            HistoryEntry(
                status=Status(h.status),
                status_label=STATUS_LABELS_ID[Status(h.status)],
                note=h.note,
                at=h.at,
                source=getattr(h, "source", None) or "backend",
            )
            for h in report.history
        ],
        deadlines=Deadlines(
            verify_due=report.verify_due,
            followup_due=report.followup_due,
            overdue=is_overdue(report, today),
        ),
        reporter=reporter,
        # A report just created (not read back) has no notifications and no rating yet.
        notifications=[
            NotificationOut(
                event_id=n.event_id,
                event_type=n.event_type,
                status=n.status,
                channel=n.channel,
                state=DeliveryState(n.state),
                reason=n.reason,
                created_at=n.created_at,
                updated_at=n.updated_at,
            )
            for n in getattr(report, "notifications", ())
        ],
        satisfaction_rating=getattr(report, "satisfaction_rating", None),
        lapor=lapor_out(report),
        followers_count=report.followers_count or 0,
        duplicate_of=report.duplicate_of.tracking_id if report.duplicate_of else None,
        followers=followers_out(report, viewer),
        waiting_for_reporter=bool(getattr(report, "waiting_for_reporter", False)),
        reporter_due=getattr(report, "reporter_due", None),
        thread=thread_out(report),
    )


def _attachment_out(a: Attachment | AttachmentRecord) -> AttachmentOut:
    return AttachmentOut(
        id=a.id,
        filename=a.filename,
        content_type=a.content_type,
        size=a.size,
        sha256=a.sha256,
        url=attachment_url(a.id),
    )


def thread_entry_out(entry: ThreadEntry, deliveries: dict[str, Notification]) -> ThreadEntryOut:
    """One thread entry; never the citizen's chat id (anonymous reports stay anonymous)."""
    notification = deliveries.get(entry.event_id) if entry.event_id else None
    return ThreadEntryOut(
        id=entry.id,
        author=entry.author,
        kind=entry.kind,
        text=entry.text,
        attachments=[_attachment_out(a) for a in entry.attachments],
        at=entry.created_at,
        delivery=DeliveryState(notification.state) if notification else None,
        delivery_reason=notification.reason if notification else None,
    )


def thread_out(report: Report | NewReport) -> list[ThreadEntryOut]:
    """The report's thread, oldest first (a report just created has none)."""
    if isinstance(report, NewReport) or not report.thread:
        return []
    entries = report.thread
    deliveries = {n.event_id: n for n in report.notifications}
    return [thread_entry_out(e, deliveries) for e in entries]


def followers_out(report: Report | NewReport, viewer: Principal) -> list[FollowerOut] | None:
    """The followers with their chats masked, for services and admins; None for others."""
    if viewer.role not in (Role.SERVICE, Role.ADMIN):
        return None
    if isinstance(report, NewReport):
        return []
    return [
        FollowerOut(chat_id=mask_chat_id(f.chat_id), source=f.source, at=f.created_at)
        for f in report.followers
    ]


def _in_thread(attachment: object) -> bool:
    return getattr(attachment, "thread_entry_id", None) is not None


def lapor_out(report: Report | NewReport) -> LaporOut:
    """The report's SP4N-LAPOR! state; `sending` (mid-call) is shown as `pending`."""
    if isinstance(report, NewReport):
        return LaporOut(state=LaporState.PENDING if report.lapor_pending else LaporState.DISABLED)
    row: LaporForward | None = report.lapor_forward
    if row is None:
        return LaporOut(state=LaporState.DISABLED)
    state = LaporState.PENDING if row.state == "sending" else LaporState(row.state)
    return LaporOut(
        complaint_id=row.complaint_id,
        state=state,
        last_sync_at=row.last_sync_at,
        # A status conflict with LAPOR! needs a person as much as a failed call does.
        error=row.error or row.conflict,
    )
