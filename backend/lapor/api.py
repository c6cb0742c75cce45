"""`POST /api/v1/complaints/{tracking_id}/lapor`: an administrator resolves a parked forward."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy.orm import Session

from backend.api.deps import app_state, current_principal, db_session
from backend.api.responses import model_response
from backend.auth import Principal, Role
from backend.db import utcnow
from backend.lapor.review import resolve_forward
from backend.presenters import complaint_out
from backend.schemas import ComplaintOut, ErrorOut, LaporResolveIn
from backend.state import AppState

router = APIRouter(prefix="/api/v1/complaints", tags=["lapor"])

_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Missing or invalid token"},
    403: {"model": ErrorOut, "description": "Administrators only"},
    404: {"model": ErrorOut, "description": "No such report, or not to be forwarded"},
    409: {"model": ErrorOut, "description": "Not in review or failed, or the id is taken"},
    422: {"model": ErrorOut, "description": "Invalid body"},
}


@router.post("/{tracking_id}/lapor", response_model=ComplaintOut, responses=_ERRORS)
def resolve(
    tracking_id: str,
    body: LaporResolveIn,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Record the LAPOR! complaint id of a forward in review, or send it again (no id)."""
    principal.require(Role.ADMIN)
    report = resolve_forward(
        session, tracking_id, body.complaint_id, state.settings.lapor_poll_seconds
    )
    out = complaint_out(report, state.taxonomy, principal, state.policy.local_date(utcnow()))
    return model_response(out)
