"""The duplicate step of the complaint form: nearby open reports offered, then followed.

The backend is an `httpx.MockTransport` (`fake_backend`): each test asserts on the exact
requests the action server sends (the nearby search, the followers call).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import httpx
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.duplicates import step
from actions.duplicates.choice import NEW, read_choice
from actions.duplicates.entries import (
    Candidate,
    age_words,
    distance_words,
    entry_text,
    offer_buttons,
)
from actions.fallback import ActionFallback
from actions.forms.complaint_form import ValidateComplaintForm
from tests.actions.conftest import DOMAIN, FakeBackend, make_tracker, slot_events

pytestmark = pytest.mark.usefixtures("services")

FORM = ValidateComplaintForm()
NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.timezone.utc)
DESCRIPTION = "Jalan berlubang besar di depan SDN 1, motor sering jatuh"
PIN = {"latitude": -6.2, "longitude": 106.45}  # Balaraja
FIRST = "TNG-2026-000101"
SECOND = "TNG-2026-000102"
HIDDEN = "TNG-2026-000103"
#: A complaint whose category is known; the place is this turn's answer.
DRAFT = {
    "report_type": "complaint",
    "complaint_description": DESCRIPTION,
    "complaint_category": "jalan_jembatan",
    "report_draft_id": "d1",
    "attachments": ["att-1"],
}


def nearby_item(tracking_id: str, **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "tracking_id": tracking_id,
        "category": "jalan_jembatan",
        "status": "received",
        "distance_m": 48.7,
        "created_at": (NOW - dt.timedelta(days=3)).isoformat(),
        "summary": "Jalan rusak/berlubang: Lubang besar depan SDN 1 (Jl. Raya Balaraja)",
    }
    item.update(fields)
    return item


def answering(
    nearby: list[dict[str, Any]] | None = None,
    follow: httpx.Response | None = None,
    reporter: str = "telegram:7",
) -> Any:
    """A fake backend's reply: the nearby results, the followers call's answer, and the
    report (filed by `reporter`)."""

    def reply(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/complaints/nearby":
            return httpx.Response(200, json=nearby or [])
        if request.url.path.endswith("/followers"):
            return follow or httpx.Response(201, json={"tracking_id": FIRST})
        if request.method == "GET" and request.url.path.startswith("/api/v1/complaints/TNG-"):
            tracking_id = request.url.path.rsplit("/", 1)[1]
            return httpx.Response(
                200, json={"tracking_id": tracking_id, "reporter": {"chat_id": reporter}}
            )
        return httpx.Response(201, json={"tracking_id": "TNG-2026-000999"})

    return reply


async def run_form(
    dispatcher: CollectingDispatcher,
    requested: str | None,
    text: str | None,
    *,
    intent: str | None = "inform",
    entities: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    **slots: Any,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One turn of the validation: the slots it sets and every event."""
    tracker = make_tracker(
        slots={"requested_slot": requested, **slots},
        text=text,
        intent=intent,
        entities=entities,
        metadata=metadata,
        active_loop="complaint_form",
    )
    events = await FORM.run(dispatcher, tracker, DOMAIN)
    return slot_events(events), events


async def offer_two(dispatcher: CollectingDispatcher, fake_backend: FakeBackend) -> dict[str, Any]:
    """The turn that shares the pin, offering two nearby reports; the slots after it."""
    fake_backend.reply = answering([nearby_item(FIRST), nearby_item(SECOND, distance_m=180)])
    slots, _ = await run_form(
        dispatcher,
        "complaint_location",
        None,
        intent="share_location",
        metadata={"location": PIN},
        **DRAFT,
    )
    dispatcher.messages.clear()
    fake_backend.requests.clear()
    return {**DRAFT, **slots}


# --- entries ---------------------------------------------------------------------------


def test_an_entry_says_what_where_how_far_how_old_and_the_status() -> None:
    candidate = Candidate.from_json(nearby_item(FIRST, status="in_progress"))
    assert candidate is not None
    assert entry_text(candidate, 1, language="id", now=NOW) == (
        "1. Jalan rusak/berlubang: Lubang besar depan SDN 1 (Jl. Raya Balaraja)\n"
        "   ±50 m dari lokasi Bapak/Ibu · 3 hari lalu · sedang ditangani instansi"
    )
    assert entry_text(candidate, 2, language="en", now=NOW).endswith(
        "~50 m from your place · 3 days ago · being handled by the agency"
    )


def test_a_confidential_report_is_only_a_similar_report() -> None:
    candidate = Candidate.from_json(nearby_item(HIDDEN, summary=None))
    assert candidate is not None and candidate.confidential
    assert entry_text(candidate, 3, language="id", now=NOW) == "3. Laporan serupa"
    assert entry_text(candidate, 3, language="en", now=NOW) == "3. A similar report"


def test_an_entry_found_by_desa_has_no_distance() -> None:
    candidate = Candidate.from_json(nearby_item(FIRST, distance_m=None))
    assert candidate is not None
    assert "m dari lokasi" not in entry_text(candidate, 1, language="id", now=NOW)


@pytest.mark.parametrize(
    ("days", "indonesian", "english"),
    [
        (0, "hari ini", "today"),
        (1, "kemarin", "yesterday"),
        (5, "5 hari lalu", "5 days ago"),
        (21, "3 minggu lalu", "3 weeks ago"),
        (95, "3 bulan lalu", "3 months ago"),
    ],
)
def test_how_old_in_words(days: int, indonesian: str, english: str) -> None:
    created = NOW - dt.timedelta(days=days)
    assert age_words(created, NOW, "id") == indonesian
    assert age_words(created, NOW, "en") == english


@pytest.mark.parametrize(
    ("metres", "words"), [(3, "10 m"), (48.7, "50 m"), (260, "250 m"), (1234, "1,2 km")]
)
def test_distances_are_rounded_the_way_people_say_them(metres: float, words: str) -> None:
    assert distance_words(metres) == words


def test_buttons_one_per_report_and_a_new_report() -> None:
    assert offer_buttons([FIRST], "id") == [
        {"title": "Ya, masalah yang sama", "payload": f'/inform{{"tracking_id":"{FIRST}"}}'},
        {"title": "Bukan, buat laporan baru", "payload": "/deny"},
    ]
    titles = [b["title"] for b in offer_buttons([FIRST, SECOND], "en")]
    assert titles == [
        "Yes, the same problem (1)",
        "Yes, the same problem (2)",
        "No, file a new report",
    ]


def test_whatsapp_buttons_fit_its_20_characters() -> None:
    for language in ("id", "en"):
        for count in (1, 2, 3):
            ids = [FIRST, SECOND, HIDDEN][:count]
            buttons = offer_buttons(ids, language, short=True)
            titles = [b["title"] for b in buttons]
            assert all(len(title) <= 20 for title in titles), titles
            assert len(set(titles)) == len(titles)
    assert [b["title"] for b in offer_buttons([FIRST, SECOND], "id", short=True)] == [
        "Ya, sama no. 1",
        "Ya, sama no. 2",
        "Bukan, laporan baru",
    ]


# --- typed choices ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "offered", "chosen"),
    [
        ("iya sama", [FIRST], FIRST),
        ("yg pertama", [FIRST, SECOND], FIRST),
        ("yang kedua pak", [FIRST, SECOND], SECOND),
        ("nomor 2", [FIRST, SECOND], SECOND),
        ("no. 2 pak", [FIRST, SECOND], SECOND),
        ("Ya, sama no. 2", [FIRST, SECOND], SECOND),
        ("Yes, same as no. 1", [FIRST, SECOND], FIRST),
        ("no, a new report", [FIRST, SECOND], NEW),
        ("bukan yang pertama, yang kedua", [FIRST, SECOND], SECOND),
        ("tng-2026-000102", [FIRST, SECOND], SECOND),
        ("bukan itu pak", [FIRST], NEW),
        ("beda", [FIRST, SECOND], NEW),
        ("Bukan, buat laporan baru", [FIRST], NEW),
        ("gak", [FIRST], NEW),
        ("/deny", [FIRST], NEW),
        ("lubangnya dalam sekali", [FIRST], None),
        ("nomor 3", [FIRST, SECOND], None),
    ],
)
def test_typed_choices(text: str, offered: list[str], chosen: str | None) -> None:
    assert read_choice(text, offered).value == chosen


def test_a_bare_yes_to_several_reports_is_unclear() -> None:
    choice = read_choice("iya sama", [FIRST, SECOND])
    assert choice.unclear and choice.value is None


# --- the form: the offer ----------------------------------------------------------------


async def test_a_pin_near_open_reports_offers_them(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    fake_backend.reply = answering(
        [nearby_item(FIRST), nearby_item(HIDDEN, summary=None, distance_m=120)]
    )
    slots, events = await run_form(
        dispatcher,
        "complaint_location",
        None,
        intent="share_location",
        metadata={"location": PIN},
        **DRAFT,
    )
    [request] = fake_backend.requests
    assert request.method == "GET"
    assert request.url.path == "/api/v1/complaints/nearby"
    assert dict(request.url.params) == {
        "category": "jalan_jembatan",
        "limit": "3",
        "lat": "-6.2",
        "lon": "106.45",
        "text": DESCRIPTION,
    }
    assert request.headers["Authorization"] == "Bearer tok"
    [message] = dispatcher.messages
    assert message["response"] == "utter_duplicate_offer"
    assert message["entries"].startswith("1. Jalan rusak/berlubang: Lubang besar")
    assert message["entries"].endswith("\n2. Laporan serupa")
    assert [b["payload"] for b in message["buttons"]] == [
        f'/inform{{"tracking_id":"{FIRST}"}}',
        f'/inform{{"tracking_id":"{HIDDEN}"}}',
        "/deny",
    ]
    assert slots["requested_slot"] == "duplicate_choice"
    assert slots["duplicate_choice"] is None
    assert [o["tracking_id"] for o in slots["duplicate_candidates"]] == [FIRST, HIDDEN]
    assert slots["question_sent"] is True
    # the requested slot is set once, after the offer (Rasa reads the first one)
    requested = [e for e in events if e.get("name") == "requested_slot"]
    assert requested == [requested[-1]]


async def test_no_nearby_report_goes_on_to_the_next_question(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    fake_backend.reply = answering([])
    slots, _ = await run_form(
        dispatcher,
        "complaint_location",
        None,
        intent="share_location",
        metadata={"location": PIN},
        **DRAFT,
    )
    assert len(fake_backend.requests) == 1
    assert slots["duplicate_choice"] == NEW
    assert slots["requested_slot"] == "incident_date"
    assert [m["response"] for m in dispatcher.messages] == ["utter_question_incident_date"]


async def test_a_written_desa_is_searched_by_desa(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    fake_backend.reply = answering([nearby_item(FIRST, distance_m=None)])
    slots, _ = await run_form(
        dispatcher, "complaint_location", "depan kantor desa Bojong Nangka", **DRAFT
    )
    [request] = fake_backend.requests
    params = dict(request.url.params)
    assert (params["desa"], params["kecamatan"]) == (
        slots["complaint_desa"],
        slots["complaint_kecamatan"],
    )
    assert slots["complaint_desa"] and "lat" not in params
    assert dispatcher.messages[0]["response"] == "utter_duplicate_offer"


async def test_only_a_kecamatan_is_too_vague_to_search(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    slots, _ = await run_form(dispatcher, "complaint_location", "Balaraja", **DRAFT)
    assert slots["complaint_kecamatan"] == "Balaraja"
    assert fake_backend.requests == []
    assert slots["duplicate_choice"] == NEW
    assert [m["response"] for m in dispatcher.messages] == ["utter_question_incident_date"]


async def test_an_aspiration_is_never_checked(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    slots, _ = await run_form(
        dispatcher,
        "complaint_location",
        None,
        intent="share_location",
        metadata={"location": PIN},
        **{**DRAFT, "report_type": "aspiration"},
    )
    assert fake_backend.requests == []
    assert "duplicate_choice" not in slots


async def test_a_slow_backend_is_skipped_silently(
    dispatcher: CollectingDispatcher,
    services: Any,
    fake_backend: FakeBackend,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        fake_backend.requests.append(request)
        await asyncio.sleep(5)
        return httpx.Response(200, json=[nearby_item(FIRST)])

    monkeypatch.setattr(step, "CHECK_TIMEOUT_SECONDS", 0.2)
    services.http._transport = httpx.MockTransport(slow)
    started = asyncio.get_running_loop().time()
    slots, _ = await run_form(
        dispatcher,
        "complaint_location",
        None,
        intent="share_location",
        metadata={"location": PIN},
        **DRAFT,
    )
    assert asyncio.get_running_loop().time() - started < 1.0
    assert len(fake_backend.requests) == 1
    assert slots["duplicate_choice"] == NEW
    assert [m["response"] for m in dispatcher.messages] == ["utter_question_incident_date"]


@pytest.mark.parametrize("status", [500, 404, 422])
async def test_a_failing_backend_is_skipped_silently(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend, status: int
) -> None:
    fake_backend.reply = lambda request: httpx.Response(status, json={"message": "x"})
    slots, _ = await run_form(
        dispatcher,
        "complaint_location",
        None,
        intent="share_location",
        metadata={"location": PIN},
        **DRAFT,
    )
    assert len(fake_backend.requests) == 1
    assert slots["duplicate_choice"] == NEW
    assert [m["response"] for m in dispatcher.messages] == ["utter_question_incident_date"]


# --- the form: the choice ---------------------------------------------------------------


async def test_choosing_a_report_follows_it_and_files_nothing(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    draft = await offer_two(dispatcher, fake_backend)
    slots, events = await run_form(
        dispatcher,
        "duplicate_choice",
        f'/inform{{"tracking_id":"{SECOND}"}}',
        entities={"tracking_id": SECOND},
        metadata={"display_name": "Siti"},
        **draft,
    )
    [request] = fake_backend.requests
    assert request.method == "POST"
    assert request.url.path == f"/api/v1/complaints/{SECOND}/followers"
    assert json.loads(request.content) == {
        "chat_id": "telegram:42",
        "name": "Siti",
        "language": "id",
        "description": DESCRIPTION,
        "attachments": ["att-1"],
        "location": {  # no text: a pin's is only its coordinates
            "kecamatan": "Balaraja",
            "latitude": -6.2,
            "longitude": 106.45,
        },
    }
    [message] = dispatcher.messages
    assert message["response"] == "utter_duplicate_followed"
    assert message["tracking_id"] == SECOND
    assert slots["requested_slot"] is None
    assert events[-1]["name"] == "requested_slot" and events[-1]["value"] is None
    assert slots["complaint_description"] is None  # the draft is done with
    assert slots["duplicate_candidates"] is None


@pytest.mark.parametrize(
    ("text", "intent", "chosen"),
    [("yg pertama", "inform", FIRST), ("yang kedua aja", "out_of_scope", SECOND)],
)
async def test_a_typed_choice_follows(
    dispatcher: CollectingDispatcher,
    fake_backend: FakeBackend,
    text: str,
    intent: str,
    chosen: str,
) -> None:
    draft = await offer_two(dispatcher, fake_backend)
    slots, _ = await run_form(dispatcher, "duplicate_choice", text, intent=intent, **draft)
    [request] = fake_backend.requests
    assert request.url.path == f"/api/v1/complaints/{chosen}/followers"
    assert dispatcher.messages[0]["response"] == "utter_duplicate_followed"
    assert slots["requested_slot"] is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [("/deny", "deny"), ("bukan itu pak", "deny"), ("beda", "out_of_scope")],
)
async def test_no_files_a_new_report(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend, text: str, intent: str
) -> None:
    draft = await offer_two(dispatcher, fake_backend)
    slots, _ = await run_form(dispatcher, "duplicate_choice", text, intent=intent, **draft)
    assert fake_backend.requests == []
    assert slots["duplicate_choice"] == NEW
    assert slots["duplicate_candidates"] is None
    # (Rasa's form picks the next slot itself when the list is the domain's)
    assert slots.get("requested_slot", "incident_date") == "incident_date"
    assert [m["response"] for m in dispatcher.messages] == ["utter_question_incident_date"]


async def test_a_bare_yes_to_two_reports_asks_which(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    draft = await offer_two(dispatcher, fake_backend)
    slots, _ = await run_form(dispatcher, "duplicate_choice", "iya sama", intent="affirm", **draft)
    assert fake_backend.requests == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_duplicate_which"
    assert len(message["buttons"]) == 3
    assert slots["duplicate_choice"] is None
    assert slots["invalid_attempts"] == 1


async def test_a_new_pin_instead_of_an_answer_looks_again(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    draft = await offer_two(dispatcher, fake_backend)
    fake_backend.reply = answering([])
    slots, _ = await run_form(
        dispatcher,
        "duplicate_choice",
        "/share_location",
        intent="share_location",
        metadata={"location": {"latitude": -6.25, "longitude": 106.45}},
        **draft,
    )
    [request] = fake_backend.requests
    assert dict(request.url.params)["lat"] == "-6.25"
    assert slots["duplicate_choice"] == NEW
    assert [m["response"] for m in dispatcher.messages] == ["utter_question_incident_date"]


async def test_a_photo_instead_of_an_answer_asks_again(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    draft = await offer_two(dispatcher, fake_backend)
    slots, _ = await run_form(
        dispatcher,
        "duplicate_choice",
        "/send_attachment",
        intent="send_attachment",
        metadata={"attachments": ["a" * 32]},
        **draft,
    )
    assert fake_backend.requests == []
    assert slots["attachments"] == ["att-1", "a" * 32]
    [message] = dispatcher.messages
    assert message["response"] == "utter_duplicate_offer"
    assert len(message["buttons"]) == 3


async def test_cancel_still_interrupts_the_offer(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    draft = await offer_two(dispatcher, fake_backend)
    tracker = make_tracker(
        slots={"requested_slot": "duplicate_choice", **draft},
        text="gak jadi deh",
        intent="cancel",
        active_loop="complaint_form",
    )
    assert not step.answers_offer(tracker)


async def test_a_failed_follow_files_the_report_and_says_so(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    draft = await offer_two(dispatcher, fake_backend)
    fake_backend.reply = answering(follow=httpx.Response(503, json={"message": "down"}))
    slots, _ = await run_form(
        dispatcher,
        "duplicate_choice",
        f'/inform{{"tracking_id":"{FIRST}"}}',
        entities={"tracking_id": FIRST},
        **draft,
    )
    assert len(fake_backend.requests) == 1
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_duplicate_follow_failed",
        "utter_question_incident_date",
    ]
    assert slots["duplicate_choice"] == NEW
    assert "complaint_description" not in slots  # the draft is kept


async def test_following_ones_own_report_files_nothing(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    draft = await offer_two(dispatcher, fake_backend)
    refused = httpx.Response(409, json={"message": "This chat filed report it itself"})
    fake_backend.reply = answering(follow=refused, reporter="telegram:42")
    slots, _ = await run_form(dispatcher, "duplicate_choice", "yg pertama", **draft)
    assert [(r.method, r.url.path) for r in fake_backend.requests] == [
        ("POST", f"/api/v1/complaints/{FIRST}/followers"),
        ("GET", f"/api/v1/complaints/{FIRST}"),
    ]
    assert [m["response"] for m in dispatcher.messages] == ["utter_duplicate_own_report"]
    assert slots["requested_slot"] is None


async def test_a_report_merged_or_closed_meanwhile_files_the_citizens_own(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    draft = await offer_two(dispatcher, fake_backend)
    refused = httpx.Response(409, json={"message": "Report was merged into another"})
    fake_backend.reply = answering(follow=refused, reporter="telegram:7")
    slots, _ = await run_form(dispatcher, "duplicate_choice", "yg pertama", **draft)
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_duplicate_follow_failed",
        "utter_question_incident_date",
    ]
    assert slots["duplicate_choice"] == NEW
    assert "complaint_description" not in slots  # the draft is kept, to be filed


# --- an offer's button tapped again, after the form ended -------------------------------


async def test_a_later_tap_on_the_offer_follows_and_says_so(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    fake_backend.reply = answering(follow=httpx.Response(200, json={"tracking_id": FIRST}))
    tracker = make_tracker(
        text=f'/inform{{"tracking_id":"{FIRST}"}}',
        intent="inform",
        entities={"tracking_id": FIRST},
    )
    events = await ActionFallback().run(dispatcher, tracker, DOMAIN)
    [request] = fake_backend.requests
    assert request.url.path == f"/api/v1/complaints/{FIRST}/followers"
    assert json.loads(request.content)["chat_id"] == "telegram:42"
    assert [m["response"] for m in dispatcher.messages] == ["utter_duplicate_followed"]
    assert events == []


async def test_a_later_tap_on_a_closed_report_is_the_usual_fallback(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    refused = httpx.Response(409, json={"message": "Report is 'closed'"})
    fake_backend.reply = answering(follow=refused, reporter="telegram:7")
    tracker = make_tracker(
        text=f'/inform{{"tracking_id":"{FIRST}"}}',
        intent="inform",
        entities={"tracking_id": FIRST},
    )
    await ActionFallback().run(dispatcher, tracker, DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_default"]


async def test_a_typed_tracking_id_is_no_tap(
    dispatcher: CollectingDispatcher, fake_backend: FakeBackend
) -> None:
    tracker = make_tracker(text=FIRST, intent="inform", entities={"tracking_id": FIRST})
    assert not await step.follow_tapped_later(dispatcher, tracker)
    assert fake_backend.requests == []
