"""Answering an officer's question and adding information (actions/thread.py), on a fake
backend that records the exact requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.thread import (
    ActionAddInfo,
    ActionExpectAnswer,
    ActionThreadDone,
    ValidateThreadForm,
    buttons_for,
    summary_of,
)
from tests.actions.conftest import (
    BACKEND_URL,
    DOMAIN,
    SENDER,
    FakeBackend,
    make_tracker,
    responses,
    slot_events,
)

TID = "TNG-2026-000123"
OTHER = "TNG-2026-000200"


def report(tracking_id: str = TID, status: str = "verified", **extra: Any) -> dict[str, Any]:
    return {
        "tracking_id": tracking_id,
        "status": status,
        "category_label": "Jalan rusak",
        "location": {"desa": "Kutabumi", "kecamatan": "Pasar Kemis"},
        "description": "Jalan berlubang besar",
        **extra,
    }


def backend_answering(
    *, waiting: list[dict[str, Any]] | None = None, thread_status: int = 201
) -> Callable[[httpx.Request], httpx.Response]:
    def reply(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"items": waiting or [], "total": len(waiting or [])})
        if thread_status != 201:
            return httpx.Response(
                thread_status, json={"error": "x", "message": "refused", "details": []}
            )
        return httpx.Response(201, json={"id": 1, "author": "citizen"})

    return reply


def in_form(text: str, intent: str = "inform", **changes: Any) -> Any:
    slots = {
        "thread_report": TID,
        "thread_kind": "answer",
        "thread_sent": 0,
        "requested_slot": "thread_message",
    }
    slots.update(changes.pop("slots", {}))
    return make_tracker(text=text, intent=intent, slots=slots, active_loop="thread_form", **changes)


def thread_posts(fake_backend: FakeBackend) -> list[tuple[str, dict[str, Any]]]:
    return [
        (r.url.path, json.loads(r.content))
        for r in fake_backend.requests
        if r.method == "POST" and r.url.path.endswith("/thread")
    ]


def test_summary_and_buttons_name_what_and_where_never_who() -> None:
    assert summary_of(report(reporter={"name": "Budi"})) == "Jalan rusak, Kutabumi"
    [button] = buttons_for([{"tracking_id": TID, "summary": "Jalan rusak, Kutabumi"}])
    assert button == {
        "title": f"{TID} (Jalan rusak, Kutabumi)",
        "payload": f'/choose_thread_report{{"tracking_id": "{TID}"}}',
    }


@pytest.mark.usefixtures("services")
class TestExpectingTheAnswer:
    async def test_one_open_question_opens_the_form_on_it_silently(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = backend_answering(waiting=[report()])
        tracker = make_tracker(intent="EXTERNAL_reporter_question", entities={"tracking_id": TID})
        events = await ActionExpectAnswer().run(dispatcher, tracker, DOMAIN)
        assert dispatcher.messages == []
        slots = slot_events(events)
        assert (slots["thread_report"], slots["thread_kind"]) == (TID, "answer")
        assert events[-1] == {"event": "followup", "name": "thread_form", "timestamp": None}
        [request] = fake_backend.requests
        assert request.url.params["waiting_for_reporter"] == "true"
        assert request.url.params["reporter_chat_id"] == SENDER

    async def test_two_open_questions_leave_the_report_to_be_picked(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = backend_answering(waiting=[report(OTHER), report()])
        tracker = make_tracker(intent="EXTERNAL_reporter_question", entities={"tracking_id": TID})
        slots = slot_events(await ActionExpectAnswer().run(dispatcher, tracker, DOMAIN))
        assert slots["thread_report"] is None
        assert [c["tracking_id"] for c in slots["thread_choices"]] == [OTHER, TID]

    async def test_during_a_complaint_the_form_goes_on(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        tracker = make_tracker(
            intent="EXTERNAL_reporter_question",
            entities={"tracking_id": TID},
            active_loop="complaint_form",
        )
        assert await ActionExpectAnswer().run(dispatcher, tracker, DOMAIN) == []
        assert dispatcher.messages == [] and fake_backend.requests == []

    async def test_a_second_question_while_the_form_is_open_leaves_the_pick(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        # The form is on TID's question; OTHER's question arrives (Rasa runs the form).
        fake_backend.reply = backend_answering(waiting=[report(OTHER), report()])
        tracker = in_form(
            "EXTERNAL: EXTERNAL_reporter_question",
            "EXTERNAL_reporter_question",
            entities={"tracking_id": OTHER},
        )
        events = await ValidateThreadForm().run(dispatcher, tracker, DOMAIN)
        slots = slot_events(events)
        assert slots["thread_report"] is None  # the citizen is asked which one
        assert [c["tracking_id"] for c in slots["thread_choices"]] == [OTHER, TID]
        assert slots["thread_message"] is None
        assert dispatcher.messages == [] and thread_posts(fake_backend) == []

    async def test_a_second_question_on_the_same_report_keeps_it(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = backend_answering(waiting=[report()])
        tracker = in_form(
            "EXTERNAL: EXTERNAL_reporter_question",
            "EXTERNAL_reporter_question",
            entities={"tracking_id": TID},
        )
        slots = slot_events(await ValidateThreadForm().run(dispatcher, tracker, DOMAIN))
        assert slots["thread_report"] == TID
        assert dispatcher.messages == [] and thread_posts(fake_backend) == []


@pytest.mark.usefixtures("services")
class TestAnswering:
    async def test_the_message_that_opened_the_form_is_not_passed_on(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        trigger = {"event": "user", "text": "EXTERNAL: EXTERNAL_reporter_question"}
        events = [trigger, {"event": "action", "name": "action_expect_answer"}]
        tracker = in_form("EXTERNAL: EXTERNAL_reporter_question", "EXTERNAL_reporter_question")
        tracker.events = events
        assert await ValidateThreadForm().run(dispatcher, tracker, DOMAIN) == [
            {"event": "slot", "name": "thread_message", "value": None, "timestamp": None}
        ]
        assert fake_backend.requests == [] and dispatcher.messages == []

    async def test_a_text_and_a_photo_are_added_as_the_answer(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = backend_answering()
        first = in_form("no rumahnya 17 pak, depan warung")
        events = await ValidateThreadForm().run(dispatcher, first, DOMAIN)
        assert slot_events(events) == {"thread_message": None, "thread_sent": 1}
        photo = in_form(
            "iya pak ini fotonya",
            intent="send_attachment",
            metadata={"attachments": ["att-1"]},
            slots={"thread_sent": 1},
        )
        await ValidateThreadForm().run(dispatcher, photo, DOMAIN)
        assert thread_posts(fake_backend) == [
            (
                f"/api/v1/complaints/{TID}/thread",
                {
                    "chat_id": SENDER,
                    "text": "no rumahnya 17 pak, depan warung",
                    "attachments": [],
                    "kind": "answer",
                },
            ),
            (
                f"/api/v1/complaints/{TID}/thread",
                {
                    "chat_id": SENDER,
                    "text": "iya pak ini fotonya",
                    "attachments": ["att-1"],
                    "kind": "answer",
                },
            ),
        ]
        assert responses(dispatcher) == ["utter_thread_passed_on", "utter_thread_passed_on_more"]
        assert dispatcher.messages[0]["tracking_id"] == TID

    async def test_a_pin_is_added_as_coordinates(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = backend_answering()
        pin = {"latitude": -6.17, "longitude": 106.55, "title": "Masjid Al-Ikhlas"}
        tracker = in_form("/share_location", intent="share_location", metadata={"location": pin})
        await ValidateThreadForm().run(dispatcher, tracker, DOMAIN)
        [(_, body)] = thread_posts(fake_backend)
        assert body["text"] == "Lokasi: -6.17, 106.55 (Masjid Al-Ikhlas)"

    @pytest.mark.parametrize(
        ("text", "intent"), [("selesai", "thread_done"), ("udah itu aja pak", "thread_done")]
    )
    async def test_selesai_ends_the_form(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher, text: str, intent: str
    ) -> None:
        events = await ValidateThreadForm().run(dispatcher, in_form(text, intent), DOMAIN)
        assert slot_events(events) == {"thread_message": "done"}
        assert fake_backend.requests == []

    async def test_udah_sy_kirim_after_the_photo_ends_it_before_waits_for_it(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        after = in_form("udah sy kirim", "send_attachment", slots={"thread_sent": 2})
        assert slot_events(await ValidateThreadForm().run(dispatcher, after, DOMAIN)) == {
            "thread_message": "done"
        }
        before = in_form("sy kirim fotonya ya", "send_attachment")
        events = await ValidateThreadForm().run(dispatcher, before, DOMAIN)
        assert slot_events(events) == {"thread_message": None}
        assert responses(dispatcher) == ["utter_thread_send_it"]
        assert fake_backend.requests == []

    async def test_a_question_in_the_middle_is_answered_and_not_passed_on(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        tracker = in_form("berapa lama prosesnya?", "ask_duration")
        events = await ValidateThreadForm().run(dispatcher, tracker, DOMAIN)
        assert responses(dispatcher) == ["utter_faq_duration", "utter_thread_still_open"]
        assert slot_events(events) == {"thread_message": None}
        assert fake_backend.requests == []

    async def test_with_two_open_the_message_waits_for_the_pick_then_goes(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = backend_answering()
        choices = [
            {"tracking_id": TID, "summary": "Jalan rusak, Kutabumi"},
            {"tracking_id": OTHER, "summary": "Sampah, Sukamantri"},
        ]
        slots = {"thread_report": None, "thread_choices": choices}
        first = in_form("sampahnya udah 2 minggu ga diangkut", slots=slots)
        events = await ValidateThreadForm().run(dispatcher, first, DOMAIN)
        assert responses(dispatcher) == ["utter_thread_which_report"]
        assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == [
            f"{TID} (Jalan rusak, Kutabumi)",
            f"{OTHER} (Sampah, Sukamantri)",
        ]
        assert thread_posts(fake_backend) == []
        pending = slot_events(events)["thread_pending"]
        pick = in_form(
            f'/choose_thread_report{{"tracking_id": "{OTHER}"}}',
            "choose_thread_report",
            entities={"tracking_id": OTHER},
            slots={**slots, "thread_pending": pending},
        )
        picked = slot_events(await ValidateThreadForm().run(dispatcher, pick, DOMAIN))
        assert picked["thread_report"] == OTHER and picked["thread_pending"] is None
        assert thread_posts(fake_backend) == [
            (
                f"/api/v1/complaints/{OTHER}/thread",
                {
                    "chat_id": SENDER,
                    "text": "sampahnya udah 2 minggu ga diangkut",
                    "attachments": [],
                    "kind": "answer",
                },
            )
        ]

    @pytest.mark.parametrize(
        ("status", "response"), [(409, "utter_thread_closed"), (403, "utter_thread_not_yours")]
    )
    async def test_a_closed_or_anothers_report_is_said_and_the_form_ends(
        self,
        fake_backend: FakeBackend,
        dispatcher: CollectingDispatcher,
        status: int,
        response: str,
    ) -> None:
        fake_backend.reply = backend_answering(thread_status=status)
        events = await ValidateThreadForm().run(dispatcher, in_form("ini pak"), DOMAIN)
        assert responses(dispatcher) == [response]
        assert slot_events(events)["thread_message"] == "closed"
        done = make_tracker(slots={"thread_message": "closed", "thread_report": TID})
        assert (await ActionThreadDone().run(dispatcher, done, DOMAIN)) != []
        assert responses(dispatcher) == [response]  # nothing more said

    async def test_a_busy_backend_asks_to_resend_and_keeps_the_form(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = backend_answering(thread_status=503)
        events = await ValidateThreadForm().run(dispatcher, in_form("ini pak"), DOMAIN)
        assert responses(dispatcher) == ["utter_thread_failed"]
        assert slot_events(events)["thread_message"] is None


@pytest.mark.usefixtures("services")
class TestAddingInformation:
    async def test_the_id_given_opens_the_form_for_information(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        tracker = make_tracker(text=f"tambah info laporan {TID.lower()}", intent="add_info")
        events = await ActionAddInfo().run(dispatcher, tracker, DOMAIN)
        slots = slot_events(events)
        assert (slots["thread_report"], slots["thread_kind"]) == (TID, "info")
        assert responses(dispatcher) == ["utter_thread_go_ahead"]
        assert fake_backend.requests == []

    async def test_the_only_open_report_is_taken_closed_ones_ignored(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = backend_answering(waiting=[report(), report(OTHER, "closed")])
        tracker = make_tracker(text="mau nambahin keterangan", intent="add_info")
        slots = slot_events(await ActionAddInfo().run(dispatcher, tracker, DOMAIN))
        assert slots["thread_report"] == TID
        assert fake_backend.requests[0].url.params["reporter_chat_id"] == SENDER
        assert str(fake_backend.requests[0].url).startswith(BACKEND_URL)

    async def test_several_open_reports_are_offered_as_buttons(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = backend_answering(waiting=[report(), report(OTHER)])
        tracker = make_tracker(text="kirim foto tambahan", intent="add_info")
        events = await ActionAddInfo().run(dispatcher, tracker, DOMAIN)
        assert responses(dispatcher) == ["utter_thread_which_report"]
        assert len(dispatcher.messages[0]["buttons"]) == 2
        assert "thread_report" not in slot_events(events)

    async def test_no_open_report_says_how_to_report(
        self, fake_backend: FakeBackend, dispatcher: CollectingDispatcher
    ) -> None:
        fake_backend.reply = backend_answering(waiting=[report(status="resolved")])
        tracker = make_tracker(text="tambah info", intent="add_info")
        assert await ActionAddInfo().run(dispatcher, tracker, DOMAIN) == []
        assert responses(dispatcher) == ["utter_thread_no_open_report"]
