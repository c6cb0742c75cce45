"""The reporter's word on a resolved report: confirm (closed), reopen (10 working days), rating."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import backend.feedback
from backend.auth import Principal, Role
from backend.complaints import change_status
from backend.deadlines import is_working_day
from backend.errors import ConflictError, ForbiddenError
from backend.feedback import CONFIRMED_NOTE, REOPENED_NOTE, Feedback, give_feedback
from backend.models import Report, StatusChange
from backend.state import AppState
from backend.workflow import Status
from tests.backend.conftest import AUTH, count_rows, create_report

CHAT = "telegram:42"
SERVICE = Principal(role=Role.SERVICE, name="service")
WIB = ZoneInfo("Asia/Jakarta")


async def set_status(
    client: httpx.AsyncClient, tracking_id: str, status: str, note: str | None = None
) -> None:
    body: dict[str, Any] = {"status": status}
    if note is not None:
        body["note"] = note
    response = await client.post(
        f"/api/v1/complaints/{tracking_id}/status", json=body, headers=AUTH
    )
    assert response.status_code == 200, response.text


async def get_report(client: httpx.AsyncClient, tracking_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/complaints/{tracking_id}", headers=AUTH)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


async def send_feedback(client: httpx.AsyncClient, tracking_id: str, **body: Any) -> httpx.Response:
    return await client.post(
        f"/api/v1/complaints/{tracking_id}/feedback", json={"chat_id": CHAT, **body}, headers=AUTH
    )


async def resolved_report(client: httpx.AsyncClient) -> str:
    """A report taken through verified and in_progress to resolved via the status API."""
    tid = (await create_report(client))["tracking_id"]
    await set_status(client, tid, "verified", "Diteruskan ke DBMSDA")
    await set_status(client, tid, "in_progress")
    await set_status(client, tid, "resolved", "Lubang sudah ditambal")
    return tid


async def last_status_event(client: httpx.AsyncClient, tracking_id: str) -> dict[str, Any]:
    response = await client.get("/api/v1/events/pending", params={"limit": 500}, headers=AUTH)
    assert response.status_code == 200
    events = [
        e
        for e in response.json()["events"]
        if e["tracking_id"] == tracking_id and e["type"] == "complaint.status_changed"
    ]
    event: dict[str, Any] = events[-1]
    return event


def resolve_at(engine: Engine, state: AppState, tracking_id: str, moment: dt.datetime) -> None:
    """Take a received report to resolved, every step at `moment`."""
    with Session(engine) as session:
        for target in (Status.VERIFIED, Status.IN_PROGRESS, Status.RESOLVED):
            change_status(session, tracking_id, target, None, state.policy, SERVICE, now=moment)


async def test_feedback_from_another_chat_is_403_and_changes_nothing(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    tid = await resolved_report(client)
    history_before = count_rows(engine, StatusChange)
    for body in ({"fixed": False}, {"fixed": True}, {"rating": 1}):
        response = await client.post(
            f"/api/v1/complaints/{tid}/feedback",
            json={"chat_id": "telegram:99", **body},
            headers=AUTH,
        )
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "forbidden"
    report = await get_report(client, tid)
    assert report["status"] == "resolved"
    assert report["satisfaction_rating"] is None
    assert count_rows(engine, StatusChange) == history_before


async def test_not_fixed_reopens_with_a_note_and_the_reporter_is_not_notified(
    client: httpx.AsyncClient,
) -> None:
    tid = await resolved_report(client)
    response = await send_feedback(client, tid, fixed=False)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "tracking_id": tid,
        "status": "in_progress",
        "reopened": True,
        "satisfaction_rating": None,
    }
    report = await get_report(client, tid)
    assert report["status"] == "in_progress"
    assert [h["status"] for h in report["history"]] == [
        "received",
        "verified",
        "in_progress",
        "resolved",
        "in_progress",
    ]
    assert report["history"][-1]["note"] == REOPENED_NOTE

    event = await last_status_event(client, tid)
    assert (event["previous_status"], event["status"]) == ("resolved", "in_progress")
    assert event["note"] == REOPENED_NOTE
    assert event["notifications_enabled"] is False
    by_event = {n["event_id"]: n for n in report["notifications"]}
    assert by_event[event["event_id"]]["state"] == "skipped"
    assert by_event[event["event_id"]]["reason"]
    assert by_event[event["event_id"]]["status"] == "in_progress"
    # The officers' own changes before are still told to the reporter.
    others = [n["state"] for eid, n in by_event.items() if eid != event["event_id"]]
    assert others == ["queued", "queued", "queued"]


async def test_after_a_reopen_the_next_resolution_is_notified_again(
    client: httpx.AsyncClient,
) -> None:
    tid = await resolved_report(client)
    assert (await send_feedback(client, tid, fixed=False)).status_code == 200
    await set_status(client, tid, "resolved", "Ditambal ulang")
    event = await last_status_event(client, tid)
    assert event["notifications_enabled"] is True
    [shown] = [
        n
        for n in (await get_report(client, tid))["notifications"]
        if n["event_id"] == event["event_id"]
    ]
    assert shown["state"] == "queued"


async def test_a_tracking_id_in_lower_case_works(client: httpx.AsyncClient) -> None:
    tid = await resolved_report(client)
    response = await send_feedback(client, tid.lower(), fixed=False)
    assert response.status_code == 200, response.text
    assert response.json()["tracking_id"] == tid


async def test_fixed_closes_with_a_note(client: httpx.AsyncClient) -> None:
    tid = await resolved_report(client)
    response = await send_feedback(client, tid, fixed=True)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "tracking_id": tid,
        "status": "closed",
        "reopened": False,
        "satisfaction_rating": None,
    }
    report = await get_report(client, tid)
    assert report["status"] == "closed"
    assert (report["history"][-1]["status"], report["history"][-1]["note"]) == (
        "closed",
        CONFIRMED_NOTE,
    )
    event = await last_status_event(client, tid)
    assert (event["previous_status"], event["status"]) == ("resolved", "closed")
    assert event["notifications_enabled"] is False
    [shown] = [n for n in report["notifications"] if n["event_id"] == event["event_id"]]
    assert shown["state"] == "skipped"


async def test_a_rating_is_stored_and_shown(client: httpx.AsyncClient, engine: Engine) -> None:
    tid = await resolved_report(client)
    response = await send_feedback(client, tid, rating=5)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "tracking_id": tid,
        "status": "resolved",
        "reopened": False,
        "satisfaction_rating": 5,
    }
    assert (await get_report(client, tid))["satisfaction_rating"] == 5
    with Session(engine) as session:
        report = session.query(Report).one()
        assert report.satisfaction_rating == 5
        assert report.rated_at is not None


async def test_confirming_and_rating_together(client: httpx.AsyncClient) -> None:
    tid = await resolved_report(client)
    response = await send_feedback(client, tid, fixed=True, rating=4)
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["satisfaction_rating"]) == ("closed", 4)
    # A later rating replaces the first one.
    again = await send_feedback(client, tid, rating=2)
    assert again.status_code == 200, again.text
    report = await get_report(client, tid)
    assert (report["status"], report["satisfaction_rating"]) == ("closed", 2)


@pytest.mark.parametrize(
    "body",
    [
        {"chat_id": CHAT, "rating": 0},
        {"chat_id": CHAT, "rating": 6},
        {"chat_id": CHAT, "rating": -1},
        {"chat_id": CHAT, "rating": "lima"},
        {"chat_id": CHAT, "fixed": "mungkin"},
        {"chat_id": CHAT, "fixed": True, "comment": "extra"},
        {"fixed": True},
        {"chat_id": "", "fixed": True},
    ],
)
async def test_invalid_feedback_is_422_and_changes_nothing(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    tid = await resolved_report(client)
    response = await client.post(f"/api/v1/complaints/{tid}/feedback", json=body, headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    report = await get_report(client, tid)
    assert (report["status"], report["satisfaction_rating"]) == ("resolved", None)


async def test_feedback_on_an_unknown_report_is_404(client: httpx.AsyncClient) -> None:
    response = await send_feedback(client, "TNG-2026-999999", fixed=False)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_reopening_long_after_the_resolution_is_409(
    client: httpx.AsyncClient, engine: Engine, state: AppState
) -> None:
    tid = (await create_report(client))["tracking_id"]
    resolve_at(engine, state, tid, dt.datetime(2026, 10, 1, 3, 0, tzinfo=dt.timezone.utc))
    response = await send_feedback(client, tid, fixed=False, rating=1)
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["error"] == "conflict"
    assert "10 working days" in body["message"]
    report = await get_report(client, tid)
    assert (report["status"], report["satisfaction_rating"]) == ("resolved", None)
    assert len(report["history"]) == 4
    # Confirming is still possible.
    assert (await send_feedback(client, tid, fixed=True)).json()["status"] == "closed"


async def test_the_tenth_working_day_is_the_last_to_reopen(
    client: httpx.AsyncClient, engine: Engine, state: AppState
) -> None:
    tid = (await create_report(client))["tracking_id"]
    # Resolved on Thursday 1 October 2026; no public holiday in the next three weeks, so
    # the 10th working day is Thursday 15 October and the 11th Friday 16 October.
    resolved = dt.datetime(2026, 10, 1, 16, 0, tzinfo=WIB)
    days = [dt.date(2026, 10, 1) + dt.timedelta(days=n) for n in range(1, 17)]
    assert [d for d in days if not is_working_day(d)] == [d for d in days if d.weekday() >= 5]
    resolve_at(engine, state, tid, resolved)
    feedback = Feedback(chat_id=CHAT, fixed=False)
    for too_late in (
        # Still the 15th in UTC, but the 16th in Tangerang: the local date counts.
        dt.datetime(2026, 10, 16, 0, 5, tzinfo=WIB),
        dt.datetime(2026, 10, 17, 12, 0, tzinfo=WIB),
        dt.datetime(2027, 1, 4, 9, 0, tzinfo=WIB),
    ):
        with Session(engine) as session, pytest.raises(ConflictError):
            give_feedback(session, tid, feedback, state.policy, SERVICE, now=too_late)
    last_moment = dt.datetime(2026, 10, 15, 23, 55, tzinfo=WIB)
    with Session(engine) as session:
        report, reopened = give_feedback(
            session, tid, feedback, state.policy, SERVICE, now=last_moment
        )
        assert reopened is True
        assert report.status == "in_progress"
        assert report.history[-1].at == last_moment
        assert report.history[-1].actor == "pelapor"


async def test_reopening_on_the_day_of_the_resolution_works(
    engine: Engine, state: AppState, client: httpx.AsyncClient
) -> None:
    tid = (await create_report(client))["tracking_id"]
    resolved = dt.datetime(2026, 10, 3, 10, 0, tzinfo=WIB)  # a Saturday
    resolve_at(engine, state, tid, resolved)
    with Session(engine) as session:
        _, reopened = give_feedback(
            session,
            tid,
            Feedback(chat_id=CHAT, fixed=False),
            state.policy,
            SERVICE,
            now=resolved + dt.timedelta(hours=1),
        )
    assert reopened is True


async def test_the_latest_resolution_starts_the_10_days(
    client: httpx.AsyncClient, engine: Engine, state: AppState
) -> None:
    tid = (await create_report(client))["tracking_id"]
    resolve_at(engine, state, tid, dt.datetime(2026, 9, 1, 3, 0, tzinfo=dt.timezone.utc))
    with Session(engine) as session:
        give_feedback(
            session,
            tid,
            Feedback(chat_id=CHAT, fixed=False),
            state.policy,
            SERVICE,
            now=dt.datetime(2026, 9, 2, 3, 0, tzinfo=dt.timezone.utc),
        )
    await set_status(client, tid, "resolved", "Ditambal ulang")  # resolved again today
    response = await send_feedback(client, tid, fixed=False)
    assert response.status_code == 200, response.text
    assert response.json()["reopened"] is True


@pytest.mark.parametrize("steps", [[], ["verified"], ["verified", "in_progress"]])
async def test_reopening_a_report_that_is_not_resolved_is_409(
    client: httpx.AsyncClient, steps: list[str]
) -> None:
    tid = (await create_report(client))["tracking_id"]
    for status in steps:
        await set_status(client, tid, status)
    response = await send_feedback(client, tid, fixed=False)
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "conflict"
    report = await get_report(client, tid)
    assert report["status"] == (steps[-1] if steps else "received")
    assert len(report["history"]) == len(steps) + 1


async def test_reopening_twice_or_after_closing_is_409(client: httpx.AsyncClient) -> None:
    reopened = await resolved_report(client)
    assert (await send_feedback(client, reopened, fixed=False)).status_code == 200
    assert (await send_feedback(client, reopened, fixed=False)).status_code == 409
    closed = await resolved_report(client)
    assert (await send_feedback(client, closed, fixed=True)).status_code == 200
    response = await send_feedback(client, closed, fixed=False)
    assert response.status_code == 409
    assert (await get_report(client, closed))["status"] == "closed"


async def test_give_feedback_refuses_another_chat(
    client: httpx.AsyncClient, engine: Engine, state: AppState
) -> None:
    tid = await resolved_report(client)
    with Session(engine) as session, pytest.raises(ForbiddenError):
        give_feedback(
            session, tid, Feedback(chat_id="telegram:4200", fixed=False), state.policy, SERVICE
        )


async def test_a_report_without_a_chat_takes_no_feedback(client: httpx.AsyncClient) -> None:
    tid = (await create_report(client, reporter={"name": "Budi"}))["tracking_id"]
    for status in ("verified", "in_progress", "resolved"):
        await set_status(client, tid, status)
    response = await send_feedback(client, tid, fixed=False)
    assert response.status_code == 403
    assert (await get_report(client, tid))["status"] == "resolved"


@pytest.mark.parametrize("migrated_engine", ["postgresql"], indirect=True)
async def test_two_concurrent_not_fixed_answers_reopen_once(
    client: httpx.AsyncClient, engine: Engine, state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two chats of the reporter's (a double tap, a retry) both read the report as
    # resolved before either reopens it: only one of them may reopen.
    tid = await resolved_report(client)
    both_checked = threading.Barrier(2, timeout=3)
    original = backend.feedback.may_reopen

    def may_reopen_then_wait(*args: Any) -> bool:
        allowed = original(*args)
        # An implementation that locks before checking serialises the two: no rendezvous.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait()
        return allowed

    monkeypatch.setattr(backend.feedback, "may_reopen", may_reopen_then_wait)

    def answer() -> str:
        with Session(engine) as session:
            try:
                give_feedback(
                    session, tid, Feedback(chat_id=CHAT, fixed=False), state.policy, SERVICE
                )
            except ConflictError:
                return "conflict"
            return "reopened"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(lambda _: answer(), range(2)))
    assert outcomes == ["conflict", "reopened"]
    history = [(h["status"], h["note"]) for h in (await get_report(client, tid))["history"]]
    assert history.count(("in_progress", REOPENED_NOTE)) == 1
