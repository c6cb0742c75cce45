"""A report's thread through the API: officers ask, the reporter answers (issue 17)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.deadlines import add_working_days
from backend.models import (
    Attachment,
    LaporForward,
    LaporOutgoing,
    Notification,
    OutboxEvent,
    Report,
    StatusChange,
    ThreadEntry,
)
from backend.state import AppState
from backend.thread_jobs import run_jobs
from tests.backend.conftest import AUTH, add_user, create_report, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def officer(client: httpx.AsyncClient, engine: Engine) -> dict[str, str]:
    """The Authorization header of an officer of DBMSDA (roads: jalan_jembatan)."""
    add_user(engine, "budi", "rahasia-budi-123", "officer", "DBMSDA")
    return await login(client, "budi", "rahasia-budi-123")


@pytest.fixture
async def other_officer(client: httpx.AsyncClient, engine: Engine) -> dict[str, str]:
    add_user(engine, "dewi", "rahasia-dewi-123", "officer", "DINKES")
    return await login(client, "dewi", "rahasia-dewi-123")


@pytest.fixture
async def admin(client: httpx.AsyncClient, engine: Engine) -> dict[str, str]:
    add_user(engine, "admin", "rahasia-admin-123", "admin")
    return await login(client, "admin", "rahasia-admin-123")


async def ask(
    client: httpx.AsyncClient, tid: str, headers: dict[str, str], text: str = "Nomor rumah?"
) -> httpx.Response:
    return await client.post(
        f"/api/v1/complaints/{tid}/questions", json={"text": text}, headers=headers
    )


async def answer(client: httpx.AsyncClient, tid: str, **body: Any) -> httpx.Response:
    payload = {"chat_id": "telegram:42", "text": "Nomor 12", "kind": "answer", **body}
    return await client.post(f"/api/v1/complaints/{tid}/thread", json=payload, headers=AUTH)


async def upload(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/api/v1/attachments", files={"file": ("lubang.png", PNG, "image/png")}, headers=AUTH
    )
    assert response.status_code == 201, response.text
    attachment_id: str = response.json()["id"]
    return attachment_id


async def test_an_officer_asks_and_the_report_waits_with_an_event(
    client: httpx.AsyncClient, officer: dict[str, str], engine: Engine, state: AppState
) -> None:
    report = await create_report(client, reporter={"chat_id": "telegram:42", "language": "en"})
    tid = report["tracking_id"]
    response = await ask(client, tid, officer, "  Mohon foto lokasi persisnya.  ")
    assert response.status_code == 201, response.text
    entry = response.json()
    assert entry["author"] == "officer"
    assert entry["kind"] == "question"
    assert entry["text"] == "Mohon foto lokasi persisnya."
    assert entry["attachments"] == []
    assert entry["delivery"] == "queued"
    assert set(entry) >= {"id", "author", "kind", "text", "attachments", "at"}

    shown = (await client.get(f"/api/v1/complaints/{tid}", headers=officer)).json()
    assert shown["waiting_for_reporter"] is True
    today = state.policy.local_date(dt.datetime.now(dt.timezone.utc))
    assert shown["reporter_due"] == add_working_days(today, 10).isoformat()
    assert [e["id"] for e in shown["thread"]] == [entry["id"]]

    with Session(engine) as session:
        event = session.execute(
            select(OutboxEvent).where(OutboxEvent.event_type == "complaint.question")
        ).scalar_one()
        notification = session.get(Notification, event.id)
    assert event.tracking_id == tid
    assert event.payload == {
        "event_id": event.id,
        "type": "complaint.question",
        "tracking_id": tid,
        "status": "received",
        "chat_id": "telegram:42",
        "language": "en",
        "notifications_enabled": True,
        "agency": "DBMSDA",
        "report_type": "complaint",
        "category": "jalan_jembatan",
        "channel": "telegram",
        "question_id": entry["id"],
        "text": "Mohon foto lokasi persisnya.",
        "reporter_due": shown["reporter_due"],
        "at": event.payload["at"],
    }
    assert notification is not None
    assert (notification.state, notification.event_type) == ("queued", "complaint.question")


async def test_a_question_goes_even_when_status_updates_are_off(
    client: httpx.AsyncClient, officer: dict[str, str], engine: Engine
) -> None:
    report = await create_report(client)
    off = await client.put(
        "/api/v1/notification-preferences/telegram:42", json={"enabled": False}, headers=AUTH
    )
    assert off.status_code == 200
    assert (await ask(client, report["tracking_id"], officer)).status_code == 201
    with Session(engine) as session:
        event = session.execute(
            select(OutboxEvent).where(OutboxEvent.event_type == "complaint.question")
        ).scalar_one()
    assert event.payload["notifications_enabled"] is True


async def test_a_failed_delivery_of_the_question_is_shown_with_its_reason(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    tid = (await create_report(client))["tracking_id"]
    entry = (await ask(client, tid, officer)).json()
    shown = (await client.get(f"/api/v1/complaints/{tid}", headers=AUTH)).json()
    event_id = shown["notifications"][0]["event_id"]
    put = await client.put(
        f"/api/v1/complaints/{tid}/notifications/{event_id}",
        json={"channel": "telegram", "state": "failed", "reason": "bot blocked by the user"},
        headers=AUTH,
    )
    assert put.status_code == 204
    shown = (await client.get(f"/api/v1/complaints/{tid}", headers=officer)).json()
    question = shown["thread"][0]
    assert question["id"] == entry["id"]
    assert (question["delivery"], question["delivery_reason"]) == (
        "failed",
        "bot blocked by the user",
    )


async def test_the_reporter_answers_with_a_photo_and_the_wait_ends(
    client: httpx.AsyncClient, officer: dict[str, str], engine: Engine
) -> None:
    tid = (await create_report(client))["tracking_id"]
    await ask(client, tid, officer)
    photo = await upload(client)
    response = await answer(client, tid, text="Ini fotonya", attachments=[photo])
    assert response.status_code == 201, response.text
    entry = response.json()
    assert (entry["author"], entry["kind"], entry["text"]) == ("citizen", "answer", "Ini fotonya")
    assert [a["id"] for a in entry["attachments"]] == [photo]
    assert entry["attachments"][0]["url"] == f"/api/v1/attachments/{photo}"

    shown = (await client.get(f"/api/v1/complaints/{tid}", headers=officer)).json()
    assert shown["waiting_for_reporter"] is False
    assert shown["reporter_due"] is None
    assert [e["author"] for e in shown["thread"]] == ["officer", "citizen"]
    assert photo not in shown["attachments"]  # shown with its entry, not as a report file
    download = await client.get(f"/api/v1/attachments/{photo}", headers=officer)
    assert download.status_code == 200
    assert download.content == PNG
    with Session(engine) as session:
        stored = session.get(Attachment, photo)
        assert stored is not None and stored.thread_entry_id == entry["id"]


async def test_information_without_a_question_is_added(client: httpx.AsyncClient) -> None:
    tid = (await create_report(client))["tracking_id"]
    response = await answer(client, tid, kind="info", text="Lubangnya makin lebar")
    assert response.status_code == 201
    shown = (await client.get(f"/api/v1/complaints/{tid}", headers=AUTH)).json()
    assert [(e["kind"], e["text"]) for e in shown["thread"]] == [("info", "Lubangnya makin lebar")]
    assert shown["waiting_for_reporter"] is False


async def test_officers_of_anonymous_reports_see_the_answer_never_the_identity(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    tid = (await create_report(client, privacy="anonymous"))["tracking_id"]
    await ask(client, tid, officer)
    await answer(client, tid, text="Di depan warung")
    response = await client.get(f"/api/v1/complaints/{tid}", headers=officer)
    assert response.json()["thread"][1]["text"] == "Di depan warung"
    assert "telegram:42" not in response.text
    assert "Siti" not in response.text


async def test_refusals_of_questions(
    client: httpx.AsyncClient,
    officer: dict[str, str],
    other_officer: dict[str, str],
    admin: dict[str, str],
) -> None:
    tid = (await create_report(client))["tracking_id"]
    other = await ask(client, tid, other_officer)
    assert other.status_code == 403
    assert other.json()["error"] == "forbidden"
    assert (await ask(client, tid, AUTH)).status_code == 403  # the service does not ask
    assert (await ask(client, tid, {})).status_code == 401
    assert (await ask(client, "TNG-2026-999999", officer)).status_code == 404
    for text in ("", "   ", "x" * 2001):
        assert (await ask(client, tid, officer, text)).status_code == 422, text
    assert (await ask(client, tid, admin, "Dari admin")).status_code == 201


@pytest.mark.parametrize("status", ["rejected", "archived"])
async def test_no_questions_or_answers_on_a_finished_report(
    client: httpx.AsyncClient, officer: dict[str, str], status: str
) -> None:
    tid = (await create_report(client))["tracking_id"]
    changed = await client.post(
        f"/api/v1/complaints/{tid}/status",
        json={"status": status, "note": "bukan wewenang"},
        headers=AUTH,
    )
    assert changed.status_code == 200
    refused = await ask(client, tid, officer)
    assert refused.status_code == 409
    assert status in refused.json()["message"]
    assert (await answer(client, tid)).status_code == 409


async def test_refusals_of_citizen_entries(client: httpx.AsyncClient) -> None:
    tid = (await create_report(client))["tracking_id"]
    stranger = await answer(client, tid, chat_id="telegram:999")
    assert stranger.status_code == 403
    assert (await answer(client, tid, kind="question")).status_code == 422
    assert (await answer(client, tid, text="", attachments=[])).status_code == 422
    assert (await answer(client, tid, attachments=["0" * 32])).status_code == 422
    photo = await upload(client)
    assert (await answer(client, tid, attachments=[photo])).status_code == 201
    reused = await answer(client, tid, attachments=[photo])
    assert reused.status_code == 422
    assert "already used" in reused.json()["message"]
    assert (await answer(client, "TNG-2026-999999")).status_code == 404


async def test_the_listing_filters_reports_waiting_for_the_reporter(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    waiting = (await create_report(client))["tracking_id"]
    await create_report(client)
    await ask(client, waiting, officer)
    page = (
        await client.get("/api/v1/complaints?waiting_for_reporter=true", headers=officer)
    ).json()
    assert [r["tracking_id"] for r in page["items"]] == [waiting]
    everything = (await client.get("/api/v1/complaints", headers=officer)).json()
    assert everything["total"] == 2


async def test_the_deadline_job_closes_unanswered_reports_and_tells_the_citizen(
    client: httpx.AsyncClient, officer: dict[str, str], engine: Engine, state: AppState
) -> None:
    late = (await create_report(client))["tracking_id"]
    answered = (await create_report(client))["tracking_id"]
    fresh = (await create_report(client))["tracking_id"]
    for tid in (late, answered, fresh):
        await ask(client, tid, officer)
    await answer(client, answered)
    with Session(engine) as session:
        for tid in (late, answered):
            row = session.execute(select(Report).where(Report.tracking_id == tid)).scalar_one()
            row.reporter_due = dt.date(2020, 1, 2)
        session.commit()

    result = run_jobs(state)
    assert result.closed == [late]
    assert run_jobs(state).closed == []  # nothing twice

    shown = (await client.get(f"/api/v1/complaints/{late}", headers=AUTH)).json()
    assert shown["status"] == "closed"
    assert shown["waiting_for_reporter"] is False
    assert shown["history"][-1]["note"] == "tidak ada jawaban dari pelapor dalam 10 hari kerja"
    for tid in (answered, fresh):
        other = (await client.get(f"/api/v1/complaints/{tid}", headers=AUTH)).json()
        assert other["status"] == "received"
    with Session(engine) as session:
        events = (
            session.execute(
                select(OutboxEvent).where(
                    OutboxEvent.tracking_id == late,
                    OutboxEvent.event_type == "complaint.status_changed",
                )
            )
            .scalars()
            .all()
        )
        actors = (
            session.execute(
                select(StatusChange.actor).join(Report).where(Report.tracking_id == late)
            )
            .scalars()
            .all()
        )
    assert [e.payload["status"] for e in events] == ["closed"]
    assert events[0].payload["previous_status"] == "received"
    assert events[0].payload["notifications_enabled"] is True
    assert actors[-1] == "sistem"


async def test_questions_and_answers_go_to_lapor_without_identity(
    client: httpx.AsyncClient, officer: dict[str, str], engine: Engine
) -> None:
    tid = (await create_report(client, privacy="anonymous"))["tracking_id"]
    with Session(engine) as session:
        report = session.execute(select(Report).where(Report.tracking_id == tid)).scalar_one()
        session.add(LaporForward(report_id=report.id, state="forwarded", complaint_id="L-1"))
        session.commit()
    await ask(client, tid, officer, "Di RT berapa?")
    await answer(client, tid, text="RT 03")
    with Session(engine) as session:
        contents = (
            session.execute(select(LaporOutgoing.content).order_by(LaporOutgoing.id))
            .scalars()
            .all()
        )
        entries = session.execute(select(ThreadEntry).order_by(ThreadEntry.id)).scalars().all()
    assert contents == [
        f"[{tid}] Pertanyaan petugas kepada pelapor: Di RT berapa?",
        f"[{tid}] Jawaban pelapor: RT 03",
    ]
    assert entries[1].chat_id == "telegram:42"  # stored, never shown to officers
