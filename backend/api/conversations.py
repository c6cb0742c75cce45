"""`/api/v1/conversations/{conversation_id}/...`: a person takes a chat over from the bot.

`conversation_id` is Rasa's sender id (`telegram:123`). Officers and admins take over,
write and hand back; the gateway (the service token) posts the citizen's messages
during a takeover, reads the active takeovers and reports deliveries.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session
from starlette.responses import Response

from backend.api.deps import app_state, current_principal, db_session, read_only_session
from backend.api.responses import model_response
from backend.auth import Principal, Role
from backend.errors import ForbiddenError
from backend.models import Takeover, TakeoverMessage
from backend.schemas import (
    ConversationMessageIn,
    ConversationMessageList,
    ConversationMessageOut,
    ErrorOut,
    InboundIn,
    MessageDeliveryIn,
    TakeoverList,
    TakeoverOut,
)
from backend.state import AppState
from backend.takeovers import (
    MessageDelivery,
    TakeoverSettings,
    active_takeover,
    active_takeovers,
    add_inbound,
    check_conversation_id,
    may_take_over,
    messages_after,
    record_delivery,
    release,
    send_message,
    take_over,
)

router = APIRouter(tags=["conversations"])

_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Missing or invalid token"},
    403: {"model": ErrorOut, "description": "Not allowed for this conversation"},
    404: {"model": ErrorOut, "description": "Not found"},
    409: {"model": ErrorOut, "description": "Held by someone else, or no takeover active"},
    422: {"model": ErrorOut, "description": "Invalid input"},
}
_CONVERSATION = Path(..., min_length=3, max_length=255, description="Rasa's sender id")
_PREFIX = "/api/v1/conversations/{conversation_id}"


def takeover_out(takeover: Takeover) -> TakeoverOut:
    """The API view of a takeover."""
    return TakeoverOut(
        conversation_id=takeover.conversation_id,
        holder=takeover.holder,
        started_at=takeover.started_at,
        last_activity_at=takeover.last_activity_at,
        active=takeover.active_key is not None,
        tracking_id=takeover.tracking_id,
    )


def message_out(message: TakeoverMessage) -> ConversationMessageOut:
    """The API view of a takeover message."""
    return ConversationMessageOut(
        id=message.id,
        author=message.author,
        text=message.text,
        at=message.created_at,
        state=message.state,
        reason=message.reason,
        attachments=list(message.attachments or []),
        officer=message.officer,
        event_id=message.event_id,
    )


def _settings(state: AppState) -> TakeoverSettings:
    return TakeoverSettings(
        idle_minutes=state.settings.takeover_idle_minutes,
        show_agent_name=state.settings.takeover_show_agent_name,
    )


@router.post(f"{_PREFIX}/takeover", response_model=TakeoverOut, responses=_ERRORS)
def post_takeover(
    conversation_id: str = _CONVERSATION,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Take the chat over: the bot stops answering it until it is handed back."""
    principal.require(Role.OFFICER, Role.ADMIN)
    takeover = take_over(session, conversation_id, principal, _settings(state))
    return model_response(takeover_out(takeover))


@router.post(
    f"{_PREFIX}/messages",
    status_code=201,
    response_model=ConversationMessageOut,
    responses=_ERRORS,
)
def post_message(
    body: ConversationMessageIn,
    conversation_id: str = _CONVERSATION,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
) -> Response:
    """The holder writes to the citizen (delivered by the notifier)."""
    principal.require(Role.OFFICER, Role.ADMIN)
    message = send_message(session, conversation_id, body.text, principal)
    return model_response(message_out(message), status_code=201)


@router.post(f"{_PREFIX}/release", response_model=TakeoverOut, responses=_ERRORS)
def post_release(
    conversation_id: str = _CONVERSATION,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
) -> Response:
    """Hand the chat back to the bot (the holder, or an admin)."""
    principal.require(Role.OFFICER, Role.ADMIN)
    takeover = release(session, conversation_id, principal)
    return model_response(takeover_out(takeover))


@router.get(f"{_PREFIX}/messages", response_model=ConversationMessageList, responses=_ERRORS)
def get_messages(
    conversation_id: str = _CONVERSATION,
    after: int = Query(0, ge=0, le=2**62, description="Only messages after this id"),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(read_only_session),
) -> Response:
    """Takeover messages (officer and citizen), oldest first, for polling."""
    check_conversation_id(conversation_id)
    if principal.role is not Role.SERVICE and not may_take_over(
        session, conversation_id, principal
    ):
        raise ForbiddenError("This conversation is not linked to a report of your agency.")
    current = active_takeover(session, conversation_id)
    body = ConversationMessageList(
        messages=[message_out(m) for m in messages_after(session, conversation_id, after)],
        takeover=takeover_out(current) if current else None,
    )
    return model_response(body)


@router.post(
    f"{_PREFIX}/inbound",
    status_code=201,
    response_model=ConversationMessageOut,
    responses=_ERRORS,
)
def post_inbound(
    body: InboundIn,
    conversation_id: str = _CONVERSATION,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
) -> Response:
    """The gateway passes on a citizen's message; 409 when no takeover is active."""
    principal.require(Role.SERVICE)
    message = add_inbound(session, conversation_id, body.text, body.attachments)
    return model_response(message_out(message), status_code=201)


@router.put(f"{_PREFIX}/deliveries/{{event_id}}", status_code=204, responses=_ERRORS)
def put_delivery(
    body: MessageDeliveryIn,
    conversation_id: str = _CONVERSATION,
    event_id: str = Path(..., max_length=32),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
) -> Response:
    """The notifier reports how an officer's message went (failed: with the reason)."""
    principal.require(Role.SERVICE)
    delivery = MessageDelivery(
        state=body.state.value,
        reason=body.reason,
        message_id=body.message_id,
        channel=body.channel,
    )
    record_delivery(session, conversation_id, event_id, delivery)
    return Response(status_code=204)


@router.get("/api/v1/takeovers/active", response_model=TakeoverList, responses=_ERRORS)
def get_active(
    principal: Principal = Depends(current_principal),
    session: Session = Depends(read_only_session),
) -> Response:
    """Every active takeover (the gateway reads them when it starts)."""
    principal.require(Role.SERVICE, Role.ADMIN)
    body = TakeoverList(takeovers=[takeover_out(t) for t in active_takeovers(session)])
    return model_response(body)
