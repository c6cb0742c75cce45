"""`/api/v1/complaints`: create, read, list and change the status of reports."""

from __future__ import annotations

import datetime as dt
import math

from fastapi import APIRouter, Depends, Header, Query
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from backend.api.deps import app_state, current_principal, db_session, read_only_session
from backend.api.responses import model_response
from backend.auth import Principal, Role
from backend.complaints import (
    ListFilters,
    change_status,
    create_complaint,
    get_complaint,
    list_complaints,
    request_receipt,
)
from backend.db import utcnow
from backend.metrics import metrics_of
from backend.presenters import complaint_out
from backend.schemas import (
    Channel,
    ComplaintCreate,
    ComplaintOut,
    ComplaintPage,
    ErrorOut,
    StatusChangeIn,
)
from backend.state import AppState
from backend.workflow import Status

router = APIRouter(prefix="/api/v1/complaints", tags=["complaints"])

_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Missing or invalid token"},
    404: {"model": ErrorOut, "description": "No such report"},
    422: {"model": ErrorOut, "description": "Invalid input"},
}


@router.post("", status_code=201, response_model=ComplaintOut, responses=_ERRORS)
def create(
    request: Request,
    payload: ComplaintCreate,
    idempotency_key: str | None = Header(
        None, max_length=255, description="Retries with the same key return the first result."
    ),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """File a report. A retried request with the same `Idempotency-Key` files nothing new."""
    principal.require(Role.SERVICE, Role.ADMIN)
    report, created = create_complaint(
        session, payload, state.taxonomy, state.policy, idempotency_key=idempotency_key or None
    )
    headers = {"Location": f"{router.prefix}/{report.tracking_id}"}
    if created:
        metrics_of(request).report_filed(report.channel)
    else:
        headers["Idempotent-Replayed"] = "true"
    body = complaint_out(report, state.taxonomy, principal, state.policy.local_date(utcnow()))
    return model_response(body, status_code=201, headers=headers)


@router.get("", response_model=ComplaintPage, responses=_ERRORS)
def list_(
    status: Status | None = None,
    category: str | None = Query(None, max_length=50),
    agency: str | None = Query(None, max_length=60),
    kecamatan: str | None = Query(None, max_length=60),
    channel: Channel | None = None,
    created_from: dt.date | None = Query(None, description="First day, inclusive (WIB)"),
    created_to: dt.date | None = Query(None, description="Last day, inclusive (WIB)"),
    overdue: bool | None = Query(None, description="Only reports past (or within) their deadline"),
    waiting_for_reporter: bool | None = Query(
        None, description="Only reports waiting (or not) for the reporter's answer"
    ),
    reporter_chat_id: str | None = Query(
        None, max_length=100, description="Reports filed from this chat (service callers only)"
    ),
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(20, ge=1, le=100),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(read_only_session),
    state: AppState = Depends(app_state),
) -> Response:
    """List reports, newest first, filtered and paginated."""
    if reporter_chat_id:
        principal.require(Role.SERVICE, Role.ADMIN)
    filters = ListFilters(
        status=status,
        category=category,
        agency=agency,
        kecamatan=kecamatan,
        channel=channel.value if channel else None,
        created_from=created_from,
        created_to=created_to,
        overdue=overdue,
        waiting_for_reporter=waiting_for_reporter,
        reporter_chat_id=reporter_chat_id,
    )
    reports, total = list_complaints(
        session, filters, state.policy, principal, page=page, per_page=per_page
    )
    today = state.policy.local_date(utcnow())
    page_out = ComplaintPage(
        items=[complaint_out(r, state.taxonomy, principal, today) for r in reports],
        total=total,
        page=page,
        per_page=per_page,
        pages=math.ceil(total / per_page) if total else 0,
    )
    return model_response(page_out)


@router.get("/{tracking_id}", response_model=ComplaintOut, responses=_ERRORS)
def read(
    tracking_id: str,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(read_only_session),
    state: AppState = Depends(app_state),
) -> Response:
    """One report by tracking ID (any case, dashes optional)."""
    report = get_complaint(session, tracking_id, principal)
    body = complaint_out(report, state.taxonomy, principal, state.policy.local_date(utcnow()))
    return model_response(body)


@router.post(
    "/{tracking_id}/status",
    response_model=ComplaintOut,
    responses={**_ERRORS, 409: {"model": ErrorOut, "description": "Transition not allowed"}},
)
def set_status(
    tracking_id: str,
    body: StatusChangeIn,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Move a report through the workflow; the citizen is notified of the change."""
    report = change_status(session, tracking_id, body.status, body.note, state.policy, principal)
    out = complaint_out(report, state.taxonomy, principal, state.policy.local_date(utcnow()))
    return model_response(out)


@router.post(
    "/{tracking_id}/receipt",
    status_code=202,
    response_model=ComplaintOut,
    responses=_ERRORS,
)
def send_receipt(
    tracking_id: str,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Have the notifier send the reporter their tracking ID (after a delayed submission)."""
    principal.require(Role.SERVICE)
    report = request_receipt(session, tracking_id, principal)
    out = complaint_out(report, state.taxonomy, principal, state.policy.local_date(utcnow()))
    return model_response(out, status_code=202)
