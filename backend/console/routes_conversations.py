"""Conversation log pages: the filtered list, one transcript, and exports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from math import ceil
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.deps import app_state, db_session
from backend.console import audit
from backend.console.conversations import (
    ConversationItem,
    ConversationQuery,
    get,
    iter_conversations,
    search,
)
from backend.console.export import PersonMessage, export_csv, export_jsonl
from backend.console.indexer import sync
from backend.console.masking import Redactor, mask_chat_id, mask_name, unchanged
from backend.console.summary import Outcome
from backend.console.transcript import EntryKind, transcript
from backend.console.web import PREFIX, Viewer, case_worker, parse_day, render, start_of_day
from backend.errors import NotFoundError
from backend.models import TakeoverMessage
from backend.state import AppState
from backend.takeovers import active_takeover, may_take_over, messages_after, with_takeover_messages

router = APIRouter(prefix=f"{PREFIX}/conversations", include_in_schema=False)
PER_PAGE = 30
CHANNELS = ("telegram", "whatsapp", "rest")
EXPORT_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


def refresh_index(state: AppState) -> None:
    """Bring the index up to date with Rasa's tracker store (bounded work per request)."""
    sync(state.sessions, state.tracker_engine, max_batches=5)


def _yes_no(value: str | None) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


def _outcome(value: str | None) -> Outcome | None:
    try:
        return Outcome(value) if value else None
    except ValueError:
        return None


def _query(request: Request, state: AppState) -> tuple[ConversationQuery, dict[str, str]]:
    """The filters in the address, read leniently (unreadable values mean "any")."""
    zone = state.policy.timezone
    params = {
        k: v.strip()[:200]
        for k, v in request.query_params.items()
        if k in ("channel", "date_from", "date_to", "intent", "fallback", "report", "outcome", "q")
        and v.strip()
    }
    query = ConversationQuery(
        channel=params.get("channel"),
        date_from=start_of_day(parse_day(params.get("date_from")), zone),
        date_to=start_of_day(parse_day(params.get("date_to")), zone, days_later=1),
        intent=params.get("intent"),
        had_fallback=_yes_no(params.get("fallback")),
        linked_report=_yes_no(params.get("report")),
        outcome=_outcome(params.get("outcome")),
        text=params.get("q"),
    )
    return query, params


@router.get("")
def conversation_list(
    request: Request,
    page: int = Query(1, ge=1, le=100_000),
    user: Viewer = Depends(case_worker),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Conversations the user may see, newest activity first, with filters and search."""
    refresh_index(state)
    query, params = _query(request, state)
    items, total = search(
        db, query, agency=user.agency, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    shown = user.sees_personal_data(reveal=False)
    if shown and any(item.display_name for item in items):
        audit.record(
            db, user.actor, audit.VIEW_PERSONAL_DATA, "conversations", None, {"listed": len(items)}
        )
        db.commit()
    return render(
        request,
        "conversations.html",
        user,
        nav="conversations",
        rows=[(item, _who(item, shown)) for item in items],
        total=total,
        page=page,
        pages=max(1, ceil(total / PER_PAGE)),
        query=params,
        query_string=urlencode(params),
        channels=CHANNELS,
        outcomes=[o.value for o in Outcome],
        timezone=state.policy.timezone,
    )


def _who(item: ConversationItem, shown: bool) -> str:
    if shown:
        return item.display_name or item.sender_id
    return mask_name(item.display_name) or mask_chat_id(item.sender_id)


def _conversation(db: Session, conversation_id: int, user: Viewer) -> ConversationItem:
    item = get(db, conversation_id, agency=user.agency)
    if item is None:
        raise NotFoundError("No such conversation, or it is not linked to your agency.")
    return item


@router.get("/export.{kind}")
def export_filtered(
    request: Request,
    kind: str,
    user: Viewer = Depends(case_worker),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Every conversation matching the filters, as JSON Lines or CSV."""
    _check_export_kind(kind)
    refresh_index(state)
    query, params = _query(request, state)
    items = list(iter_conversations(db, query, agency=user.agency))
    audit.record(
        db,
        user.actor,
        audit.EXPORT_CONVERSATIONS,
        "conversations",
        None,
        {"format": kind, "filters": params, "count": len(items)},
    )
    db.commit()
    return _export(items, kind, user, state, "percakapan")


@router.get("/{conversation_id}")
def conversation_page(
    request: Request,
    conversation_id: int,
    reveal: int = Query(0, ge=0, le=1),
    user: Viewer = Depends(case_worker),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """One conversation as a chat transcript, with what the bot understood and did."""
    return conversation_view(request, conversation_id, bool(reveal), user, db, state)


def conversation_view(
    request: Request,
    conversation_id: int,
    reveal: bool,
    user: Viewer,
    db: Session,
    state: AppState,
    error: str | None = None,
) -> Response:
    """The conversation page; `error` explains a refused takeover action."""
    refresh_index(state)
    item = _conversation(db, conversation_id, user)
    shown = user.sees_personal_data(bool(reveal))
    redact = unchanged if shown else Redactor([item.display_name])
    audit.record(
        db,
        user.actor,
        audit.VIEW_CONVERSATION,
        "conversation",
        str(item.id),
        {"personal_data": shown},
    )
    db.commit()
    return render(
        request,
        "conversation.html",
        user,
        nav="conversations",
        item=item,
        who=_who(item, shown),
        sender=item.sender_id if shown else mask_chat_id(item.sender_id),
        entries=with_takeover_messages(
            transcript(state.tracker_engine, item), messages_after(db, item.sender_id)
        ),
        redact=redact,
        may_reveal=not shown,
        Kind=EntryKind,
        timezone=state.policy.timezone,
        takeover=active_takeover(db, item.sender_id),
        may_take_over=may_take_over(db, item.sender_id, user.principal),
        error=error,
        status_code=409 if error else 200,
    )


@router.get("/{conversation_id}/export.{kind}")
def export_one(
    conversation_id: int,
    kind: str,
    user: Viewer = Depends(case_worker),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """One conversation as JSON Lines or CSV."""
    _check_export_kind(kind)
    item = _conversation(db, conversation_id, user)
    audit.record(
        db,
        user.actor,
        audit.EXPORT_CONVERSATIONS,
        "conversation",
        str(item.id),
        {"format": kind},
    )
    db.commit()
    return _export([item], kind, user, state, f"percakapan-{item.id}")


def person_messages(state: AppState, senders: set[str]) -> dict[str, list[PersonMessage]]:
    """The takeover messages of these senders, as plain values (for a streamed export)."""
    found: dict[str, list[PersonMessage]] = {}
    ordered = sorted(senders)
    with state.read_sessions() as session:
        for start in range(0, len(ordered), 500):
            rows = session.execute(
                select(TakeoverMessage)
                .where(TakeoverMessage.conversation_id.in_(ordered[start : start + 500]))
                .order_by(TakeoverMessage.id)
            ).scalars()
            for m in rows:
                found.setdefault(m.conversation_id, []).append(
                    PersonMessage(at=m.created_at, author=m.author, officer=m.officer, text=m.text)
                )
    return found


def _check_export_kind(kind: str) -> None:
    if kind not in EXPORT_TYPES:
        raise NotFoundError("Export as .jsonl or .csv.")


def _export(
    items: list[ConversationItem], kind: str, user: Viewer, state: AppState, name: str
) -> Response:
    """Stream the export; officers get personal data masked."""
    redact: Callable[[str], str]
    redact_sender: Callable[[str], str]
    if user.sees_personal_data(reveal=False):
        redact, redact_sender = unchanged, unchanged
    else:
        redact, redact_sender = Redactor(i.display_name for i in items), mask_chat_id
    writer = export_jsonl if kind == "jsonl" else export_csv
    chunks: Iterator[str] = writer(
        items,
        state.tracker_engine,
        redact=redact,
        redact_sender=redact_sender,
        person_messages=person_messages(state, {i.sender_id for i in items}),
    )
    return StreamingResponse(
        chunks,
        media_type=EXPORT_TYPES[kind],
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{kind}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
