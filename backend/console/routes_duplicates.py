"""Console: mark a report as a duplicate of another of the agency, undo a merge (admins)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from backend.api.deps import app_state, db_session
from backend.complaints import get_complaint
from backend.console import audit
from backend.console.routes_reports import report_refused
from backend.console.web import PREFIX, Viewer, admin_only, case_worker, check_csrf, redirect
from backend.errors import ApiError
from backend.merging import merge, unmerge
from backend.state import AppState

router = APIRouter(prefix=f"{PREFIX}/reports", include_in_schema=False)


@router.post("/{tracking_id}/duplicate-of")
def mark_duplicate(
    request: Request,
    tracking_id: str,
    original: str = Form(..., max_length=40),
    csrf_token: str = Form(""),
    user: Viewer = Depends(case_worker),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Merge this report into `original`; its citizens follow that one (audited)."""
    check_csrf(user, csrf_token)
    report = get_complaint(db, tracking_id, user.principal)
    try:
        merged = merge(db, report.tracking_id, original.strip(), user.principal, commit=False)
        audit.record(
            db, user.actor, audit.MERGE, "report", merged.tracking_id,
            {"original": merged.duplicate_of.tracking_id},
        )  # fmt: skip
        db.commit()
    except ApiError as exc:
        return report_refused(request, user, db, state, tracking_id, exc)
    return redirect(f"{PREFIX}/reports/{report.tracking_id}?saved=1")


@router.post("/{tracking_id}/undo-merge")
def undo_merge(
    request: Request,
    tracking_id: str,
    csrf_token: str = Form(""),
    user: Viewer = Depends(admin_only),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """An admin undoes a mistaken merge: the report reopens with its previous status."""
    check_csrf(user, csrf_token)
    report = get_complaint(db, tracking_id, user.principal)
    original = report.duplicate_of.tracking_id if report.duplicate_of else None
    try:
        unmerge(db, report.tracking_id, user.principal, commit=False)
        audit.record(
            db, user.actor, audit.UNMERGE, "report", report.tracking_id, {"original": original}
        )
        db.commit()
    except ApiError as exc:
        return report_refused(request, user, db, state, tracking_id, exc)
    return redirect(f"{PREFIX}/reports/{report.tracking_id}?saved=1")
