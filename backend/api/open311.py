"""Open311 GeoReport v2 (JSON format) under `/open311/v2`.

Services are the complaint categories; requests are public reports. Confidential
reports are never listed here and the reporter is never shown.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, Query
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request

from backend.api.deps import app_state, db_session, read_only_session
from backend.auth import Role
from backend.complaints import create_complaint
from backend.db import EARLIEST, as_utc, utcnow
from backend.errors import ForbiddenError, InvalidInputError, NotFoundError
from backend.metrics import metrics_of
from backend.models import Report
from backend.schemas import Channel, ComplaintCreate, LocationIn, ReporterIn
from backend.state import AppState
from backend.tracking import normalise_tracking_id
from backend.workflow import Status

router = APIRouter(prefix="/open311/v2", tags=["open311"])

OPEN311_CLOSED = frozenset(
    {Status.RESOLVED.value, Status.CLOSED.value, Status.REJECTED.value, Status.ARCHIVED.value}
)
_DEFAULT_WINDOW = dt.timedelta(days=90)
_MAX_RESULTS = 1000


class Open311Error(BaseModel):
    """One GeoReport v2 error."""

    code: int
    description: str


class Service(BaseModel):
    """One GeoReport v2 service: a complaint category."""

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class ServiceRequestCreated(BaseModel):
    """The answer to a posted request."""

    service_request_id: str
    service_notice: str
    account_id: str | None = None


class ServiceRequest(BaseModel):
    """A GeoReport v2 service request."""

    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str | None
    requested_datetime: dt.datetime
    updated_datetime: dt.datetime
    expected_datetime: dt.datetime | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": list[Open311Error]},
    403: {"model": list[Open311Error]},
    404: {"model": list[Open311Error]},
}


@router.get("/services.json", response_model=list[Service])
def services(state: AppState = Depends(app_state)) -> list[Service]:
    """Every complaint category as a service."""
    return [
        Service(
            service_code=c.code,
            service_name=c.label_id,
            description=f"{c.label_en}: {c.scope}",
            metadata=False,
            type="realtime",
            keywords=c.scope,
            group=state.taxonomy.agency_name(c.agency),
        )
        for c in state.taxonomy.categories.values()
    ]


@router.post("/requests.json", response_model=list[ServiceRequestCreated], responses=_ERRORS)
def post_request(
    request: Request,
    api_key: str = Form(..., max_length=500),
    service_code: str = Form(..., max_length=50),
    description: str = Form(..., max_length=4000),
    lat: float | None = Form(None, ge=-90, le=90),
    long: float | None = Form(None, ge=-180, le=180),
    address_string: str | None = Form(None, max_length=500),
    email: str | None = Form(None, max_length=254),
    first_name: str | None = Form(None, max_length=100),
    last_name: str | None = Form(None, max_length=100),
    phone: str | None = Form(None, max_length=32),
    jurisdiction_id: str | None = Form(None, max_length=100),
    session: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> list[ServiceRequestCreated]:
    """File a public complaint through Open311 (an `api_key` is required)."""
    principal = state.tokens.principal_for(api_key)
    if principal.role not in (Role.SERVICE, Role.ADMIN):
        raise ForbiddenError("This api_key may not file requests.")
    if lat is None and not (address_string and address_string.strip()):
        raise InvalidInputError("Give a location: lat and long, or address_string.")
    name = " ".join(p for p in (first_name, last_name) if p and p.strip()) or None
    try:
        payload = ComplaintCreate(
            category=service_code,
            description=description,
            location=LocationIn(text=address_string, latitude=lat, longitude=long),
            channel=Channel.OPEN311,
            reporter=ReporterIn(name=name, phone=phone or None, email=email or None),
        )
    except ValidationError as exc:
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInputError(f"Please correct the request: {fields}.") from exc
    report, _ = create_complaint(session, payload, state.taxonomy, state.policy)
    metrics_of(request).report_filed(report.channel)
    return [
        ServiceRequestCreated(
            service_request_id=report.tracking_id,
            service_notice=(
                "Laporan diterima dan akan diverifikasi dalam "
                f"{state.policy.verify_days} hari kerja."
            ),
        )
    ]


@router.get("/requests.json", response_model=list[ServiceRequest], responses=_ERRORS)
def get_requests(
    service_request_id: str | None = Query(None, max_length=2000),
    service_code: str | None = Query(None, max_length=50),
    start_date: dt.datetime | None = None,
    end_date: dt.datetime | None = None,
    status: str | None = Query(None, regex="^(open|closed)$"),
    jurisdiction_id: str | None = Query(None, max_length=100),
    session: Session = Depends(read_only_session),
    state: AppState = Depends(app_state),
) -> list[ServiceRequest]:
    """Public reports, newest first (confidential ones are never listed)."""
    if service_request_id:
        ids = [normalise_tracking_id(i) for i in service_request_id.split(",") if i.strip()]
        reports = _public_reports_by_id(session, [i for i in ids if i])
    else:
        end = as_utc(end_date) if end_date else None
        start = as_utc(start_date) if start_date else _window_start(end or utcnow())
        reports = _public_reports_between(session, service_code, start, end)
    if status:
        reports = [r for r in reports if _open311_status(r) == status]
    return [_service_request(r, state) for r in reports[:_MAX_RESULTS]]


@router.get("/requests/{request_id}.json", response_model=list[ServiceRequest], responses=_ERRORS)
def get_request(
    request_id: str,
    session: Session = Depends(read_only_session),
    state: AppState = Depends(app_state),
) -> list[ServiceRequest]:
    """One public report."""
    canonical = normalise_tracking_id(request_id)
    reports = _public_reports_by_id(session, [canonical] if canonical else [])
    if not reports:
        raise NotFoundError(f"No public service request {request_id!r}.")
    return [_service_request(reports[0], state)]


def _public_reports_by_id(session: Session, tracking_ids: list[str]) -> list[Report]:
    if not tracking_ids:
        return []
    rows = session.execute(
        select(Report)
        .where(Report.tracking_id.in_(tracking_ids), Report.privacy != "confidential")
        .order_by(Report.created_at.desc())
    )
    return list(rows.unique().scalars())


def _public_reports_between(
    session: Session,
    service_code: str | None,
    start: dt.datetime,
    end: dt.datetime | None,
) -> list[Report]:
    query = select(Report).where(Report.privacy != "confidential", Report.created_at >= start)
    if end is not None:
        query = query.where(Report.created_at <= end)
    if service_code:
        query = query.where(Report.category == service_code)
    rows = session.execute(query.order_by(Report.created_at.desc()).limit(_MAX_RESULTS))
    return list(rows.unique().scalars())


def _window_start(end: dt.datetime) -> dt.datetime:
    """The start of the default window ending at `end` (UTC), or the earliest moment."""
    try:
        return end - _DEFAULT_WINDOW
    except OverflowError:
        return EARLIEST


def _open311_status(report: Report) -> str:
    return "closed" if report.status in OPEN311_CLOSED else "open"


def _merged_notes(report: Report, original: Report) -> str:
    """The status notes of a merged duplicate: where it went, and the original's news."""
    notes = [h.note for h in original.history if h.note]
    said = f"Digabung dengan laporan {original.tracking_id} (laporan yang sama)."
    if notes and original.privacy != "confidential":
        return f"{said} {notes[-1]}"
    return said


def _service_request(report: Report, state: AppState) -> ServiceRequest:
    """The Open311 view of `report`; a merged duplicate answers as its original."""
    category = state.taxonomy.categories.get(report.category)
    original: Report | None = report.duplicate_of
    notes = [h.note for h in report.history if h.note]
    status_notes = notes[-1] if notes else None
    if original is not None:
        status_notes = _merged_notes(report, original)
        report_for_status = original
    else:
        report_for_status = report
    due = report_for_status.followup_due or report_for_status.verify_due
    return ServiceRequest(
        service_request_id=report.tracking_id,
        status=_open311_status(report_for_status),
        status_notes=status_notes,
        service_name=category.label_id if category else report.category,
        service_code=report.category,
        description=report.description,
        agency_responsible=state.taxonomy.agency_name(report_for_status.agency),
        service_notice=None,
        requested_datetime=report.created_at,
        updated_datetime=max(report.updated_at, report_for_status.updated_at),
        expected_datetime=dt.datetime.combine(due, dt.time(16, 0), tzinfo=state.policy.timezone)
        if due
        else None,
        address=report.location_text,
        address_id=None,
        zipcode=None,
        lat=report.latitude,
        long=report.longitude,
        media_url=None,
    )
