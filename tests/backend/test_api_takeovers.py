"""A person takes a chat over from the bot, through the API (issue 17)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.db import utcnow
from backend.models import Conversation, ConversationReport, OutboxEvent, Takeover
from backend.settings import BackendSettings
from backend.state import AppState
from backend.thread_jobs import run_jobs
from tests.backend.conftest import AUTH, add_user, create_report, login

CHAT = "telegram:42"
BASE = f"/api/v1/conversations/{CHAT}"


def link(engine: Engine, sender_id: str, tracking_id: str, conversation_id: int = 1) -> None:
    """Index a conversation of `sender_id` in which `tracking_id` was filed."""
    now = utcnow()
    with Session(engine) as session:
        session.add(
            Conversation(
                id=conversation_id,
                sender_id=sender_id,
                channel=sender_id.partition(":")[0],
                started_at=now,
                last_activity_at=now,
                last_event_id=conversation_id,
                event_count=1,
                user_messages=1,
                fallbacks=0,
                ended_on_fallback=False,
                form_started=True,
                status_checked=False,
                submission_queued=False,
                search_text="",
            )
        )
        session.flush()
        session.add(ConversationReport(conversation_id=conversation_id, tracking_id=tracking_id))
        session.commit()


@pytest.fixture
async def linked(client: httpx.AsyncClient, engine: Engine) -> str:
    """A DBMSDA report filed from CHAT, linked to its conversation; its tracking ID."""
    report = await create_report(client, reporter={"chat_id": CHAT, "language": "id"})
    link(engine, CHAT, report["tracking_id"])
    tracking_id: str = report["tracking_id"]
    return tracking_id


@pytest.fixture
async def officers(client: httpx.AsyncClient, engine: Engine) -> dict[str, dict[str, str]]:
    """Tokens: two DBMSDA officers, a DINKES officer and an admin."""
    accounts = {
        "budi": "DBMSDA",
        "rina": "DBMSDA",
        "dewi": "DINKES",
        "admin": None,
    }
    headers = {}
    for name, agency in accounts.items():
        add_user(
            engine, name, f"rahasia-{name}-123", "admin" if agency is None else "officer", agency
        )
        headers[name] = await login(client, name, f"rahasia-{name}-123")
    return headers


def events(engine: Engine, event_type: str) -> list[dict[str, object]]:
    with Session(engine) as session:
        rows = session.execute(
            select(OutboxEvent)
            .where(OutboxEvent.event_type == event_type)
            .order_by(OutboxEvent.created_at)
        ).scalars()
        return [dict(row.payload) | {"_tracking_id": row.tracking_id} for row in rows]


async def test_take_over_write_and_hand_back_with_events(
    client: httpx.AsyncClient, engine: Engine, linked: str, officers: dict[str, dict[str, str]]
) -> None:
    budi = officers["budi"]
    taken = await client.post(f"{BASE}/takeover", headers=budi)
    assert taken.status_code == 200, taken.text
    body = taken.json()
    assert (body["conversation_id"], body["holder"], body["active"]) == (CHAT, "budi", True)
    assert set(body) >= {"conversation_id", "holder", "started_at", "last_activity_at", "active"}
    again = await client.post(f"{BASE}/takeover", headers=budi)
    assert again.status_code == 200
    assert again.json()["started_at"] == body["started_at"]

    [takeover_event] = events(engine, "conversation.takeover")
    assert takeover_event == {
        "event_id": takeover_event["event_id"],
        "type": "conversation.takeover",
        "chat_id": CHAT,
        "tracking_id": linked,
        "status": "",
        "language": "id",
        "agent_name": None,
        "at": takeover_event["at"],
        "_tracking_id": linked,
    }

    active = (await client.get("/api/v1/takeovers/active", headers=AUTH)).json()
    assert [t["conversation_id"] for t in active["takeovers"]] == [CHAT]

    sent = await client.post(
        f"{BASE}/messages", json={"text": " Selamat siang, Bu. "}, headers=budi
    )
    assert sent.status_code == 201, sent.text
    message = sent.json()
    assert (message["author"], message["text"], message["state"]) == (
        "officer",
        "Selamat siang, Bu.",
        "queued",
    )
    [message_event] = events(engine, "conversation.message")
    assert message_event == {
        "event_id": message_event["event_id"],
        "type": "conversation.message",
        "chat_id": CHAT,
        "tracking_id": linked,
        "status": "",
        "language": "id",
        "text": "Selamat siang, Bu.",
        "message_id": message["id"],
        "at": message_event["at"],
        "_tracking_id": linked,
    }

    inbound = await client.post(
        f"{BASE}/inbound", json={"text": "Siang, Pak", "attachments": []}, headers=AUTH
    )
    assert inbound.status_code == 201, inbound.text
    assert inbound.json()["author"] == "citizen"

    delivered = await client.put(
        f"{BASE}/deliveries/{message_event['event_id']}",
        json={"state": "failed", "reason": "bot was blocked by the user", "channel": "telegram"},
        headers=AUTH,
    )
    assert delivered.status_code == 204
    listing = (await client.get(f"{BASE}/messages", headers=budi)).json()
    assert [(m["author"], m["state"]) for m in listing["messages"]] == [
        ("officer", "failed"),
        ("citizen", "received"),
    ]
    assert listing["messages"][0]["reason"] == "bot was blocked by the user"
    newer = (await client.get(f"{BASE}/messages?after={message['id']}", headers=budi)).json()
    assert [m["text"] for m in newer["messages"]] == ["Siang, Pak"]

    released = await client.post(f"{BASE}/release", headers=budi)
    assert released.status_code == 200
    assert released.json()["active"] is False
    [released_event] = events(engine, "conversation.released")
    assert released_event["reason"] == "officer"
    assert (released_event["chat_id"], released_event["status"]) == (CHAT, "")
    after = await client.post(f"{BASE}/inbound", json={"text": "Halo?"}, headers=AUTH)
    assert after.status_code == 409
    assert (await client.get("/api/v1/takeovers/active", headers=AUTH)).json()["takeovers"] == []


async def test_a_second_officer_is_told_who_holds_the_chat(
    client: httpx.AsyncClient, linked: str, officers: dict[str, dict[str, str]]
) -> None:
    assert (await client.post(f"{BASE}/takeover", headers=officers["budi"])).status_code == 200
    second = await client.post(f"{BASE}/takeover", headers=officers["rina"])
    assert second.status_code == 409
    assert "budi" in second.json()["message"]
    refused = await client.post(f"{BASE}/messages", json={"text": "Halo"}, headers=officers["rina"])
    assert refused.status_code == 409
    assert (await client.post(f"{BASE}/release", headers=officers["rina"])).status_code == 409
    # An admin may hand any chat back.
    assert (await client.post(f"{BASE}/release", headers=officers["admin"])).status_code == 200
    assert (await client.post(f"{BASE}/takeover", headers=officers["rina"])).status_code == 200


async def test_refusals(
    client: httpx.AsyncClient, linked: str, officers: dict[str, dict[str, str]]
) -> None:
    other = await client.post(f"{BASE}/takeover", headers=officers["dewi"])
    assert other.status_code == 403
    unlinked = await client.post(
        "/api/v1/conversations/telegram:7/takeover", headers=officers["budi"]
    )
    assert unlinked.status_code == 403
    assert (await client.get(f"{BASE}/messages", headers=officers["dewi"])).status_code == 403
    assert (await client.post(f"{BASE}/takeover", headers=AUTH)).status_code == 403
    assert (await client.post(f"{BASE}/takeover")).status_code == 401
    nobody = await client.post(f"{BASE}/messages", json={"text": "Halo"}, headers=officers["budi"])
    assert nobody.status_code == 409
    bad_id = await client.post("/api/v1/conversations/nocolon/takeover", headers=officers["admin"])
    assert bad_id.status_code == 422
    await client.post(f"{BASE}/takeover", headers=officers["budi"])
    for body in ({"text": ""}, {"text": "x" * 2001}, {}):
        response = await client.post(f"{BASE}/messages", json=body, headers=officers["budi"])
        assert response.status_code == 422, body
    unknown = await client.post(
        f"{BASE}/inbound", json={"text": "foto", "attachments": ["0" * 32]}, headers=AUTH
    )
    assert unknown.status_code == 422
    assert (
        await client.post(f"{BASE}/inbound", json={"text": " "}, headers=AUTH)
    ).status_code == 422
    missing = await client.put(
        f"{BASE}/deliveries/{'0' * 32}", json={"state": "sent"}, headers=AUTH
    )
    assert missing.status_code == 404


async def test_an_admin_takes_over_any_chat_and_the_name_setting(
    client: httpx.AsyncClient,
    engine: Engine,
    settings: BackendSettings,
    state: AppState,
    officers: dict[str, dict[str, str]],
) -> None:
    state.settings = settings.copy(update={"takeover_show_agent_name": True})
    taken = await client.post(
        "/api/v1/conversations/whatsapp:62811/takeover", headers=officers["admin"]
    )
    assert taken.status_code == 200
    [event] = events(engine, "conversation.takeover")
    assert (event["agent_name"], event["tracking_id"], event["_tracking_id"]) == ("admin", "", "")


async def test_idle_takeovers_are_handed_back_by_the_job(
    client: httpx.AsyncClient,
    engine: Engine,
    state: AppState,
    linked: str,
    officers: dict[str, dict[str, str]],
) -> None:
    await client.post(f"{BASE}/takeover", headers=officers["budi"])
    assert run_jobs(state).released == []  # still fresh
    with Session(engine) as session:
        session.execute(
            update(Takeover).values(last_activity_at=utcnow() - dt.timedelta(minutes=31))
        )
        session.commit()
    assert run_jobs(state).released == [CHAT]
    assert run_jobs(state).released == []
    [event] = events(engine, "conversation.released")
    assert (event["reason"], event["chat_id"], event["tracking_id"]) == ("idle", CHAT, linked)
    assert (
        await client.post(f"{BASE}/messages", json={"text": "x"}, headers=officers["budi"])
    ).status_code == 409
