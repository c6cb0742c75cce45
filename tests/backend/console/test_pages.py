"""Conversation and dashboard pages: permissions, masking, search, transcripts, exports."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend.app import create_app
from backend.console.conversations import ConversationQuery, search
from backend.console.export import COLUMNS
from backend.models import AuditEntry
from backend.state import AppState
from tests.backend.conftest import add_user
from tests.backend.console.conftest import Tracker
from tests.backend.console.scenario import A, B, C, Day, F, write_day
from tests.backend.console_client import logged_in

PASSWORD = "sandi-rahasia-123"


@pytest.fixture
def app(state: AppState, tracker: Tracker) -> FastAPI:
    """The backend app reading the test's Rasa tracker store."""
    state.tracker_engine = tracker.reader
    return create_app(state=state)


@pytest.fixture
def day(tracker: Tracker, sessions: sessionmaker, state: AppState, engine: Engine) -> Day:
    """The day's conversations (not yet indexed: the pages index them) and the users."""
    add_user(engine, "admin1", PASSWORD, "admin")
    add_user(engine, "pupr", PASSWORD, "officer", "DBMSDA")  # the road report's agency
    add_user(engine, "dlhk", PASSWORD, "officer", "DLHK")  # the waste report's agency
    add_user(engine, "viewer1", PASSWORD, "viewer")
    return write_day(tracker, sessions, state)


def conversation_id(sessions: sessionmaker, sender: str, tracking_id: str | None = None) -> int:
    """The indexed conversation of `sender` (the one that filed `tracking_id`, if given)."""
    with sessions() as session:
        items, _ = search(session, ConversationQuery(sender_id=sender))
    matches = [i for i in items if tracking_id is None or tracking_id in i.tracking_ids]
    return matches[-1].id


def listed_senders(html: str) -> list[str]:
    return re.findall(r'href="/admin/conversations/(\d+)"', html)


def audit(engine: Engine, action: str) -> list[AuditEntry]:
    with Session(engine) as session:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(session.execute(query).scalars())


async def test_an_admin_lists_every_conversation_with_names_audited(
    app: FastAPI, day: Day, engine: Engine
) -> None:
    async with logged_in(app, "admin1", PASSWORD) as client:
        page = await client.get("/admin/conversations")
    assert page.status_code == 200
    assert len(listed_senders(page.text)) == 7
    assert "Siti Aminah" in page.text and "Laporan dibuat" in page.text
    assert day.road_report in page.text
    [entry] = audit(engine, "view_personal_data")
    assert entry.actor == "admin1" and entry.target_type == "conversations"


async def test_an_officer_sees_only_conversations_of_their_agencys_reports(
    app: FastAPI, day: Day, engine: Engine, sessions: sessionmaker
) -> None:
    async with logged_in(app, "pupr", PASSWORD) as client:
        page = await client.get("/admin/conversations")
        road = conversation_id(sessions, A, day.road_report)
        waste = conversation_id(sessions, F)
        assert listed_senders(page.text) == [str(road)]
        assert "Siti Aminah" not in page.text and "S*** A***" in page.text
        assert (await client.get(f"/admin/conversations/{waste}")).status_code == 404
        assert (await client.get(f"/admin/conversations/{waste}/export.jsonl")).status_code == 404
        everything = await client.get("/admin/conversations/export.jsonl")
        ids = {json.loads(line)["conversation_id"] for line in everything.text.splitlines()}
        assert ids == {road}
    assert audit(engine, "view_personal_data") == []


async def test_search_and_filters_narrow_the_list(
    app: FastAPI, day: Day, sessions: sessionmaker
) -> None:
    async with logged_in(app, "admin1", PASSWORD) as client:
        await client.get("/admin/conversations")  # indexes the tracker store
        road = str(conversation_id(sessions, A, day.road_report))
        whatsapp = str(conversation_id(sessions, B))
        rest = str(conversation_id(sessions, C))
        cases = {
            "q=BERLUBANG": [road],
            "channel=whatsapp": [whatsapp],
            "fallback=1": [rest],
            "intent=share_location": [road],
            "outcome=abandoned&channel=whatsapp": [whatsapp],
            "q=nothing-like-this": [],
        }
        for query, expected in cases.items():
            page = await client.get(f"/admin/conversations?{query}")
            assert page.status_code == 200, query
            assert listed_senders(page.text) == expected, query
        linked = listed_senders((await client.get("/admin/conversations?report=1")).text)
        assert road in linked and whatsapp not in linked and rest not in linked
        odd = await client.get("/admin/conversations?date_from=2026-99-01&outcome=nonsense")
        assert odd.status_code == 200 and len(listed_senders(odd.text)) == 7


async def test_a_transcript_shows_messages_buttons_intents_slots_and_actions(
    app: FastAPI, day: Day, engine: Engine, sessions: sessionmaker
) -> None:
    async with logged_in(app, "admin1", PASSWORD) as client:
        await client.get("/admin/conversations")
        road = conversation_id(sessions, A, day.road_report)
        page = await client.get(f"/admin/conversations/{road}")
        whatsapp = await client.get(f"/admin/conversations/{conversation_id(sessions, B)}")
    assert page.status_code == 200
    text = page.text
    assert "Jalan berlubang di Balaraja dekat pasar" in text  # the citizen
    assert "Halo! Ada yang bisa dibantu?" in text and "utter_greet" in text  # the bot
    assert "<span>Buat laporan</span>" in text  # the buttons offered
    assert "greet 0.93" in text  # the intent and its confidence
    assert "<code>complaint_location</code>" in text  # a slot change
    assert "<code>action_submit_complaint</code>" in text  # an action
    assert "-6.20000, 106.45000" in text  # the shared pin
    assert f'href="/admin/reports/{day.road_report}"' in text  # the report filed in it
    assert "Menekan tombol: <strong>Sampah &amp; Kebersihan</strong>" in whatsapp.text
    [entry] = [e for e in audit(engine, "view_conversation") if e.target_id == str(road)]
    assert entry.actor == "admin1" and json.loads(entry.detail or "{}") == {"personal_data": True}


async def test_officers_see_transcripts_masked_until_they_reveal(
    app: FastAPI, day: Day, engine: Engine, sessions: sessionmaker
) -> None:
    async with logged_in(app, "pupr", PASSWORD) as client:
        await client.get("/admin/conversations")
        road = conversation_id(sessions, A, day.road_report)
        masked = await client.get(f"/admin/conversations/{road}")
        assert "Siti Aminah" not in masked.text and "telegram:100" not in masked.text
        assert "S*** A***" in masked.text
        assert "Jalan berlubang di Balaraja dekat pasar" in masked.text  # the problem stays
        revealed = await client.get(f"/admin/conversations/{road}?reveal=1")
        assert "Siti Aminah" in revealed.text and "telegram:100" in revealed.text
    flags = [json.loads(e.detail or "{}") for e in audit(engine, "view_conversation")]
    assert flags == [{"personal_data": False}, {"personal_data": True}]


async def test_exports_as_jsonl_and_csv_masked_for_officers(
    app: FastAPI, day: Day, engine: Engine, sessions: sessionmaker
) -> None:
    async with logged_in(app, "admin1", PASSWORD) as admin:
        await admin.get("/admin/conversations")
        road = conversation_id(sessions, A, day.road_report)
        jsonl = await admin.get(f"/admin/conversations/{road}/export.jsonl")
        table = await admin.get(f"/admin/conversations/{road}/export.csv")
        filtered = await admin.get("/admin/conversations/export.csv?channel=whatsapp")
        missing = await admin.get(f"/admin/conversations/{road}/export.xml")
    assert jsonl.headers["content-disposition"] == f'attachment; filename="percakapan-{road}.jsonl"'
    rows = [json.loads(line) for line in jsonl.text.splitlines()]
    assert {r["conversation_id"] for r in rows} == {road}
    assert any(r["text"] == "Jalan berlubang di Balaraja dekat pasar" for r in rows)
    assert "Siti Aminah" in jsonl.text and rows[0]["sender"] == A
    parsed = list(csv.reader(io.StringIO(table.text)))
    assert tuple(parsed[0]) == COLUMNS and len(parsed) == len(rows) + 1
    channels = {row[2] for row in list(csv.reader(io.StringIO(filtered.text)))[1:]}
    assert channels == {"whatsapp"}
    assert missing.status_code == 404
    async with logged_in(app, "pupr", PASSWORD) as officer:
        masked = await officer.get(f"/admin/conversations/{road}/export.jsonl")
    assert "Siti Aminah" not in masked.text and '"sender": "telegram:100"' not in masked.text
    assert "Jalan berlubang di Balaraja dekat pasar" in masked.text
    exports = audit(engine, "export_conversations")
    assert [e.actor for e in exports] == ["admin1", "admin1", "admin1", "pupr"]


async def test_the_report_page_links_the_conversation_it_came_from(
    app: FastAPI, day: Day, sessions: sessionmaker
) -> None:
    async with logged_in(app, "pupr", PASSWORD) as client:
        await client.get("/admin/conversations")
        road = conversation_id(sessions, A, day.road_report)
        page = await client.get(f"/admin/reports/{day.road_report}")
    assert f'href="/admin/conversations/{road}"' in page.text


async def test_viewers_get_the_dashboard_but_no_conversations(app: FastAPI, day: Day) -> None:
    async with logged_in(app, "viewer1", PASSWORD) as client:
        assert (await client.get("/admin/conversations")).status_code == 403
        assert (await client.get("/admin/conversations/export.csv")).status_code == 403
        dashboard = await client.get("/admin/dashboard")
    assert dashboard.status_code == 200
    assert dashboard.text.count("<svg") == 5
    assert "Siti" not in dashboard.text and day.road_report not in dashboard.text


async def test_the_dashboard_counts_reports_funnel_and_fallbacks(app: FastAPI, day: Day) -> None:
    async with logged_in(app, "admin1", PASSWORD) as client:
        everything = await client.get("/admin/dashboard")
        none = await client.get("/admin/dashboard?date_from=2020-01-01&date_to=2020-01-31")
        await client.get("/admin/lang/en?next=/admin/dashboard")
        english = await client.get("/admin/dashboard")
    figures = re.findall(r"<strong>([^<]*)</strong>", everything.text)
    assert figures[0] == "2"  # two reports filed
    assert "Jalan &amp; Jembatan" in everything.text and "Sampah" in everything.text
    assert "Percakapan dimulai" in everything.text and "Laporan terkirim" in everything.text
    assert re.search(r"2 dari \d+ pesan", everything.text)
    assert re.search(r"\d+,\d%|\d+\.\d%", everything.text)  # a fallback rate
    assert re.findall(r"<strong>([^<]*)</strong>", none.text)[0] == "0"
    assert "Belum ada data" in none.text
    assert "Reports by category" in english.text


async def test_an_officers_dashboard_covers_their_agency_only(app: FastAPI, day: Day) -> None:
    async with logged_in(app, "dlhk", PASSWORD) as client:
        page = await client.get("/admin/dashboard")
    assert page.status_code == 200
    assert re.findall(r"<strong>([^<]*)</strong>", page.text)[0] == "1"
    assert "Jalan &amp; Jembatan" not in page.text
