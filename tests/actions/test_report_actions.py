"""The life of a report in progress: start, summary, corrections, cancel, resume,
session start, and the category question."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rasa_sdk.events import ActionExecuted, ActiveLoop, FollowupAction, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.category import ActionAskComplaintCategory
from actions.forms.complaint_form import DRAFT_SLOTS
from actions.report import (
    ActionCancelReport,
    ActionChangeField,
    ActionConfirmCancel,
    ActionResumeReport,
    ActionShowSummary,
    ActionStartReport,
    asks_if_sent,
    correction_value,
    field_named,
)
from actions.routing.classifier import CategoryClassifier
from actions.routing.dataset import load_categories
from actions.session import ActionSessionStart
from tests.actions.conftest import DOMAIN, make_tracker, responses, slot_events

pytestmark = pytest.mark.usefixtures("services")

DESCRIPTION = "Jalan di depan SDN 1 berlubang besar, sudah dua motor jatuh minggu ini."
COMPLETE = {
    "report_type": "complaint",
    "complaint_description": DESCRIPTION,
    "complaint_category": "jalan_jembatan",
    "complaint_location": "Jl. Raya Serang km 20",
    "complaint_kecamatan": "Balaraja",
    "incident_date": "2026-11-20",
    "privacy": "anonymous",
    "attachments": ["a1", "b2"],
    "report_draft_id": "draft-1",
}


# --- start ------------------------------------------------------------------------------


async def test_a_described_problem_starts_a_complaint(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        text=DESCRIPTION,
        intent="report_problem",
        metadata={"attachments": ["a1", 7]},
        slots={"complaint_location": "old place", "privacy": "public"},
    )
    events = await ActionStartReport().run(dispatcher, tracker, DOMAIN)
    slots = slot_events(events)
    assert slots["report_type"] == "complaint"
    assert slots["complaint_description"] == DESCRIPTION
    assert slots["attachments"] == ["a1", "7"]
    # The previous draft is gone.
    assert slots["complaint_location"] is None
    assert slots["privacy"] is None
    assert re.fullmatch(r"[0-9a-f]{32}", slots["report_draft_id"])
    assert dispatcher.messages == []


async def test_every_report_gets_a_fresh_draft_id(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(text="/start_report", intent="start_report")
    first = slot_events(await ActionStartReport().run(dispatcher, tracker, DOMAIN))
    second = slot_events(await ActionStartReport().run(dispatcher, tracker, DOMAIN))
    assert first["report_draft_id"] != second["report_draft_id"]
    # A bare "start" prefills nothing, and clears nothing that is empty already.
    assert set(first) == {"report_draft_id"}


async def test_a_report_type_button_sets_the_type(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        text="/inform_report_type",
        intent="inform_report_type",
        entities={"report_type": "aspiration"},
    )
    slots = slot_events(await ActionStartReport().run(dispatcher, tracker, DOMAIN))
    assert slots["report_type"] == "aspiration"
    assert "complaint_description" not in slots  # empty already: no event


# --- summary ----------------------------------------------------------------------------


async def test_summary_of_a_complete_report(dispatcher: CollectingDispatcher) -> None:
    events = await ActionShowSummary().run(dispatcher, make_tracker(slots=COMPLETE), DOMAIN)
    assert events == [SlotSet("awaiting_confirmation", True), SlotSet("choosing_field", False)]
    assert responses(dispatcher) == ["utter_summary"]
    message = dispatcher.messages[0]
    assert {key: message[key] for key in SUMMARY_KEYS} == {
        "report_type_label": "Pengaduan",
        "description": DESCRIPTION,
        "category_label": "Jalan & Jembatan",
        "location_label": "Jl. Raya Serang km 20 (Kec. Balaraja)",
        "date_label": "Jumat, 20 November 2026",
        "privacy_label": "Anonim",
        "attachment_count": 2,
    }


SUMMARY_KEYS = (
    "report_type_label",
    "description",
    "category_label",
    "location_label",
    "date_label",
    "privacy_label",
    "attachment_count",
)


def test_summary_template_uses_exactly_these_values() -> None:
    for variant in DOMAIN["responses"]["utter_summary"]:
        assert set(re.findall(r"{(\w+)}", variant["text"])) == set(SUMMARY_KEYS)


async def test_summary_in_english(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        slots={**COMPLETE, "language": "en", "privacy": "confidential", "attachments": []}
    )
    await ActionShowSummary().run(dispatcher, tracker, DOMAIN)
    message = dispatcher.messages[0]
    assert message["report_type_label"] == "Complaint"
    assert message["category_label"] == "Roads & bridges"
    assert message["date_label"] == "Friday, 20 November 2026"
    assert message["privacy_label"] == "Confidential"
    assert message["attachment_count"] == 0


async def test_summary_shortens_a_long_description_and_keeps_a_named_kecamatan(
    dispatcher: CollectingDispatcher,
) -> None:
    long_text = "Saluran air di perumahan kami mampet dan meluap setiap hujan turun. " * 10
    tracker = make_tracker(
        slots={
            **COMPLETE,
            "complaint_description": long_text,
            "complaint_location": "Jl. Raya Serang km 20, Balaraja",
        }
    )
    await ActionShowSummary().run(dispatcher, tracker, DOMAIN)
    message = dispatcher.messages[0]
    assert len(message["description"]) <= 300
    assert message["description"].endswith("…")
    assert long_text.startswith(message["description"][:-1])
    assert message["location_label"] == "Jl. Raya Serang km 20, Balaraja"


async def test_summary_of_an_information_request_needs_no_place_or_date(
    dispatcher: CollectingDispatcher,
) -> None:
    slots = {
        **COMPLETE,
        "report_type": "information",
        "complaint_location": None,
        "complaint_kecamatan": None,
        "incident_date": None,
    }
    await ActionShowSummary().run(dispatcher, make_tracker(slots=slots), DOMAIN)
    message = dispatcher.messages[0]
    assert message["report_type_label"] == "Permintaan informasi"
    assert message["location_label"] == "-"
    assert message["date_label"] == "-"


@pytest.mark.parametrize("missing", ["complaint_category", "privacy", "attachments", "report_type"])
async def test_no_summary_while_an_answer_is_missing(
    dispatcher: CollectingDispatcher, missing: str
) -> None:
    tracker = make_tracker(slots={**COMPLETE, missing: None})
    assert await ActionShowSummary().run(dispatcher, tracker, DOMAIN) == []
    assert dispatcher.messages == []


# --- change a field ---------------------------------------------------------------------


async def test_changing_the_location_clears_every_location_slot(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(
        slots={**COMPLETE, "complaint_latitude": -6.2, "complaint_longitude": 106.45},
        text="ubah lokasi",
        intent="change_field",
        entities={"field": "complaint_location"},
    )
    events = await ActionChangeField().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events) == {
        "complaint_location": None,
        "complaint_latitude": None,
        "complaint_longitude": None,
        "complaint_kecamatan": None,
        "location_draft": None,
        "complaint_desa": None,
        "duplicate_choice": None,  # another place: the nearby reports are looked up again
        "duplicate_candidates": None,
        "invalid_attempts": 0,
        "field_to_change": None,
        "awaiting_confirmation": False,
        "suggestions": {},
        "question_sent": False,
        "pending_answer": None,
        "choosing_field": False,
    }
    assert events[-1] == FollowupAction("complaint_form")
    assert dispatcher.messages == []


async def test_changing_the_description_also_clears_the_category(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(
        slots=COMPLETE, intent="change_field", entities={"field": "complaint_description"}
    )
    events = await ActionChangeField().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events) == {
        "complaint_description": None,
        "complaint_category": None,
        "category_suggestions": None,
        "invalid_attempts": 0,
        "field_to_change": None,
        "awaiting_confirmation": False,
        "suggestions": {},
        "question_sent": False,
        "pending_answer": None,
        "choosing_field": False,
    }


@pytest.mark.parametrize("entities", [None, {"field": "tracking_id"}])
async def test_change_without_a_known_field_clears_nothing(
    dispatcher: CollectingDispatcher, entities: dict[str, Any] | None
) -> None:
    tracker = make_tracker(slots=COMPLETE, intent="change_field", entities=entities)
    events = await ActionChangeField().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events) == {
        "field_to_change": None,
        "choosing_field": True,
        "awaiting_confirmation": False,
    }
    assert responses(dispatcher) == ["utter_ask_which_field"]


@pytest.mark.parametrize(
    ("text", "field"), [("tanggal", "incident_date"), ("lokasi", "complaint_location")]
)
async def test_the_part_to_change_typed_after_which_part(
    dispatcher: CollectingDispatcher, text: str, field: str
) -> None:
    tracker = make_tracker(slots={**COMPLETE, "choosing_field": True}, text=text, intent="affirm")
    events = await ActionChangeField().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events)[field] is None
    assert slot_events(events)["choosing_field"] is False
    assert events[-1] == FollowupAction("complaint_form")


async def test_yes_to_which_part_shows_the_summary_again(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(slots={**COMPLETE, "choosing_field": True}, text="ya", intent="affirm")
    events = await ActionChangeField().run(dispatcher, tracker, DOMAIN)
    assert dispatcher.messages == []
    assert events[-1] == FollowupAction("complaint_form")
    assert "complaint_location" not in slot_events(events)


async def test_change_without_a_draft_starts_a_new_report(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(intent="change_field", entities={"field": "privacy"})
    events = await ActionChangeField().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_no_draft"]
    assert sorted(slot_events(events)) == ["field_to_change", "report_draft_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", slot_events(events)["report_draft_id"])


# --- cancel and resume ------------------------------------------------------------------


@pytest.mark.parametrize(
    "slots",
    [COMPLETE, {"report_draft_id": "draft-1"}, {"complaint_location": "Cikupa"}],
)
async def test_cancel_asks_for_confirmation_when_a_report_is_in_progress(
    dispatcher: CollectingDispatcher, slots: dict[str, Any]
) -> None:
    tracker = make_tracker(slots=slots, intent="cancel")
    events = await ActionConfirmCancel().run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("awaiting_confirmation", False)]
    assert responses(dispatcher) == ["utter_confirm_cancel"]


async def test_nothing_to_cancel(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(intent="cancel", slots={"report_type": None})
    assert await ActionConfirmCancel().run(dispatcher, tracker, DOMAIN) == []
    assert responses(dispatcher) == ["utter_nothing_to_cancel"]


async def test_cancelling_clears_every_draft_slot(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        slots={**COMPLETE, "requested_slot": "privacy", "location_draft": "x"},
        intent="affirm",
        active_loop="complaint_form",
    )
    events = await ActionCancelReport().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_cancelled"]
    assert ActiveLoop(None) in events
    slots = slot_events(events)
    assert slots["requested_slot"] is None
    for slot in DRAFT_SLOTS:
        assert slot in slots, slot
    assert {slots[slot] for slot in DRAFT_SLOTS if slot != "invalid_attempts"} == {None}
    assert slots["invalid_attempts"] == 0


async def test_resume_continues_a_kept_report(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        slots={**COMPLETE, "privacy": None, "invalid_attempts": 2.0}, intent="resume_report"
    )
    events = await ActionResumeReport().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_resume_form"]
    assert events == [SlotSet("invalid_attempts", 0)]


async def test_resume_without_a_report_starts_one(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(intent="resume_report")
    events = await ActionResumeReport().run(dispatcher, tracker, DOMAIN)
    slots = slot_events(events)
    assert re.fullmatch(r"[0-9a-f]{32}", slots["report_draft_id"])
    assert slots["invalid_attempts"] == 0
    assert "utter_resume_form" not in responses(dispatcher)


# --- session start ----------------------------------------------------------------------


async def test_a_new_session_keeps_the_draft_and_says_so(dispatcher: CollectingDispatcher) -> None:
    long_description = DESCRIPTION + " Mohon segera diperbaiki sebelum ada korban lagi."
    slots = {**COMPLETE, "complaint_description": long_description, "requested_slot": "privacy"}
    tracker = make_tracker(slots=slots, events=[])
    events = await ActionSessionStart().run(dispatcher, tracker, DOMAIN)
    assert events[0] == SessionStarted()
    assert events[-1] == ActionExecuted("action_listen")
    carried = slot_events(events)
    expected = {k: v for k, v in tracker.slots.items() if v is not None and k != "requested_slot"}
    assert carried == expected
    assert carried["complaint_description"] == long_description
    assert carried["language"] == "id"
    assert "requested_slot" not in carried
    assert responses(dispatcher) == ["utter_draft_restored"]
    preview = dispatcher.messages[0]["description"]
    assert len(preview) <= 80
    assert preview.endswith("…")


async def test_a_new_session_without_a_draft_is_quiet(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(slots={"language": "en"}, events=[])
    events = await ActionSessionStart().run(dispatcher, tracker, DOMAIN)
    assert dispatcher.messages == []
    assert slot_events(events) == {"language": "en", "invalid_attempts": 0}


# --- the category question --------------------------------------------------------------


async def test_category_question_suggests_the_classifiers_guesses(
    dispatcher: CollectingDispatcher, classifier: CategoryClassifier
) -> None:
    description = "Sampah menumpuk di pinggir jalan sudah seminggu tidak diangkut, baunya menyengat"
    tracker = make_tracker(
        slots={"complaint_description": description, "requested_slot": "complaint_category"}
    )
    events = await ActionAskComplaintCategory().run(dispatcher, tracker, DOMAIN)
    codes = slot_events(events)["category_suggestions"]
    assert len(codes) == 3
    assert codes[0] == "sampah"
    assert len(set(codes)) == 3
    assert responses(dispatcher) == ["utter_suggest_category"]
    message = dispatcher.messages[0]
    assert message["suggested_label"] == "Sampah & Kebersihan"
    categories = load_categories()
    assert message["buttons"] == [
        {"title": categories[code].label_id, "payload": f'/inform{{"complaint_category":"{code}"}}'}
        for code in codes
    ] + [{"title": "Pilih kategori lain", "payload": "/deny"}]


async def test_category_question_in_english(
    dispatcher: CollectingDispatcher, classifier: CategoryClassifier
) -> None:
    tracker = make_tracker(
        slots={
            "language": "en",
            "complaint_description": "Lampu jalan di depan gang kami mati sudah dua minggu, gelap",
        }
    )
    await ActionAskComplaintCategory().run(dispatcher, tracker, DOMAIN)
    message = dispatcher.messages[0]
    assert message["suggested_label"] == "Street lighting"
    assert message["buttons"][0]["title"] == "Street lighting"
    assert message["buttons"][-1] == {"title": "Another category", "payload": "/deny"}


async def test_after_no_the_full_list_is_shown(dispatcher: CollectingDispatcher) -> None:
    # The classifier is not needed (the `services` fixture's stand-in fails when used).
    tracker = make_tracker(slots={"complaint_description": DESCRIPTION, "category_suggestions": []})
    events = await ActionAskComplaintCategory().run(dispatcher, tracker, DOMAIN)
    assert events == []
    assert responses(dispatcher) == ["utter_ask_category_list"]
    buttons = dispatcher.messages[0]["buttons"]
    assert len(buttons) == 18
    codes = [
        re.fullmatch(r'/inform\{"complaint_category":"(\w+)"\}', b["payload"]) for b in buttons
    ]
    assert all(codes)
    assert [m.group(1) for m in codes if m] == list(load_categories())
    assert buttons[0]["title"] == "Jalan & Jembatan"


async def test_a_described_emergency_gets_112_before_the_report(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(
        intent="report_problem", text="tolong rumah tetangga kebakaran apinya sudah besar"
    )
    events = await ActionStartReport().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_emergency"]
    assert slot_events(events)["complaint_description"].startswith("tolong rumah")


# --- corrections in free text and questions at the summary ------------------------------


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("ubah lokasi", "complaint_location", None),
        ("eh tanggalnya salah", "incident_date", None),
        ("lokasinya harusnya di Curug", "complaint_location", "Curug"),
        ("kategorinya salah, harusnya jalan", "complaint_category", "jalan"),
        ("mau ganti fotonya", "attachments", None),
    ],
)
def test_a_correction_names_its_field_and_new_value(
    text: str, field: str, value: str | None
) -> None:
    assert field_named(text) == field
    assert correction_value(text, field) == value


async def test_a_correction_with_its_value_hands_it_to_the_form(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(
        slots=COMPLETE,
        text="lokasinya harusnya di Curug",
        intent="change_field",
        entities={"field": "complaint_location"},
    )
    events = await ActionChangeField().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events)["pending_answer"] == "Curug"
    assert slot_events(events)["awaiting_confirmation"] is False
    assert events[-1] == FollowupAction("complaint_form")


@pytest.mark.parametrize(
    "text", ["jadi laporan abdi udh terkirim blm?", "laporan saya sudah dikirim belum?"]
)
def test_asking_if_it_was_sent_is_recognised(text: str) -> None:
    assert asks_if_sent(text)


@pytest.mark.parametrize("text", ["batal aja", "batalkan laporannya, ga jadi kirim"])
def test_a_real_cancel_is_not_a_question(text: str) -> None:
    assert not asks_if_sent(text)


async def test_a_cancel_that_asks_if_it_was_sent_reminds_instead(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(
        slots={**COMPLETE, "awaiting_confirmation": True},
        text="jadi laporan abdi udh terkirim blm?",
        intent="cancel",
    )
    events = await ActionConfirmCancel().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_summary_reminder"]
    assert events == [SlotSet("awaiting_confirmation", True)]


async def test_a_cancel_that_says_continue_resumes(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(slots=COMPLETE, text="eh gak jadi, lanjut aja", intent="cancel")
    events = await ActionConfirmCancel().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_resume_form"]
    assert events[-1] == FollowupAction("complaint_form")


@pytest.mark.parametrize("text", ["kirim", "lanjut aja", "kirim aja pak"])
async def test_send_words_never_confirm_a_cancel(
    dispatcher: CollectingDispatcher, text: str
) -> None:
    tracker = make_tracker(slots=COMPLETE, text=text, intent="affirm")
    events = await ActionCancelReport().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_resume_form"]
    assert events[-1] == FollowupAction("complaint_form")


async def test_never_mind_to_which_part_shows_the_summary(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        slots={**COMPLETE, "choosing_field": True}, text="ga jadi, udah bener", intent="cancel"
    )
    events = await ActionConfirmCancel().run(dispatcher, tracker, DOMAIN)
    assert dispatcher.messages == []
    assert events[-1] == FollowupAction("complaint_form")


def after_the_cancel_question(text: str) -> Any:
    """A tracker whose latest message `text` answers "Batalkan laporan ini?"."""
    return make_tracker(
        slots=COMPLETE,
        text=text,
        intent="cancel",
        events=[
            {"event": "action", "name": "action_confirm_cancel"},
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": text},
        ],
    )


@pytest.mark.parametrize(
    "text", ["iya batalkan", "iya batal", "ya batal aja pak", "batalin aja", "batal"]
)
async def test_a_yes_or_the_cancel_said_again_to_the_cancel_question_cancels(
    dispatcher: CollectingDispatcher, text: str
) -> None:
    events = await ActionConfirmCancel().run(dispatcher, after_the_cancel_question(text), DOMAIN)
    assert responses(dispatcher) == ["utter_cancelled"]
    assert ActiveLoop(None) in events


@pytest.mark.parametrize("text", ["ga jadi batal", "jangan dibatalin", "batal, eh lanjut aja"])
async def test_a_negated_cancel_to_the_cancel_question_does_not_cancel(
    dispatcher: CollectingDispatcher, text: str
) -> None:
    await ActionConfirmCancel().run(dispatcher, after_the_cancel_question(text), DOMAIN)
    assert "utter_cancelled" not in responses(dispatcher)
