"""Status updates to citizens over HTTP: delivery states, preferences and the event feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.auth import Principal, Role
from backend.complaints import change_status
from backend.models import Notification, OutboxEvent
from backend.state import AppState
from backend.workflow import Status
from tests.backend.conftest import AUTH, add_user, count_rows, create_report, login

CHAT = "telegram:42"
SERVICE = Principal(role=Role.SERVICE, name="service")


async def set_status(
    client: httpx.AsyncClient, tracking_id: str, status: str, note: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"status": status}
    if note is not None:
        body["note"] = note
    response = await client.post(
        f"/api/v1/complaints/{tracking_id}/status", json=body, headers=AUTH
    )
    assert response.status_code == 200, response.text
    return response


async def get_report(client: httpx.AsyncClient, tracking_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/complaints/{tracking_id}", headers=AUTH)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


async def pending(client: httpx.AsyncClient, limit: int | None = None) -> list[dict[str, Any]]:
    params = {"limit": limit} if limit is not None else {}
    response = await client.get("/api/v1/events/pending", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"events"}
    events: list[dict[str, Any]] = body["events"]
    return events


async def status_events(client: httpx.AsyncClient, tracking_id: str) -> list[dict[str, Any]]:
    """The pending `complaint.status_changed` payloads of one report, oldest first."""
    return [
        e
        for e in await pending(client, limit=500)
        if e["tracking_id"] == tracking_id and e["type"] == "complaint.status_changed"
    ]


async def put_delivery(
    client: httpx.AsyncClient,
    tracking_id: str,
    event_id: str,
    state: str,
    channel: str = "telegram",
    **extra: Any,
) -> httpx.Response:
    return await client.put(
        f"/api/v1/complaints/{tracking_id}/notifications/{event_id}",
        json={"channel": channel, "state": state, **extra},
        headers=AUTH,
    )


async def notification(
    client: httpx.AsyncClient, tracking_id: str, event_id: str
) -> dict[str, Any]:
    """The one notification of `event_id` shown with the report."""
    found = [
        n
        for n in (await get_report(client, tracking_id))["notifications"]
        if n["event_id"] == event_id
    ]
    assert len(found) == 1, found
    return found[0]


async def verified_report(client: httpx.AsyncClient, **overrides: Any) -> tuple[str, str]:
    """A report moved to `verified`: its tracking ID and the status event's ID."""
    tid = (await create_report(client, **overrides))["tracking_id"]
    await set_status(client, tid, "verified", "Diteruskan ke DBMSDA")
    [event] = await status_events(client, tid)
    return tid, event["event_id"]


async def test_a_status_change_queues_a_notification_for_the_reporter(
    client: httpx.AsyncClient,
) -> None:
    tid, event_id = await verified_report(client)
    [event] = await status_events(client, tid)
    assert event["notifications_enabled"] is True
    assert event["chat_id"] == CHAT
    assert (event["previous_status"], event["status"]) == ("received", "verified")
    report = await get_report(client, tid)
    # Only the status change is told to the citizen; the creation is not a notification.
    [shown] = report["notifications"]
    assert set(shown) == {
        "event_id",
        "event_type",
        "status",
        "channel",
        "state",
        "reason",
        "created_at",
        "updated_at",
    }
    assert {k: shown[k] for k in ("event_id", "event_type", "status", "channel", "state")} == {
        "event_id": event_id,
        "event_type": "complaint.status_changed",
        "status": "verified",
        "channel": "telegram",
        "state": "queued",
    }
    assert shown["reason"] is None
    assert dt.datetime.fromisoformat(shown["created_at"]) == dt.datetime.fromisoformat(event["at"])
    assert shown["updated_at"] == shown["created_at"]
    assert report["satisfaction_rating"] is None


async def test_sent_delivered_read_show_with_the_report(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    tid, event_id = await verified_report(client)
    previous = await notification(client, tid, event_id)
    for state in ("sent", "delivered", "read"):
        response = await put_delivery(client, tid, event_id, state, message_id="tg-1001")
        assert response.status_code == 204, response.text
        assert response.content == b""
        shown = await notification(client, tid, event_id)
        assert shown["state"] == state
        assert shown["channel"] == "telegram"
        assert shown["reason"] is None
        assert shown["created_at"] == previous["created_at"]
        assert dt.datetime.fromisoformat(shown["updated_at"]) >= dt.datetime.fromisoformat(
            previous["updated_at"]
        )
        previous = shown
    assert dt.datetime.fromisoformat(previous["updated_at"]) > dt.datetime.fromisoformat(
        previous["created_at"]
    )
    with Session(engine) as session:
        row = session.get(Notification, event_id)
        assert row is not None
        assert (row.state, row.message_id) == ("read", "tg-1001")


@pytest.mark.parametrize(
    ("reached", "late"),
    [
        ("read", "sent"),
        ("read", "delivered"),
        ("read", "failed"),
        ("read", "queued"),
        ("delivered", "sent"),
        ("sent", "failed"),
        ("sent", "queued"),
        ("failed", "queued"),
    ],
)
async def test_a_late_lesser_state_does_not_overwrite(
    client: httpx.AsyncClient, reached: str, late: str
) -> None:
    tid, event_id = await verified_report(client)
    reason = "timeout" if reached == "failed" else None
    assert (await put_delivery(client, tid, event_id, reached, reason=reason)).status_code == 204
    before = await notification(client, tid, event_id)
    response = await put_delivery(client, tid, event_id, late, reason="late retry report")
    assert response.status_code == 204, response.text
    after = await notification(client, tid, event_id)
    assert after == before
    assert after["state"] == reached
    assert after["reason"] == reason


async def test_a_failure_shows_its_reason_until_a_retry_is_sent(client: httpx.AsyncClient) -> None:
    tid, event_id = await verified_report(client)
    reason = "Forbidden: bot was blocked by the user"
    assert (await put_delivery(client, tid, event_id, "failed", reason=reason)).status_code == 204
    shown = await notification(client, tid, event_id)
    assert (shown["state"], shown["reason"]) == ("failed", reason)
    assert (await put_delivery(client, tid, event_id, "sent")).status_code == 204
    shown = await notification(client, tid, event_id)
    assert (shown["state"], shown["reason"]) == ("sent", None)


async def test_unknown_event_or_another_reports_event_is_404(client: httpx.AsyncClient) -> None:
    tid, event_id = await verified_report(client)
    other_tid, other_event = await verified_report(client)
    for path_tid, path_event in [
        (tid, "0" * 32),
        (tid, other_event),
        (other_tid, event_id),
        ("TNG-2026-999999", event_id),
    ]:
        response = await put_delivery(client, path_tid, path_event, "sent")
        assert response.status_code == 404, (path_tid, path_event, response.text)
        assert response.json()["error"] == "not_found"
    assert (await notification(client, tid, event_id))["state"] == "queued"
    assert (await notification(client, other_tid, other_event))["state"] == "queued"


async def test_the_tracking_id_of_a_delivery_may_be_written_in_any_case(
    client: httpx.AsyncClient,
) -> None:
    # Every other report route accepts the ID in any case (see test_api_receipt).
    tid, event_id = await verified_report(client)
    response = await put_delivery(client, tid.lower(), event_id, "sent")
    assert response.status_code == 204, response.text
    assert (await notification(client, tid, event_id))["state"] == "sent"


@pytest.mark.parametrize(
    "body",
    [
        {"channel": "telegram", "state": "bounced"},
        {"channel": "telegram", "state": "SENT"},
        {"channel": "telegram"},
        {"state": "sent"},
        {"channel": "telegram", "state": "sent", "extra": 1},
        {"channel": "x" * 21, "state": "sent"},
        {"channel": "telegram", "state": "failed", "reason": "x" * 2001},
    ],
)
async def test_bad_delivery_bodies_are_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    tid, event_id = await verified_report(client)
    response = await client.put(
        f"/api/v1/complaints/{tid}/notifications/{event_id}", json=body, headers=AUTH
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    assert (await notification(client, tid, event_id))["state"] == "queued"


@pytest.mark.parametrize("role", ["officer", "admin"])
async def test_the_service_routes_refuse_officers_and_admins(
    client: httpx.AsyncClient, engine: Engine, role: str
) -> None:
    tid, event_id = await verified_report(client)
    await set_status(client, tid, "in_progress")
    await set_status(client, tid, "resolved", "Lubang sudah ditambal")
    add_user(engine, "user1", "user-password-1", role=role, agency="DBMSDA")
    headers = await login(client, "user1", "user-password-1")
    calls = [
        (
            "PUT",
            f"/api/v1/complaints/{tid}/notifications/{event_id}",
            {"channel": "telegram", "state": "read"},
        ),
        ("POST", f"/api/v1/complaints/{tid}/feedback", {"chat_id": CHAT, "fixed": False}),
        ("PUT", f"/api/v1/notification-preferences/{CHAT}", {"enabled": False}),
        ("GET", "/api/v1/events/pending", None),
        ("POST", f"/api/v1/events/{event_id}/ack", None),
    ]
    for method, url, body in calls:
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code == 403, (method, url, response.text)
        assert response.json()["error"] == "forbidden"
        unauthenticated = await client.request(method, url, json=body)
        assert unauthenticated.status_code == 401, (method, url)
    # Nothing was changed by the refused calls.
    assert (await notification(client, tid, event_id))["state"] == "queued"
    assert (await get_report(client, tid))["status"] == "resolved"
    assert event_id in {e["event_id"] for e in await pending(client)}
    await set_status(client, tid, "closed")
    [*_, closing] = await status_events(client, tid)
    assert closing["notifications_enabled"] is True


async def test_turning_updates_off_and_on_marks_the_next_events(
    client: httpx.AsyncClient,
) -> None:
    tid, _ = await verified_report(client)
    other, _ = await verified_report(client, reporter={"name": "Budi", "chat_id": "telegram:77"})

    response = await client.put(
        f"/api/v1/notification-preferences/{CHAT}", json={"enabled": False}, headers=AUTH
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"chat_id": CHAT, "enabled": False}
    await set_status(client, tid, "in_progress")
    await set_status(client, other, "in_progress")
    off = (await status_events(client, tid))[-1]
    assert (off["status"], off["notifications_enabled"]) == ("in_progress", False)
    # Another chat is not affected.
    assert (await status_events(client, other))[-1]["notifications_enabled"] is True
    # The events written before the change keep what they said.
    assert (await status_events(client, tid))[0]["notifications_enabled"] is True

    response = await client.put(
        f"/api/v1/notification-preferences/{CHAT}", json={"enabled": True}, headers=AUTH
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"chat_id": CHAT, "enabled": True}
    await set_status(client, tid, "resolved", "Sudah ditambal")
    back_on = (await status_events(client, tid))[-1]
    assert (back_on["status"], back_on["notifications_enabled"]) == ("resolved", True)
    assert [e["notifications_enabled"] for e in await status_events(client, tid)] == [
        True,
        False,
        True,
    ]


async def test_turning_updates_off_also_marks_receipts(client: httpx.AsyncClient) -> None:
    tid = (await create_report(client))["tracking_id"]
    response = await client.put(
        f"/api/v1/notification-preferences/{CHAT}", json={"enabled": False}, headers=AUTH
    )
    assert response.status_code == 200
    assert (await client.post(f"/api/v1/complaints/{tid}/receipt", headers=AUTH)).status_code == 202
    [receipt] = [e for e in await pending(client) if e["type"] == "complaint.receipt"]
    assert receipt["notifications_enabled"] is False


@pytest.mark.parametrize("body", [{}, {"enabled": "maybe"}, {"enabled": True, "extra": 1}])
async def test_bad_preference_bodies_are_422(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await client.put(f"/api/v1/notification-preferences/{CHAT}", json=body, headers=AUTH)
    assert response.status_code == 422, response.text


async def test_pending_is_oldest_first_limited_and_leaves_out_acknowledged_events(
    client: httpx.AsyncClient, engine: Engine, state: AppState
) -> None:
    first = (await create_report(client))["tracking_id"]
    second = (await create_report(client))["tracking_id"]
    # Written after the creations, but dated before them (and in reverse order).
    with Session(engine) as session:
        change_status(
            session,
            second,
            Status.VERIFIED,
            None,
            state.policy,
            SERVICE,
            now=dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.timezone.utc),
        )
        change_status(
            session,
            first,
            Status.VERIFIED,
            None,
            state.policy,
            SERVICE,
            now=dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.timezone.utc),
        )
    everything = await pending(client)
    assert [(e["tracking_id"], e["type"]) for e in everything] == [
        (first, "complaint.status_changed"),
        (second, "complaint.status_changed"),
        (first, "complaint.created"),
        (second, "complaint.created"),
    ]
    assert everything[0]["at"] == "2026-11-02T01:00:00+00:00"
    assert [e["event_id"] for e in await pending(client, limit=2)] == [
        e["event_id"] for e in everything[:2]
    ]
    assert await pending(client, limit=1) == everything[:1]

    for acked in (everything[0], everything[2]):
        response = await client.post(f"/api/v1/events/{acked['event_id']}/ack", headers=AUTH)
        assert response.status_code == 204, response.text
        assert response.content == b""
    assert [e["event_id"] for e in await pending(client)] == [
        everything[1]["event_id"],
        everything[3]["event_id"],
    ]
    with Session(engine) as session:
        acked_row = session.get(OutboxEvent, everything[0]["event_id"])
        assert acked_row is not None
        assert acked_row.published_at is not None
        assert acked_row.attempts == 1
    # Acknowledging does not touch the delivery state the notifier reports separately.
    assert (await notification(client, first, everything[0]["event_id"]))["state"] == "queued"


async def test_ack_of_an_unknown_event_is_404(client: httpx.AsyncClient) -> None:
    tid, event_id = await verified_report(client)
    response = await client.post(f"/api/v1/events/{'f' * 32}/ack", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert event_id in {e["event_id"] for e in await pending(client)}
    too_long = await client.post(f"/api/v1/events/{'f' * 33}/ack", headers=AUTH)
    assert too_long.status_code == 422
    # A known event is acknowledged once it is handed on.
    assert (await client.post(f"/api/v1/events/{event_id}/ack", headers=AUTH)).status_code == 204
    assert event_id not in {e["event_id"] for e in await pending(client)}
    assert (await notification(client, tid, event_id))["state"] == "queued"


@pytest.mark.parametrize("limit", [0, -1, 501, "many"])
async def test_pending_limit_out_of_range_is_422(client: httpx.AsyncClient, limit: Any) -> None:
    response = await client.get("/api/v1/events/pending", params={"limit": limit}, headers=AUTH)
    assert response.status_code == 422, response.text


async def test_pending_is_empty_without_events(client: httpx.AsyncClient) -> None:
    assert await pending(client) == []


async def test_the_receipt_event_gets_a_queued_notification(client: httpx.AsyncClient) -> None:
    tid = (await create_report(client))["tracking_id"]
    response = await client.post(f"/api/v1/complaints/{tid}/receipt", headers=AUTH)
    assert response.status_code == 202, response.text
    [receipt] = [e for e in await pending(client) if e["type"] == "complaint.receipt"]
    assert receipt["notifications_enabled"] is True
    assert receipt["tracking_id"] == tid
    shown = await notification(client, tid, receipt["event_id"])
    assert {k: shown[k] for k in ("event_type", "status", "channel", "state", "reason")} == {
        "event_type": "complaint.receipt",
        "status": "received",
        "channel": "telegram",
        "state": "queued",
        "reason": None,
    }


async def test_the_channel_is_the_chat_ids_prefix(client: httpx.AsyncClient) -> None:
    tid, event_id = await verified_report(
        client, reporter={"name": "Wati", "chat_id": "whatsapp:6281234567890"}
    )
    assert (await notification(client, tid, event_id))["channel"] == "whatsapp"


@pytest.mark.parametrize(
    "reporter", [{"name": "Budi", "phone": "+6281234567890"}, {}], ids=["no-chat", "no-reporter"]
)
async def test_a_report_without_a_reporter_chat_gets_no_notification(
    client: httpx.AsyncClient, engine: Engine, reporter: dict[str, Any]
) -> None:
    tid, event_id = await verified_report(client, reporter=reporter)
    assert (await client.post(f"/api/v1/complaints/{tid}/receipt", headers=AUTH)).status_code == 202
    events = [e for e in await pending(client) if e["type"] != "complaint.created"]
    assert len(events) == 2
    for event in events:
        assert event["chat_id"] is None
        assert event["notifications_enabled"] is False
    assert (await get_report(client, tid))["notifications"] == []
    assert count_rows(engine, Notification) == 0
    assert (await put_delivery(client, tid, event_id, "sent")).status_code == 404


async def test_every_notified_event_has_its_own_row(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    tid, _ = await verified_report(client)
    await set_status(client, tid, "in_progress")
    await set_status(client, tid, "resolved", "Sudah ditambal")
    events = await status_events(client, tid)
    shown = (await get_report(client, tid))["notifications"]
    assert [n["event_id"] for n in shown] == [e["event_id"] for e in events]
    assert [n["status"] for n in shown] == ["verified", "in_progress", "resolved"]
    assert {n["state"] for n in shown} == {"queued"}
    with Session(engine) as session:
        types = session.execute(select(Notification.event_type)).scalars().all()
    assert sorted(types) == ["complaint.status_changed"] * 3
