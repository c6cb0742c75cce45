"""Console forms of issue 17: asking the reporter, and taking a chat over from the bot.

Every action is audited in the transaction of the change; forms carry the session's
CSRF token like the other console forms. The conversation routes use the console's
conversation id (an integer) and act on its sender id (`telegram:123`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from backend.api.deps import app_state, db_session
from backend.complaints import get_complaint, lock_complaint
from backend.console import audit
from backend.console.masking import mask_chat_id
from backend.console.routes_conversations import _conversation, conversation_view
from backend.console.routes_reports import report_refused
from backend.console.web import PREFIX, Viewer, case_worker, check_csrf, redirect
from backend.db import utcnow
from backend.errors import ApiError, NotFoundError
from backend.state import AppState
from backend.takeovers import (
    TakeoverSettings,
    active_takeover,
    messages_after,
    release,
    send_message,
    take_over,
)
from backend.threads import ask_reporter

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.post("/reports/{tracking_id}/questions")
def ask(
    request: Request,
    tracking_id: str,
    text: str = Form("", max_length=4000),
    csrf_token: str = Form(""),
    user: Viewer = Depends(case_worker),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Ask the reporter something; the report then waits for the answer."""
    check_csrf(user, csrf_token)
    get_complaint(db, tracking_id, user.principal)  # 404 unless visible to the user
    now = utcnow()
    try:
        report = lock_complaint(db, tracking_id)
        entry = ask_reporter(
            db,
            report,
            text,
            user.principal,
            state.settings.reporter_answer_days,
            state.policy.local_date(now),
            now,
        )
        audit.record(
            db,
            user.actor,
            audit.THREAD_QUESTION,
            "report",
            report.tracking_id,
            {"question_id": entry.id, "text": entry.text},
        )
        db.commit()
    except ApiError as exc:
        return report_refused(request, user, db, state, tracking_id, exc)
    return redirect(f"{PREFIX}/reports/{report.tracking_id}?asked=1#thread")


def _sender(db: Session, conversation_id: int, user: Viewer) -> str:
    return _conversation(db, conversation_id, user).sender_id


def _back(conversation_id: int, error: str | None = None) -> Response:
    suffix = "?takeover_error=1" if error else ""
    return redirect(f"{PREFIX}/conversations/{conversation_id}{suffix}#takeover")


@router.post("/conversations/{conversation_id}/takeover")
def take_over_chat(
    request: Request,
    conversation_id: int,
    csrf_token: str = Form(""),
    user: Viewer = Depends(case_worker),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Take the chat over: the bot stops answering; the citizen is told."""
    check_csrf(user, csrf_token)
    sender = _sender(db, conversation_id, user)
    settings = TakeoverSettings(
        idle_minutes=state.settings.takeover_idle_minutes,
        show_agent_name=state.settings.takeover_show_agent_name,
    )
    audit.record(
        db,
        user.actor,
        audit.TAKEOVER,
        "conversation",
        str(conversation_id),
        {"chat": mask_chat_id(sender)},
    )
    try:
        take_over(db, sender, user.principal, settings)  # commits with the audit entry
    except ApiError as exc:
        db.rollback()
        return _takeover_refused(request, conversation_id, user, db, state, exc)
    return _back(conversation_id)


@router.post("/conversations/{conversation_id}/messages")
def write_to_citizen(
    request: Request,
    conversation_id: int,
    text: str = Form("", max_length=4000),
    csrf_token: str = Form(""),
    user: Viewer = Depends(case_worker),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """The holder writes to the citizen (sent by the notifier on the citizen's channel)."""
    check_csrf(user, csrf_token)
    sender = _sender(db, conversation_id, user)
    audit.record(
        db,
        user.actor,
        audit.TAKEOVER_MESSAGE,
        "conversation",
        str(conversation_id),
        {"chars": len(text.strip())},
    )
    try:
        send_message(db, sender, text, user.principal)
    except ApiError as exc:
        db.rollback()
        return _takeover_refused(request, conversation_id, user, db, state, exc)
    return _back(conversation_id)


@router.post("/conversations/{conversation_id}/release")
def hand_back(
    request: Request,
    conversation_id: int,
    csrf_token: str = Form(""),
    user: Viewer = Depends(case_worker),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Hand the chat back to the bot."""
    check_csrf(user, csrf_token)
    sender = _sender(db, conversation_id, user)
    audit.record(db, user.actor, audit.TAKEOVER_RELEASE, "conversation", str(conversation_id))
    try:
        release(db, sender, user.principal)
    except ApiError as exc:
        db.rollback()
        return _takeover_refused(request, conversation_id, user, db, state, exc)
    return _back(conversation_id)


@router.get("/conversations/{conversation_id}/takeover.json")
def takeover_feed(
    conversation_id: int,
    after: int = Query(0, ge=0, le=2**62),
    user: Viewer = Depends(case_worker),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """New takeover messages, for the page's polling script (JSON)."""
    sender = _sender(db, conversation_id, user)
    current = active_takeover(db, sender)
    tz = state.policy.timezone
    body = {
        "holder": current.holder if current else None,
        "messages": [
            {
                "id": m.id,
                "author": m.author,
                "officer": m.officer,
                "text": m.text,
                "time": m.created_at.astimezone(tz).strftime("%H:%M:%S"),
                "state": m.state,
                "reason": m.reason,
                "attachments": len(m.attachments or []),
            }
            for m in messages_after(db, sender, after)
        ],
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _takeover_refused(
    request: Request,
    conversation_id: int,
    user: Viewer,
    db: Session,
    state: AppState,
    exc: ApiError,
) -> Response:
    """The conversation page again, with the reason (e.g. who holds the chat)."""
    if isinstance(exc, NotFoundError):
        raise exc
    response = conversation_view(request, conversation_id, False, user, db, state, exc.message)
    response.status_code = exc.status_code
    return response
