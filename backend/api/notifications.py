"""Status updates to citizens: delivery states, the reporter's feedback, preferences, events."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session
from starlette.responses import Response

from backend.api.deps import app_state, current_principal, db_session, read_only_session
from backend.auth import Principal, Role
from backend.feedback import Feedback, give_feedback
from backend.notifications import (
    DeliveryUpdate,
    acknowledge_event,
    pending_events,
    record_delivery,
    set_preference,
)
from backend.schemas import (
    DeliveryIn,
    ErrorOut,
    EventPage,
    FeedbackIn,
    FeedbackOut,
    PreferenceIn,
    PreferenceOut,
)
from backend.state import AppState
from backend.workflow import Status

router = APIRouter(tags=["notifications"])

_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Missing or invalid token"},
    403: {"model": ErrorOut, "description": "Not allowed"},
    404: {"model": ErrorOut, "description": "Not found"},
    422: {"model": ErrorOut, "description": "Invalid input"},
}


@router.put(
    "/api/v1/complaints/{tracking_id}/notifications/{event_id}",
    status_code=204,
    responses=_ERRORS,
)
def put_delivery(
    payload: DeliveryIn,
    tracking_id: str = Path(..., max_length=40),
    event_id: str = Path(..., max_length=32),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
) -> Response:
    """The notifier reports how a status update to the reporter went."""
    principal.require(Role.SERVICE)
    update = DeliveryUpdate(
        channel=payload.channel,
        state=payload.state.value,
        message_id=payload.message_id,
        reason=payload.reason,
    )
    record_delivery(session, tracking_id, event_id, update)
    return Response(status_code=204)


@router.post(
    "/api/v1/complaints/{tracking_id}/feedback",
    response_model=FeedbackOut,
    responses={**_ERRORS, 409: {"model": ErrorOut, "description": "Too late to reopen"}},
)
def post_feedback(
    payload: FeedbackIn,
    tracking_id: str = Path(..., max_length=40),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> FeedbackOut:
    """The reporter says whether a resolved problem is fixed (reopens if not) and rates it."""
    principal.require(Role.SERVICE)
    feedback = Feedback(chat_id=payload.chat_id, fixed=payload.fixed, rating=payload.rating)
    report, reopened = give_feedback(session, tracking_id, feedback, state.policy, principal)
    return FeedbackOut(
        tracking_id=report.tracking_id,
        status=Status(report.status),
        reopened=reopened,
        satisfaction_rating=report.satisfaction_rating,
    )


@router.put(
    "/api/v1/notification-preferences/{chat_id}",
    response_model=PreferenceOut,
    responses=_ERRORS,
)
def put_preference(
    payload: PreferenceIn,
    chat_id: str = Path(..., min_length=1, max_length=100),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
) -> PreferenceOut:
    """Turn status updates for a chat off or back on."""
    principal.require(Role.SERVICE)
    set_preference(session, chat_id, payload.enabled)
    return PreferenceOut(chat_id=chat_id, enabled=payload.enabled)


@router.get("/api/v1/events/pending", response_model=EventPage, responses=_ERRORS)
def get_pending_events(
    limit: int = Query(100, ge=1, le=500),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(read_only_session),
) -> EventPage:
    """Outbox events not yet handed on: the notifier's feed when there is no Redis."""
    principal.require(Role.SERVICE)
    return EventPage(events=pending_events(session, limit))


@router.post("/api/v1/events/{event_id}/ack", status_code=204, responses=_ERRORS)
def post_event_ack(
    event_id: str = Path(..., max_length=32),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
) -> Response:
    """The notifier handled the event: do not hand it on again."""
    principal.require(Role.SERVICE)
    acknowledge_event(session, event_id)
    return Response(status_code=204)
