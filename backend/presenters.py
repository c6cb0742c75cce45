"""Turning stored reports into API responses, with privacy applied."""

from __future__ import annotations

import datetime as dt

from backend.auth import Principal
from backend.complaints import is_overdue
from backend.filing import NewReport
from backend.models import LaporForward, Report
from backend.schemas import (
    AttachmentOut,
    ComplaintOut,
    Deadlines,
    DeliveryState,
    HistoryEntry,
    LaporOut,
    LaporState,
    LocationOut,
    NotificationOut,
    Privacy,
    ReporterOut,
    ReportType,
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
            latitude=report.latitude,
            longitude=report.longitude,
        ),
        incident_date=report.incident_date,
        privacy=Privacy(report.privacy),
        channel=report.channel,
        attachments=[a.id for a in report.attachments],
        attachment_files=[
            AttachmentOut(
                id=a.id,
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
                sha256=a.sha256,
                url=attachment_url(a.id),
            )
            for a in report.attachments
        ],
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
    )


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
