"""Report pages: the filtered list, one report, its attachments and the status form."""

from __future__ import annotations

from math import ceil
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.deps import app_state, db_session
from backend.auth import Role
from backend.complaints import ListFilters, get_complaint, list_complaints
from backend.complaints import change_status as change_report_status
from backend.console import audit, i18n
from backend.console.masking import redact_text, unchanged
from backend.console.report_views import deadline_badge, has_identity, map_link, reporter_view
from backend.console.web import (
    PREFIX,
    Viewer,
    admin_only,
    case_worker,
    check_csrf,
    parse_day,
    redirect,
    render,
)
from backend.db import utcnow
from backend.errors import ApiError, ConflictError, NotFoundError
from backend.lapor.review import ACTIONABLE, resolve_forward
from backend.merging import merged_duplicates
from backend.models import ConversationReport, Report
from backend.presenters import lapor_out, thread_out
from backend.schemas import Channel
from backend.state import AppState
from backend.threads import FINISHED_STATUSES, mark_read, may_ask, unread_report_ids
from backend.workflow import Status, allowed_next

router = APIRouter(prefix=f"{PREFIX}/reports", include_in_schema=False)
PER_PAGE = 25


def _status(value: str | None) -> Status | None:
    try:
        return Status(value) if value else None
    except ValueError:
        return None


@router.get("")
def report_list(
    request: Request,
    status: str | None = Query(None, max_length=20),
    category: str | None = Query(None, max_length=50),
    kecamatan: str | None = Query(None, max_length=60),
    agency: str | None = Query(None, max_length=60),
    channel: str | None = Query(None, max_length=20),
    overdue: str | None = Query(None, max_length=3),
    unread: str | None = Query(None, max_length=3),
    date_from: str | None = Query(None, max_length=10),
    date_to: str | None = Query(None, max_length=10),
    page: int = Query(1, ge=1, le=100_000),
    user: Viewer = Depends(case_worker),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Reports the user may see, newest first, with deadline badges."""
    filters = ListFilters(
        status=_status(status),
        category=category or None,
        kecamatan=kecamatan or None,
        agency=(agency or None) if user.role is Role.ADMIN else user.agency,
        channel=channel or None,
        overdue=True if overdue == "1" else None,
        unread_answers=unread == "1",
        created_from=parse_day(date_from),
        created_to=parse_day(date_to),
    )
    reports, total = list_complaints(
        db, filters, state.policy, user.principal, page=page, per_page=PER_PAGE
    )
    today = state.policy.local_date(utcnow())
    query = {
        k: v
        for k, v in {
            "status": status,
            "category": category,
            "kecamatan": kecamatan,
            "agency": agency,
            "channel": channel,
            "overdue": overdue,
            "unread": unread,
            "date_from": date_from,
            "date_to": date_to,
        }.items()
        if v
    }
    return render(
        request,
        "reports.html",
        user,
        rows=[(r, deadline_badge(r, today)) for r in reports],
        unread_ids=unread_report_ids(db, [r.id for r in reports]),
        total=total,
        page=page,
        pages=max(1, ceil(total / PER_PAGE)),
        query=query,
        query_string=urlencode(query),
        statuses=list(Status),
        channels=[c.value for c in Channel],
        taxonomy=state.taxonomy,
        timezone=state.policy.timezone,
    )


@router.get("/{tracking_id}")
def report_page(
    request: Request,
    tracking_id: str,
    reveal: int = Query(0, ge=0, le=1),
    saved: int = Query(0, ge=0, le=1),
    asked: int = Query(0, ge=0, le=1),
    user: Viewer = Depends(case_worker),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """One report: details, thread, history, attachments, notifications and the forms."""
    report = get_complaint(db, tracking_id, user.principal)
    read = mark_read(report)
    if read:  # opening the page is reading the citizen's answers
        audit.record(
            db, user.actor, audit.THREAD_READ, "report", report.tracking_id, {"entries": read}
        )
        db.commit()
    return _report_page(
        request, user, db, state, report, reveal=bool(reveal), saved=bool(saved), asked=bool(asked)
    )


def _report_page(
    request: Request,
    user: Viewer,
    db: Session,
    state: AppState,
    report: Report,
    *,
    reveal: bool = False,
    saved: bool = False,
    error: str | None = None,
    asked: bool = False,
) -> Response:
    may_see_identity = user.principal.may_see_reporter(report.privacy)
    masked = not user.sees_personal_data(reveal)
    reporter = reporter_view(report, may_see_identity, masked)
    if not reporter.hidden and not reporter.masked and has_identity(report):
        audit.record(
            db,
            user.actor,
            audit.VIEW_PERSONAL_DATA,
            "report",
            report.tracking_id,
            {"fields": "reporter"},
        )
        db.commit()
    today = state.policy.local_date(utcnow())
    return render(
        request,
        "report.html",
        user,
        status_code=409 if error else 200,
        report=report,
        badge=deadline_badge(report, today),
        reporter=reporter,
        may_reveal=may_see_identity and masked and has_identity(report),
        map_url=map_link(report.latitude, report.longitude),
        next_statuses=sorted(allowed_next(Status(report.status)), key=list(Status).index),
        taxonomy=state.taxonomy,
        timezone=state.policy.timezone,
        saved=saved,
        error=error,
        conversation_id=_source_conversation(db, report.tracking_id),
        lapor=lapor_out(report),
        lapor_actionable=bool(report.lapor_forward and report.lapor_forward.state in ACTIONABLE),
        thread=thread_out(report),
        asked=asked,
        may_ask=may_ask(report, user.principal) and report.status not in FINISHED_STATUSES,
        thread_redact=redact_text if masked or not may_see_identity else unchanged,
        answer_days=state.settings.reporter_answer_days,
        merged_duplicates=merged_duplicates(db, report),
    )


def report_refused(
    request: Request,
    user: Viewer,
    db: Session,
    state: AppState,
    tracking_id: str,
    error: ApiError,
) -> Response:
    """The report's page again with why a change was refused; the change rolled back."""
    db.rollback()
    report = get_complaint(db, tracking_id, user.principal)
    return _report_page(request, user, db, state, report, error=error.message)


def _source_conversation(db: Session, tracking_id: str) -> int | None:
    """The indexed conversation in which the report was filed, if any."""
    found = db.execute(
        select(ConversationReport.conversation_id)
        .where(ConversationReport.tracking_id == tracking_id)
        .order_by(ConversationReport.conversation_id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return int(found) if found is not None else None


@router.post("/{tracking_id}/status")
def change_status(
    request: Request,
    tracking_id: str,
    status: str = Form(..., max_length=20),
    note: str = Form("", max_length=4000),
    csrf_token: str = Form(""),
    user: Viewer = Depends(case_worker),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Move the report on; the citizen is notified through the outbox and the notifier."""
    check_csrf(user, csrf_token)
    target = _status(status)
    report = get_complaint(db, tracking_id, user.principal)
    if target is None:
        return _report_page(request, user, db, state, report, error=f"Unknown status {status!r}.")
    audit.record(
        db,
        user.actor,
        audit.STATUS_CHANGE,
        "report",
        report.tracking_id,
        {"from": report.status, "to": target.value, "note": note.strip() or None},
    )
    # One transaction: the status, its history, the outbox event and the audit entry.
    try:
        change_report_status(db, report.tracking_id, target, note, state.policy, user.principal)
    except ConflictError as exc:
        return report_refused(request, user, db, state, tracking_id, exc)
    return redirect(f"{PREFIX}/reports/{report.tracking_id}?saved=1")


@router.post("/{tracking_id}/lapor")
def resolve_lapor_forward(
    request: Request,
    tracking_id: str,
    action: str = Form(..., max_length=10),
    complaint_id: str = Form("", max_length=64),
    csrf_token: str = Form(""),
    user: Viewer = Depends(admin_only),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """An admin records the LAPOR! number found for a parked forward, or sends it again."""
    check_csrf(user, csrf_token)
    report = get_complaint(db, tracking_id, user.principal)
    number = complaint_id.strip() or None
    if action == "record" and number is None:
        t = i18n.translator(user.language)
        return _report_page(request, user, db, state, report, error=t("lapor_number_missing"))
    audit.record(
        db,
        user.actor,
        audit.LAPOR_RESOLVE,
        "report",
        report.tracking_id,
        {"action": "record" if action == "record" else "resend", "complaint_id": number},
    )
    try:
        resolve_forward(
            db,
            report.tracking_id,
            number if action == "record" else None,
            state.settings.lapor_poll_seconds,
        )
    except (ConflictError, NotFoundError) as exc:
        return report_refused(request, user, db, state, tracking_id, exc)
    return redirect(f"{PREFIX}/reports/{report.tracking_id}?saved=1#lapor")


@router.get("/{tracking_id}/attachments/{attachment_id}")
def attachment_file(
    tracking_id: str,
    attachment_id: str,
    user: Viewer = Depends(case_worker),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """An attachment of a report the user may see: images inline, other files downloaded."""
    report = get_complaint(db, tracking_id, user.principal)
    attachment = next((a for a in report.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise NotFoundError("This report has no such attachment.")
    path = state.attachments.path_of(attachment.storage_name)
    if not path.is_file():
        raise NotFoundError("The attachment file is missing from storage.")
    inline = attachment.content_type.startswith("image/")
    filename = attachment.filename or f"{attachment.id}{path.suffix}"
    response = FileResponse(
        path,
        media_type=attachment.content_type,
        filename=filename,
        content_disposition_type="inline" if inline else "attachment",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
