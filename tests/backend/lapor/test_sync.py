"""Sync back: LAPOR!'s follow-ups and statuses reach our report once; ours reach LAPOR!."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.lapor.client import LaporClient
from backend.lapor.forwarder import RetryPolicy
from backend.lapor.mapping import load_mapping
from backend.lapor.outgoing import FollowupSender
from backend.lapor.sync import Decision, Syncer, reconcile
from backend.models import LaporOutgoing, OutboxEvent
from backend.state import AppState
from backend.workflow import Status
from tests.backend.conftest import AUTH, create_report
from tests.backend.lapor.conftest import Clock, MakeForwarder
from tests.backend.lapor.test_forwarding import bridge_row
from tests.fakes.lapor_api import FakeLapor

FOLLOWUP = "/complaints/followup/add"


@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [
        (Status.RECEIVED, "Belum Terverifikasi", Decision()),
        (Status.RECEIVED, "Terverifikasi", Decision(steps=(Status.VERIFIED,))),
        (
            Status.RECEIVED,
            "Dalam Proses",
            Decision(steps=(Status.VERIFIED, Status.IN_PROGRESS)),
        ),
        (Status.IN_PROGRESS, "Selesai", Decision(steps=(Status.RESOLVED,))),
        (Status.IN_PROGRESS, "Terverifikasi", Decision()),  # LAPOR! behind us: normal
        (Status.CLOSED, "Ditolak", Decision()),  # ours is final
        (Status.IN_PROGRESS, "Something new", Decision()),
    ],
)
def test_reconcile(ours: Status, theirs: str, expected: Decision) -> None:
    assert reconcile(ours, theirs) == expected


@pytest.mark.parametrize("theirs", ["Ditolak", "Diarsipkan"])
def test_a_refusal_on_lapor_while_we_work_is_a_conflict(theirs: str) -> None:
    decision = reconcile(Status.IN_PROGRESS, theirs)
    assert decision.steps == ()
    assert decision.conflict == (
        f"LAPOR! says {theirs}; we say in_progress. Check the report and change one side."
    )


@pytest.fixture
def client_for(lapor: FakeLapor) -> Iterator[LaporClient]:
    with LaporClient(lapor.base_url, lapor.auth_secret, lapor.token) as client:
        yield client


@pytest.fixture
def syncer(state: AppState, client_for: LaporClient, clock: Clock) -> Syncer:
    return Syncer(state.sessions, client_for, state.policy, 60, clock=clock)


@pytest.fixture
def sender(state: AppState, client_for: LaporClient, clock: Clock) -> FollowupSender:
    mapping = load_mapping(state.settings.lapor_mapping_file)
    return FollowupSender(
        state.sessions, client_for, mapping, RetryPolicy(10, 80, 120), clock=clock
    )


async def forwarded(
    client: httpx.AsyncClient, make_forwarder: MakeForwarder, lapor: FakeLapor, **overrides: Any
) -> tuple[str, str]:
    report = await create_report(client, **overrides)
    make_forwarder().run_once()
    return report["tracking_id"], lapor.created()[-1].id


def lapor_events(engine: Engine, tracking_id: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        events = session.execute(
            select(OutboxEvent.payload)
            .where(OutboxEvent.tracking_id == tracking_id)
            .order_by(OutboxEvent.created_at)
        ).scalars()
        return [e for e in events if e.get("source") == "lapor"]


async def read(client: httpx.AsyncClient, tracking_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/complaints/{tracking_id}", headers=AUTH)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_each_followup_becomes_one_history_entry_and_one_event(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    syncer: Syncer,
    clock: Clock,
) -> None:
    tracking_id, cid = await forwarded(client, make_forwarder, lapor)
    lapor.add_followup(
        cid,
        "Laporan diteruskan kepada {{institution_to}}.",
        institution_to_name="Dinas Bina Marga",
        created_at="07-12-2026 10:15:00",
    )
    clock.advance(1)
    assert syncer.run_once() == 1
    report = await read(client, tracking_id)
    lapor_entries = [h for h in report["history"] if h["source"] == "lapor"]
    assert [h["note"] for h in lapor_entries] == ["Laporan diteruskan kepada Dinas Bina Marga."]
    assert lapor_entries[0]["at"].startswith("2026-12-07T03:15:00")  # 10:15 WIB
    assert report["history"][0]["source"] == "backend"
    (event,) = lapor_events(engine, tracking_id)
    assert event["type"] == "complaint.status_changed"
    assert event["note"] == "Laporan diteruskan kepada Dinas Bina Marga."
    assert event["chat_id"] == "telegram:42"
    assert event["status"] == event["previous_status"] == "received"

    syncer.run_once()  # not due yet
    clock.advance(61)
    syncer.run_once()  # due, nothing new
    assert len(lapor_events(engine, tracking_id)) == 1
    for n in range(3):  # the next ones land on later pages (2 per page)
        lapor.add_followup(cid, f"Tindak lanjut {n}")
    clock.advance(61)
    syncer.run_once()
    notes = [e["note"] for e in lapor_events(engine, tracking_id)]
    assert notes[1:] == ["Tindak lanjut 0", "Tindak lanjut 1", "Tindak lanjut 2"]
    assert bridge_row(engine, tracking_id).followups_seen == 4
    assert bridge_row(engine, tracking_id).last_sync_at is not None


async def test_lapor_status_moves_ours_forward_and_is_not_sent_back(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    syncer: Syncer,
    sender: FollowupSender,
    clock: Clock,
) -> None:
    tracking_id, cid = await forwarded(client, make_forwarder, lapor)
    lapor.set_status(cid, "Dalam Proses")
    clock.advance(1)
    syncer.run_once()
    report = await read(client, tracking_id)
    assert report["status"] == "in_progress"
    steps = [(h["status"], h["source"]) for h in report["history"]]
    assert steps == [("received", "backend"), ("verified", "lapor"), ("in_progress", "lapor")]
    assert report["history"][-1]["note"] == "Status di SP4N-LAPOR!: Dalam Proses"
    assert [e["status"] for e in lapor_events(engine, tracking_id)] == ["verified", "in_progress"]
    assert sender.run_once() == 0
    assert lapor.requests_to(FOLLOWUP) == []


async def test_a_conflict_is_flagged_not_applied(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    syncer: Syncer,
    clock: Clock,
) -> None:
    tracking_id, cid = await forwarded(client, make_forwarder, lapor)
    for status in ("verified", "in_progress"):
        response = await client.post(
            f"/api/v1/complaints/{tracking_id}/status", json={"status": status}, headers=AUTH
        )
        assert response.status_code == 200
    lapor.set_status(cid, "Ditolak")
    clock.advance(1)
    syncer.run_once()
    assert (await read(client, tracking_id))["status"] == "in_progress"
    row = bridge_row(engine, tracking_id)
    assert (
        row.conflict == "LAPOR! says Ditolak; we say in_progress. Check the report and "
        "change one side."
    )
    assert row.lapor_status == "Ditolak"
    shown = (await read(client, tracking_id))["lapor"]
    assert (shown["state"], shown["error"]) == ("forwarded", row.conflict)


async def test_our_status_changes_reach_lapor_as_followups_once(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    syncer: Syncer,
    sender: FollowupSender,
    clock: Clock,
) -> None:
    tracking_id, cid = await forwarded(client, make_forwarder, lapor, privacy="confidential")
    response = await client.post(
        f"/api/v1/complaints/{tracking_id}/status",
        json={"status": "verified", "note": "Diteruskan ke DBMSDA"},
        headers=AUTH,
    )
    assert response.status_code == 200
    assert sender.run_once() == 1
    assert sender.run_once() == 0
    (sent,) = lapor.requests_to(FOLLOWUP)
    assert sent.form == {
        "complaint_id": cid,
        "content": f"[{tracking_id}] Status: Diverifikasi dan diteruskan ke instansi. "
        "Catatan: Diteruskan ke DBMSDA",
        "is_secret": "1",
        "institution_from_id": "101",
    }
    clock.advance(1)
    syncer.run_once()  # our own follow-up, read back, is not news for the citizen
    assert lapor_events(engine, tracking_id) == []
    assert bridge_row(engine, tracking_id).followups_seen == 1


async def test_followups_wait_for_the_forward_and_retry_while_lapor_is_down(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    sender: FollowupSender,
    clock: Clock,
) -> None:
    lapor.down()
    report = await create_report(client)
    forwarder = make_forwarder()
    forwarder.run_once()
    tracking_id = report["tracking_id"]
    await client.post(
        f"/api/v1/complaints/{tracking_id}/status", json={"status": "verified"}, headers=AUTH
    )
    assert sender.run_once() == 0  # no LAPOR! id yet
    lapor.up()
    clock.advance(10)
    forwarder.run_once()
    lapor.fail(FOLLOWUP, 503)
    assert sender.run_once() == 0
    with Session(engine) as session:
        (queued,) = session.execute(select(LaporOutgoing)).scalars()
        assert (queued.state, queued.attempts) == ("pending", 1)
    clock.advance(10)
    assert sender.run_once() == 1
    assert len(lapor.requests_to(FOLLOWUP)) == 2


async def test_a_closed_report_is_not_polled_any_more(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    syncer: Syncer,
    clock: Clock,
) -> None:
    tracking_id, _cid = await forwarded(client, make_forwarder, lapor)
    await client.post(
        f"/api/v1/complaints/{tracking_id}/status",
        json={"status": "archived", "note": "duplikat"},
        headers=AUTH,
    )
    clock.advance(1)
    syncer.run_once()
    assert bridge_row(engine, tracking_id).next_poll_at is None
    lapor.clear_requests()
    clock.advance(10_000)
    assert syncer.run_once() == 0
    assert lapor.requests == []


async def test_a_poll_error_retries_sooner(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    syncer: Syncer,
    clock: Clock,
) -> None:
    tracking_id, cid = await forwarded(client, make_forwarder, lapor)
    lapor.fail(f"/complaints/{cid}/complaint", 502)
    clock.advance(1)
    clock.freeze()
    syncer.run_once()
    row = bridge_row(engine, tracking_id)
    assert "502" in (row.error or "")
    assert row.state == "forwarded"
    assert row.next_poll_at is not None
    assert (row.next_poll_at - clock.now).total_seconds() == pytest.approx(60)


async def test_the_notifier_feed_has_each_followup_once(
    client: httpx.AsyncClient,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    syncer: Syncer,
    clock: Clock,
) -> None:
    tracking_id, cid = await forwarded(client, make_forwarder, lapor)
    lapor.add_followup(cid, "Petugas akan datang besok pagi.")
    for _ in range(3):
        clock.advance(3600)
        syncer.run_once()
    feed = (await client.get("/api/v1/events/pending", headers=AUTH)).json()["events"]
    ours = [e for e in feed if e["tracking_id"] == tracking_id and e.get("source") == "lapor"]
    assert len(ours) == 1
    (event,) = ours
    assert event["note"] == "Petugas akan datang besok pagi."
    assert event["notifications_enabled"] is True
    assert event["language"] is None and event["chat_id"] == "telegram:42"
    ack = await client.post(f"/api/v1/events/{event['event_id']}/ack", headers=AUTH)
    assert ack.status_code == 204
    clock.advance(3600)
    syncer.run_once()
    feed = (await client.get("/api/v1/events/pending", headers=AUTH)).json()["events"]
    assert [e for e in feed if e.get("source") == "lapor"] == []
    notifications = (await read(client, tracking_id))["notifications"]
    assert [n["state"] for n in notifications] == ["queued"]
