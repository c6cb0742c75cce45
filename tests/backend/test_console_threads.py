"""Console pages of issue 17: asking the reporter, reading answers, taking a chat over."""

from __future__ import annotations

import datetime as dt
import json

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.models import AuditEntry, OutboxEvent, TakeoverMessage, ThreadEntry
from tests.backend.conftest import AUTH, add_user, create_report
from tests.backend.console_client import logged_in, page_csrf
from tests.backend.test_api_takeovers import link

PASSWORD = "sandi-rahasia-123"


def accounts(engine: Engine) -> None:
    add_user(engine, "budi", PASSWORD, "officer", "DBMSDA")
    add_user(engine, "rina", PASSWORD, "officer", "DBMSDA")
    add_user(engine, "dewi", PASSWORD, "officer", "DINKES")
    add_user(engine, "admin", PASSWORD, "admin")


def actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


async def test_ask_see_the_answer_and_the_unread_badge(
    app: FastAPI, client: httpx.AsyncClient, engine: Engine
) -> None:
    accounts(engine)
    tid = (await create_report(client, privacy="anonymous"))["tracking_id"]
    async with logged_in(app, "budi", PASSWORD) as budi:
        token = await page_csrf(budi, f"/admin/reports/{tid}")
        page = await budi.get(f"/admin/reports/{tid}")
        assert "Tanya pelapor" in page.text
        no_csrf = await budi.post(f"/admin/reports/{tid}/questions", data={"text": "RT berapa?"})
        assert no_csrf.status_code in (400, 403)
        empty = await budi.post(
            f"/admin/reports/{tid}/questions", data={"text": " ", "csrf_token": token}
        )
        assert empty.status_code == 409  # the page again, with the reason
        asked = await budi.post(
            f"/admin/reports/{tid}/questions",
            data={"text": "RT berapa? Hubungi 081234567890", "csrf_token": token},
        )
        assert asked.status_code == 303
        page = await budi.get(asked.headers["location"])
        assert "Pertanyaan dikirim ke pelapor." in page.text
        assert "Menunggu jawaban pelapor" in page.text
        assert "RT berapa?" in page.text

        answered = await client.post(
            f"/api/v1/complaints/{tid}/thread",
            json={"chat_id": "telegram:42", "text": "RT 03, telp saya 081299998888"},
            headers=AUTH,
        )
        assert answered.status_code == 201
        listing = await budi.get("/admin/reports?unread=1")
        assert tid in listing.text and "Jawaban baru" in listing.text
        page = await budi.get(f"/admin/reports/{tid}")
        assert "RT 03" in page.text
        assert "081299998888" not in page.text  # masked for an anonymous report
        assert "telegram:42" not in page.text
        listing = await budi.get("/admin/reports?unread=1")
        assert tid not in listing.text  # read now
    assert actions(engine).count("thread_question") == 1
    assert actions(engine).count("thread_read") == 1
    with Session(engine) as session:
        entries = session.execute(select(ThreadEntry).order_by(ThreadEntry.id)).scalars().all()
    assert entries[1].read_at is not None


async def test_another_agency_cannot_ask(
    app: FastAPI, client: httpx.AsyncClient, engine: Engine
) -> None:
    accounts(engine)
    tid = (await create_report(client))["tracking_id"]
    async with logged_in(app, "dewi", PASSWORD) as dewi:
        token = await page_csrf(dewi, "/admin/reports")
        response = await dewi.post(
            f"/admin/reports/{tid}/questions", data={"text": "Halo", "csrf_token": token}
        )
    assert response.status_code == 404  # not even visible to her
    with Session(engine) as session:
        assert session.execute(select(ThreadEntry)).first() is None


async def test_take_over_write_and_hand_back_in_the_console(
    app: FastAPI, client: httpx.AsyncClient, engine: Engine
) -> None:
    accounts(engine)
    tid = (await create_report(client))["tracking_id"]
    link(engine, "telegram:42", tid, conversation_id=7)
    async with logged_in(app, "budi", PASSWORD) as budi, logged_in(app, "rina", PASSWORD) as rina:
        token = await page_csrf(budi, "/admin/conversations/7")
        assert "Ambil alih chat" in (await budi.get("/admin/conversations/7")).text
        taken = await budi.post("/admin/conversations/7/takeover", data={"csrf_token": token})
        assert taken.status_code == 303
        page = await budi.get("/admin/conversations/7")
        assert "Anda sedang menjawab chat ini" in page.text
        assert "takeover.js" in page.text
        sent = await budi.post(
            "/admin/conversations/7/messages",
            data={"text": "Selamat siang, Bu", "csrf_token": token},
        )
        assert sent.status_code == 303
        await client.post(
            "/api/v1/conversations/telegram:42/inbound", json={"text": "Siang Pak"}, headers=AUTH
        )
        page = await budi.get("/admin/conversations/7")
        assert "Selamat siang, Bu" in page.text and "ditulis petugas" in page.text
        assert "Siang Pak" in page.text
        export = await budi.get("/admin/conversations/7/export.jsonl")
        rows = [json.loads(line) for line in export.text.splitlines()]
        assert [(r["kind"], r["text"], r["name"]) for r in rows] == [
            ("person", "Selamat siang, Bu", "budi"),
            ("user_to_person", "Siang Pak", None),
        ]
        csv_export = await budi.get("/admin/conversations/7/export.csv")
        assert "person,Selamat siang, Bu" not in csv_export.text  # quoted: it has a comma
        assert "user_to_person,Siang Pak" in csv_export.text
        feed = (await budi.get("/admin/conversations/7/takeover.json?after=0")).json()
        assert [m["author"] for m in feed["messages"]] == ["officer", "citizen"]
        assert feed["holder"] == "budi"

        rina_token = await page_csrf(rina, "/admin/conversations/7")
        page = await rina.get("/admin/conversations/7")
        assert "Chat ini sedang dijawab oleh budi." in page.text
        refused = await rina.post(
            "/admin/conversations/7/takeover", data={"csrf_token": rina_token}
        )
        assert refused.status_code == 409
        assert "budi" in refused.text

        back = await budi.post("/admin/conversations/7/release", data={"csrf_token": token})
        assert back.status_code == 303
        assert "Ambil alih chat" in (await budi.get("/admin/conversations/7")).text
    with Session(engine) as session:
        types = (
            session.execute(
                select(OutboxEvent.event_type).where(OutboxEvent.event_type.like("conversation.%"))
            )
            .scalars()
            .all()
        )
        messages = session.execute(select(TakeoverMessage)).scalars().all()
    assert sorted(types) == [
        "conversation.message",
        "conversation.released",
        "conversation.takeover",
    ]
    assert len(messages) == 2
    logged = actions(engine)
    assert {"takeover", "takeover_message", "takeover_release"} <= set(logged)


async def test_an_officer_of_another_agency_cannot_take_over(
    app: FastAPI, client: httpx.AsyncClient, engine: Engine
) -> None:
    accounts(engine)
    tid = (await create_report(client))["tracking_id"]
    link(engine, "telegram:42", tid, conversation_id=7)
    async with logged_in(app, "dewi", PASSWORD) as dewi:
        token = await page_csrf(dewi, "/admin/reports")
        response = await dewi.post("/admin/conversations/7/takeover", data={"csrf_token": token})
        assert response.status_code == 404  # the conversation is not linked to her agency


async def test_the_dashboard_counts_answers_and_their_median_time(
    app: FastAPI, client: httpx.AsyncClient, engine: Engine
) -> None:
    accounts(engine)
    first = (await create_report(client))["tracking_id"]
    second = (await create_report(client))["tracking_id"]
    async with logged_in(app, "budi", PASSWORD) as budi:
        token = await page_csrf(budi, "/admin/reports")
        for tid in (first, second):
            asked = await budi.post(
                f"/admin/reports/{tid}/questions",
                data={"text": "Nomor rumah?", "csrf_token": token},
            )
            assert asked.status_code == 303
        await client.post(
            f"/api/v1/complaints/{first}/thread",
            json={"chat_id": "telegram:42", "text": "No. 12"},
            headers=AUTH,
        )
        with Session(engine) as session:  # the question was asked two hours before the answer
            question = (
                session.execute(
                    select(ThreadEntry)
                    .where(ThreadEntry.kind == "question")
                    .order_by(ThreadEntry.id)
                )
                .scalars()
                .first()
            )
            assert question is not None
            question.created_at = question.created_at - dt.timedelta(hours=2)
            session.commit()
        page = await budi.get("/admin/dashboard")
    assert "Jawaban pelapor" in page.text
    assert "dari 2 pertanyaan" in page.text
    assert "2,0 jam" in page.text
