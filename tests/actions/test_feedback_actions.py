"""The reporter's feedback and notification switches: on a fake backend and on the real one."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.engine import Engine

from actions.backend_client import BackendClient
from actions.feedback import (
    ActionConfirmResolved,
    ActionRateService,
    ActionReopenReport,
    ActionResumeNotifications,
    ActionStopNotifications,
    parse_rating,
)
from actions.pending import PendingStore
from actions.services import Services, use_services
from backend.app import create_app
from backend.db import make_engine
from backend.migrate import upgrade
from backend.state import AppState
from tests.actions.conftest import (
    BACKEND_URL,
    DOMAIN,
    SENDER,
    TOKEN,
    FakeBackend,
    make_settings,
    make_tracker,
    responses,
)
from tests.backend.conftest import SERVICE_TOKEN, complaint_body
from tests.backend.conftest import make_settings as make_backend_settings

TID = "TNG-2026-000012"
FEEDBACK_URL = f"{BACKEND_URL}/api/v1/complaints/{TID}/feedback"


def answer(
    status: str = "closed", reopened: bool = False, rating: int | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    body = {
        "tracking_id": TID,
        "status": status,
        "reopened": reopened,
        "satisfaction_rating": rating,
    }
    return lambda request: httpx.Response(200, json=body)


def refused(
    status_code: int, message: str = "refused"
) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(
        status_code, json={"error": "x", "message": message, "details": []}
    )


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("backend too slow", request=request)


def cannot_connect(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def feedback_tracker(
    *,
    sender_id: str = SENDER,
    tracking_id: str | None = TID,
    entities: dict[str, Any] | None = None,
    intent: str = "confirm_resolved",
) -> Any:
    return make_tracker(
        sender_id=sender_id,
        slots={"tracking_id": tracking_id},
        text="sudah beres",
        intent=intent,
        entities=entities,
    )


def only_request(fake_backend: FakeBackend) -> tuple[httpx.Request, dict[str, Any]]:
    [request] = fake_backend.requests
    body: dict[str, Any] = json.loads(request.content)
    return request, body


@pytest.mark.usefixtures("services")
class TestOnAFakeBackend:
    async def test_confirming_closes_and_asks_for_a_rating(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = answer("closed")
        events = await ActionConfirmResolved().run(dispatcher, feedback_tracker(), DOMAIN)
        assert events == []
        assert responses(dispatcher) == ["utter_ask_rating"]
        assert dispatcher.messages[0]["tracking_id"] == TID
        request, body = only_request(fake_backend)
        assert (request.method, str(request.url)) == ("POST", FEEDBACK_URL)
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert body["chat_id"] == SENDER
        assert body["fixed"] is True
        assert body.get("rating") is None

    async def test_the_tracking_id_entity_wins_over_the_slot(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = lambda request: httpx.Response(
            200,
            json={
                "tracking_id": "TNG-2026-000099",
                "status": "closed",
                "reopened": False,
                "satisfaction_rating": None,
            },
        )
        tracker = feedback_tracker(entities={"tracking_id": "TNG-2026-000099"})
        await ActionConfirmResolved().run(dispatcher, tracker, DOMAIN)
        request, _ = only_request(fake_backend)
        assert request.url.path == "/api/v1/complaints/TNG-2026-000099/feedback"
        assert dispatcher.messages[0]["tracking_id"] == "TNG-2026-000099"

    async def test_the_tracking_id_entity_is_enough(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = answer("in_progress", reopened=True)
        tracker = feedback_tracker(tracking_id=None, entities={"tracking_id": TID})
        await ActionReopenReport().run(dispatcher, tracker, DOMAIN)
        assert responses(dispatcher) == ["utter_reopened"]
        request, _ = only_request(fake_backend)
        assert str(request.url) == FEEDBACK_URL

    async def test_not_fixed_reopens(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = answer("in_progress", reopened=True)
        tracker = feedback_tracker(sender_id="whatsapp:6281234567890", intent="report_not_fixed")
        events = await ActionReopenReport().run(dispatcher, tracker, DOMAIN)
        assert events == []
        assert responses(dispatcher) == ["utter_reopened"]
        assert dispatcher.messages[0]["tracking_id"] == TID
        request, body = only_request(fake_backend)
        assert (request.method, str(request.url)) == ("POST", FEEDBACK_URL)
        assert body["chat_id"] == "whatsapp:6281234567890"
        assert body["fixed"] is False
        assert body.get("rating") is None

    async def test_reopening_too_late(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = refused(409, "only within 10 working days")
        await ActionReopenReport().run(dispatcher, feedback_tracker(), DOMAIN)
        assert responses(dispatcher) == ["utter_reopen_too_late"]
        assert dispatcher.messages[0]["tracking_id"] == TID

    @pytest.mark.parametrize(
        "action", [ActionConfirmResolved(), ActionReopenReport()], ids=lambda a: a.name()
    )
    async def test_feedback_from_another_chat(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher, action: Action
    ) -> None:
        fake_backend.reply = refused(403, "Only the reporter's own chat can give feedback")
        await action.run(dispatcher, feedback_tracker(sender_id="telegram:99"), DOMAIN)
        assert responses(dispatcher) == ["utter_feedback_not_yours"]
        _, body = only_request(fake_backend)
        assert body["chat_id"] == "telegram:99"

    @pytest.mark.parametrize(
        "action", [ActionConfirmResolved(), ActionReopenReport()], ids=lambda a: a.name()
    )
    async def test_an_unknown_report(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher, action: Action
    ) -> None:
        fake_backend.reply = refused(404, "no such report")
        assert await action.run(dispatcher, feedback_tracker(), DOMAIN) == []
        assert responses(dispatcher) == ["utter_status_not_found"]
        assert dispatcher.messages[0]["tracking_id"] == TID

    @pytest.mark.parametrize(
        "reply",
        [refused(500), refused(503), refused(401), refused(422), timeout, cannot_connect],
        ids=["500", "503", "401", "422", "timeout", "connect-error"],
    )
    @pytest.mark.parametrize(
        ("action", "entities"),
        [
            (ActionConfirmResolved(), None),
            (ActionReopenReport(), None),
            (ActionRateService(), {"rating": "4"}),
        ],
        ids=["confirm", "reopen", "rate"],
    )
    async def test_the_backend_failing(
        self,
        fake_backend: FakeBackend,
        dispatcher: CollectingDispatcher,
        action: Action,
        entities: dict[str, Any] | None,
        reply: Callable[[httpx.Request], httpx.Response],
    ) -> None:
        fake_backend.reply = reply
        events = await action.run(dispatcher, feedback_tracker(entities=entities), DOMAIN)
        assert events == []
        assert responses(dispatcher) == ["utter_backend_down"]
        assert len(fake_backend.requests) == 1

    @pytest.mark.parametrize(
        ("action", "entities"),
        [
            (ActionConfirmResolved(), None),
            (ActionReopenReport(), None),
            (ActionRateService(), {"rating": "5"}),
        ],
        ids=["confirm", "reopen", "rate"],
    )
    async def test_without_a_tracking_id_asks_for_it(
        self,
        fake_backend: FakeBackend,
        dispatcher: CollectingDispatcher,
        action: Action,
        entities: dict[str, Any] | None,
    ) -> None:
        tracker = feedback_tracker(tracking_id=None, entities=entities)
        assert await action.run(dispatcher, tracker, DOMAIN) == []
        assert responses(dispatcher) == ["utter_ask_tracking_id"]
        assert fake_backend.requests == []

    @pytest.mark.parametrize(("value", "rating"), [("5", 5), ("4 bintang", 4), (1, 1)])
    async def test_a_rating_is_stored_with_thanks(
        self,
        fake_backend: FakeBackend,
        dispatcher: CollectingDispatcher,
        value: Any,
        rating: int,
    ) -> None:
        fake_backend.reply = answer("closed", rating=rating)
        tracker = feedback_tracker(entities={"rating": value}, intent="rate_service")
        assert await ActionRateService().run(dispatcher, tracker, DOMAIN) == []
        assert responses(dispatcher) == ["utter_feedback_thanks"]
        request, body = only_request(fake_backend)
        assert (request.method, str(request.url)) == ("POST", FEEDBACK_URL)
        assert body["chat_id"] == SENDER
        assert body["rating"] == rating
        assert body.get("fixed") is None

    @pytest.mark.parametrize("value", [None, "0", "6", "12", "sangat puas"])
    async def test_no_usable_rating_asks_again(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher, value: Any
    ) -> None:
        entities = {"rating": value} if value is not None else None
        tracker = feedback_tracker(entities=entities, intent="rate_service")
        assert await ActionRateService().run(dispatcher, tracker, DOMAIN) == []
        assert responses(dispatcher) == ["utter_ask_rating"]
        assert dispatcher.messages[0]["tracking_id"] == TID
        assert fake_backend.requests == []

    async def test_a_rating_on_someone_elses_report(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = refused(403)
        tracker = feedback_tracker(entities={"rating": "5"}, intent="rate_service")
        await ActionRateService().run(dispatcher, tracker, DOMAIN)
        assert responses(dispatcher) == ["utter_feedback_not_yours"]

    @pytest.mark.parametrize(
        ("action", "enabled", "reply"),
        [
            (ActionStopNotifications(), False, "utter_notifications_stopped"),
            (ActionResumeNotifications(), True, "utter_notifications_resumed"),
        ],
    )
    @pytest.mark.parametrize("sender", [SENDER, "whatsapp:6281234567890"])
    async def test_turning_updates_off_and_on(
        self,
        fake_backend: FakeBackend,
        dispatcher: CollectingDispatcher,
        action: Action,
        enabled: bool,
        reply: str,
        sender: str,
    ) -> None:
        fake_backend.reply = lambda request: httpx.Response(
            200, json={"chat_id": sender, "enabled": enabled}
        )
        tracker = make_tracker(sender_id=sender, text="berhenti notifikasi")
        assert await action.run(dispatcher, tracker, DOMAIN) == []
        assert responses(dispatcher) == [reply]
        request, body = only_request(fake_backend)
        assert request.method == "PUT"
        assert request.url.path == f"/api/v1/notification-preferences/{sender}"
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert body == {"enabled": enabled}

    @pytest.mark.parametrize("reply", [refused(500), refused(422), refused(404), timeout])
    @pytest.mark.parametrize(
        "action", [ActionStopNotifications(), ActionResumeNotifications()], ids=lambda a: a.name()
    )
    async def test_switching_while_the_backend_fails(
        self,
        fake_backend: FakeBackend,
        dispatcher: CollectingDispatcher,
        action: Action,
        reply: Callable[[httpx.Request], httpx.Response],
    ) -> None:
        fake_backend.reply = reply
        assert await action.run(dispatcher, make_tracker(text="stop"), DOMAIN) == []
        assert responses(dispatcher) == ["utter_backend_down"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5),
        ("1", 1),
        ("4 bintang", 4),
        ("bintang 2", 2),
        (3, 3),
        ("0", None),
        ("6", None),
        ("12", None),
        ("", None),
        ("lima", None),
        (None, None),
    ],
)
def test_parse_rating(value: Any, expected: int | None) -> None:
    assert parse_rating(value) == expected


# --- Against the real backend (in-process, SQLite) ----------------------------------------

OTHER = "telegram:99"


@pytest.fixture
async def real_backend(tmp_path: Path) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    """Services whose backend client talks to the backend app in-process, and that client."""
    url = f"sqlite:///{tmp_path / 'backend.db'}"
    engine: Engine = make_engine(url)
    upgrade(url)
    state = AppState.from_settings(make_backend_settings(tmp_path), engine=engine)
    app = create_app(state=state)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://backend.test")
    services = Services(
        settings=make_settings(tmp_path),
        http=http,
        backend=BackendClient(http, "http://backend.test", SERVICE_TOKEN),
        pending=PendingStore(f"sqlite:///{tmp_path / 'pending.db'}"),
    )
    use_services(services)
    try:
        yield services, http
    finally:
        use_services(None)
        await services.close()
        engine.dispose()


AUTH = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


async def resolved_report(http: httpx.AsyncClient) -> str:
    created = await http.post(
        "/api/v1/complaints", json=complaint_body(reporter={"chat_id": SENDER}), headers=AUTH
    )
    assert created.status_code == 201, created.text
    tid: str = created.json()["tracking_id"]
    for status in ("verified", "in_progress", "resolved"):
        response = await http.post(
            f"/api/v1/complaints/{tid}/status", json={"status": status}, headers=AUTH
        )
        assert response.status_code == 200, response.text
    return tid


async def run(action: Action, sender: str, tid: str | None, **entities: Any) -> list[str | None]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(sender_id=sender, slots={"tracking_id": tid}, entities=entities)
    await action.run(dispatcher, tracker, DOMAIN)
    return responses(dispatcher)


async def test_reopen_and_rate_through_the_backend(
    real_backend: tuple[Services, httpx.AsyncClient],
) -> None:
    _, http = real_backend
    tid = await resolved_report(http)
    assert await run(ActionReopenReport(), SENDER, tid) == ["utter_reopened"]
    report = (await http.get(f"/api/v1/complaints/{tid}", headers=AUTH)).json()
    assert report["status"] == "in_progress"
    assert await run(ActionReopenReport(), SENDER, tid) == ["utter_reopen_too_late"]
    assert await run(ActionRateService(), SENDER, tid, rating="2") == ["utter_feedback_thanks"]
    report = (await http.get(f"/api/v1/complaints/{tid}", headers=AUTH)).json()
    assert report["satisfaction_rating"] == 2


async def test_confirm_through_the_backend(
    real_backend: tuple[Services, httpx.AsyncClient],
) -> None:
    _, http = real_backend
    tid = await resolved_report(http)
    assert await run(ActionConfirmResolved(), SENDER, tid.lower()) == ["utter_ask_rating"]
    report = (await http.get(f"/api/v1/complaints/{tid}", headers=AUTH)).json()
    assert report["status"] == "closed"
    unknown = await run(ActionConfirmResolved(), SENDER, "TNG-2026-999999")
    assert unknown == ["utter_status_not_found"]


async def test_another_chat_is_told_the_report_is_not_theirs(
    real_backend: tuple[Services, httpx.AsyncClient],
) -> None:
    _, http = real_backend
    tid = await resolved_report(http)
    assert await run(ActionReopenReport(), OTHER, tid) == ["utter_feedback_not_yours"]
    report = (await http.get(f"/api/v1/complaints/{tid}", headers=AUTH)).json()
    assert report["status"] == "resolved"


async def test_stopping_updates_through_the_backend(
    real_backend: tuple[Services, httpx.AsyncClient],
) -> None:
    _, http = real_backend
    tid = await resolved_report(http)
    assert await run(ActionStopNotifications(), SENDER, None) == ["utter_notifications_stopped"]
    await http.post(f"/api/v1/complaints/{tid}/status", json={"status": "closed"}, headers=AUTH)
    events = (await http.get("/api/v1/events/pending", headers=AUTH)).json()["events"]
    assert events[-1]["status"] == "closed"
    assert events[-1]["notifications_enabled"] is False
    assert await run(ActionResumeNotifications(), SENDER, None) == ["utter_notifications_resumed"]
    await http.post(f"/api/v1/complaints/{tid}/receipt", headers=AUTH)
    events = (await http.get("/api/v1/events/pending", headers=AUTH)).json()["events"]
    assert events[-1]["type"] == "complaint.receipt"
    assert events[-1]["notifications_enabled"] is True
