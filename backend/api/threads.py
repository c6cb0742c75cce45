"""`/api/v1/complaints/{tracking_id}/questions` and `/thread`: a report's thread."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from sqlalchemy.orm import Session
from starlette.responses import Response

from backend.api.deps import app_state, current_principal, db_session
from backend.api.responses import model_response
from backend.auth import Principal, Role
from backend.complaints import lock_complaint
from backend.db import utcnow
from backend.errors import ForbiddenError
from backend.presenters import thread_entry_out
from backend.schemas import ErrorOut, QuestionIn, ThreadEntryIn, ThreadEntryOut
from backend.state import AppState
from backend.threads import add_citizen_entry, ask_reporter, may_add_to_thread

router = APIRouter(prefix="/api/v1/complaints", tags=["threads"])

_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Missing or invalid token"},
    403: {"model": ErrorOut, "description": "Not allowed for this report"},
    404: {"model": ErrorOut, "description": "No such report"},
    409: {"model": ErrorOut, "description": "The report is finished"},
    422: {"model": ErrorOut, "description": "Invalid input"},
}


@router.post(
    "/{tracking_id}/questions",
    status_code=201,
    response_model=ThreadEntryOut,
    responses=_ERRORS,
)
def post_question(
    body: QuestionIn,
    tracking_id: str = Path(..., max_length=40),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """An officer of the report's agency (or an admin) asks the reporter something.

    The report then waits for the reporter (`waiting_for_reporter`, `reporter_due`);
    the notifier sends the question to the citizen's chat (event `complaint.question`).
    """
    principal.require(Role.OFFICER, Role.ADMIN)
    now = utcnow()
    report = lock_complaint(session, tracking_id)
    entry = ask_reporter(
        session,
        report,
        body.text,
        principal,
        state.settings.reporter_answer_days,
        state.policy.local_date(now),
        now,
    )
    session.commit()
    out = thread_entry_out(entry, {n.event_id: n for n in report.notifications})
    return model_response(out, status_code=201)


@router.post(
    "/{tracking_id}/thread",
    status_code=201,
    response_model=ThreadEntryOut,
    responses=_ERRORS,
)
def post_thread_entry(
    body: ThreadEntryIn,
    tracking_id: str = Path(..., max_length=40),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
) -> Response:
    """The reporter's answer or added information, from the chat (the service)."""
    principal.require(Role.SERVICE)
    report = lock_complaint(session, tracking_id)
    if not may_add_to_thread(session, report, body.chat_id):
        raise ForbiddenError("This chat may not add to the report: it is not the reporter's.")
    entry = add_citizen_entry(
        session, report, body.chat_id, body.text, body.attachments, body.kind.value
    )
    session.commit()
    return model_response(thread_entry_out(entry, {}), status_code=201)
