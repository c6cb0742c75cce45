"""`validate_complaint_form`: extraction and validation of every slot of a report.

Most tests run the whole validation action (`run`), as Rasa calls it: the tracker's
history ends with the user's message, `requested_slot` names the question asked, and the
returned `SlotSet` events are what Rasa applies.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.forms.complaint_form import (
    CHOOSE_FROM_LIST,
    DRAFT_SLOTS,
    ValidateComplaintForm,
)
from actions.routing.classifier import CategoryClassifier
from actions.validators.dates import format_date_id
from tests.actions.conftest import DOMAIN, make_tracker, responses, slot_events

pytestmark = pytest.mark.usefixtures("services")

FORM = ValidateComplaintForm()
DOMAIN_FORM_SLOTS: list[str] = DOMAIN["forms"]["complaint_form"]["required_slots"]
DESCRIPTION = "Jalan di depan SDN 1 berlubang besar, sudah dua motor jatuh minggu ini."


async def run_form(
    dispatcher: CollectingDispatcher,
    requested: str | None,
    text: str | None = None,
    *,
    intent: str | None = "inform",
    entities: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    **slots: Any,
) -> dict[str, Any]:
    """Run the validation action for one user message; the slots it sets."""
    tracker = make_tracker(
        slots={"requested_slot": requested, **slots},
        text=text,
        intent=intent,
        entities=entities,
        metadata=metadata,
        active_loop="complaint_form",
    )
    events = await FORM.run(dispatcher, tracker, DOMAIN)
    assert all(e["event"] == "slot" for e in events)
    # The validation also asks the next question; tests of answers look at the rest.
    ASKED[:] = [m for m in dispatcher.messages if str(m.get("response")).startswith(_QUESTIONS)]
    dispatcher.messages[:] = [m for m in dispatcher.messages if m not in ASKED]
    return slot_events(events)


#: The questions the latest `run_form` asked (confirmations included).
ASKED: list[dict[str, Any]] = []
_QUESTIONS = ("utter_question_", "utter_confirm_")


def jakarta_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()


# --- report type ----------------------------------------------------------------------


async def test_report_type_from_a_button_entity(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(
        dispatcher, "report_type", "/inform_report_type", entities={"report_type": "aspiration"}
    )
    assert slots["report_type"] == "aspiration"
    assert slots["invalid_attempts"] == 0
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("saya mau kasih saran", "aspiration"),
        ("pengaduan", "complaint"),
        ("mau tanya info", "information"),
    ],
)
async def test_report_type_from_free_text(
    dispatcher: CollectingDispatcher, text: str, expected: str
) -> None:
    slots = await run_form(dispatcher, "report_type", text)
    assert slots["report_type"] == expected


async def test_unknown_report_type_is_refused(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(dispatcher, "report_type", "hmm entahlah")
    assert slots["report_type"] is None
    assert slots["invalid_attempts"] == 1
    assert responses(dispatcher) == ["utter_please_use_buttons"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Jalan di depan pasar berlubang besar dan banyak motor jatuh setiap malam", "inform"),
        ("lampu jalan gang mawar mati udah seminggu", "report_problem"),
    ],
)
async def test_the_problem_itself_to_the_type_question_is_a_complaint_described(
    dispatcher: CollectingDispatcher, text: str, intent: str
) -> None:
    slots = await run_form(dispatcher, "report_type", text, intent=intent)
    assert slots["report_type"] == "complaint"
    assert slots["complaint_description"] == text
    assert "utter_please_use_buttons" not in responses(dispatcher)
    assert slots.get("invalid_attempts", 0) == 0


@pytest.mark.parametrize("text", ["hmm entahlah", "kenapa harus pilih jenisnya?", "ya"])
async def test_no_problem_told_to_the_type_question_is_still_asked(
    dispatcher: CollectingDispatcher, text: str
) -> None:
    slots = await run_form(dispatcher, "report_type", text)
    assert slots["report_type"] is None and slots.get("complaint_description") is None


# --- description ----------------------------------------------------------------------


async def test_description_is_accepted_stripped(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(dispatcher, "complaint_description", f"  {DESCRIPTION}  ")
    assert slots["complaint_description"] == DESCRIPTION
    assert slots["invalid_attempts"] == 0
    assert dispatcher.messages == []


async def test_description_extraction_only_answers_its_question(
    dispatcher: CollectingDispatcher,
) -> None:
    asked_elsewhere = make_tracker(
        slots={"requested_slot": "privacy"}, text=DESCRIPTION, intent="inform"
    )
    button = make_tracker(
        slots={"requested_slot": "complaint_description"}, text="/affirm", intent="affirm"
    )
    asked = make_tracker(
        slots={"requested_slot": "complaint_description"}, text=DESCRIPTION, intent="inform"
    )
    assert await FORM.extract_complaint_description(dispatcher, asked_elsewhere, DOMAIN) == {}
    assert await FORM.extract_complaint_description(dispatcher, button, DOMAIN) == {}
    assert await FORM.extract_complaint_description(dispatcher, asked, DOMAIN) == {
        "complaint_description": DESCRIPTION
    }


@pytest.mark.parametrize(
    ("text", "response"),
    [
        ("jalan rusak", "utter_description_too_short"),
        ("jalan berlubang parah sekali " * 200, "utter_description_too_long"),
    ],
)
async def test_unusable_descriptions_are_refused(
    dispatcher: CollectingDispatcher, text: str, response: str
) -> None:
    slots = await run_form(dispatcher, "complaint_description", text)
    assert slots["complaint_description"] is None
    assert slots["invalid_attempts"] == 1
    assert responses(dispatcher) == [response]


# --- category -------------------------------------------------------------------------


async def test_category_from_a_button_entity(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(
        dispatcher,
        "complaint_category",
        '/inform{"complaint_category":"banjir_drainase"}',
        entities={"complaint_category": "banjir_drainase"},
    )
    assert slots["complaint_category"] == "banjir_drainase"
    assert dispatcher.messages == []


async def test_yes_takes_the_first_suggestion(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(
        dispatcher,
        "complaint_category",
        "ya",
        intent="affirm",
        category_suggestions=["sampah", "pencemaran", "lainnya"],
    )
    assert slots["complaint_category"] == "sampah"


async def test_no_asks_for_the_full_list_without_counting_an_error(
    dispatcher: CollectingDispatcher,
) -> None:
    slots = await run_form(
        dispatcher,
        "complaint_category",
        "bukan",
        intent="deny",
        category_suggestions=["sampah", "pencemaran"],
        invalid_attempts=1,
    )
    assert slots["complaint_category"] is None
    assert slots["category_suggestions"] == []
    assert "invalid_attempts" not in slots
    assert dispatcher.messages == []


async def test_no_is_read_as_the_list_choice(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        slots={"requested_slot": "complaint_category", "category_suggestions": ["sampah"]},
        text="bukan",
        intent="deny",
    )
    extracted = await FORM.extract_complaint_category(dispatcher, tracker, DOMAIN)
    assert extracted == {"complaint_category": CHOOSE_FROM_LIST}


@pytest.mark.parametrize(
    ("text", "expected"), [("soal sampah", "sampah"), ("jalan", "jalan_jembatan"), ("pju", "pju")]
)
async def test_category_from_free_text(
    dispatcher: CollectingDispatcher, text: str, expected: str
) -> None:
    slots = await run_form(dispatcher, "complaint_category", text)
    assert slots["complaint_category"] == expected
    assert dispatcher.messages == []


async def test_category_extraction_ignores_other_questions(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(slots={"requested_slot": "privacy"}, text="ya", intent="affirm")
    assert await FORM.extract_complaint_category(dispatcher, tracker, DOMAIN) == {}


async def test_unknown_category_is_refused(
    dispatcher: CollectingDispatcher, classifier: CategoryClassifier
) -> None:
    slots = await run_form(dispatcher, "complaint_category", "qwerty zxcvb")
    assert slots["complaint_category"] is None
    assert slots["invalid_attempts"] == 1
    assert responses(dispatcher) == ["utter_category_unknown"]


@pytest.mark.parametrize(
    ("text", "hinted"),
    [("Pasar Cikupa, kecamatan Cikupa", "complaint_location"), ("kemarin sore", "incident_date")],
)
async def test_another_questions_answer_to_the_category_is_kept_not_refused(
    dispatcher: CollectingDispatcher, classifier: CategoryClassifier, text: str, hinted: str
) -> None:
    slots = await run_form(
        dispatcher,
        "complaint_category",
        text,
        complaint_description="Jalan berlubang besar di depan pasar, motor sering jatuh",
        category_suggestions=["jalan_jembatan"],
    )
    assert slots["complaint_category"] is None
    assert slots.get("invalid_attempts", 0) == 0
    assert responses(dispatcher) == ["utter_noted_for_later"]
    assert hinted in slots["suggestions"]


# --- location ---------------------------------------------------------------------------


async def test_written_location_with_its_kecamatan(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(
        dispatcher,
        "complaint_location",
        "Jl. Raya Serang km 20, Cikupa",
        complaint_latitude=-6.2,
        complaint_longitude=106.45,
    )
    assert slots["complaint_location"] == "Jl. Raya Serang km 20, Cikupa"
    assert slots["complaint_kecamatan"] == "Cikupa"
    # A written place replaces an earlier pin.
    assert slots["complaint_latitude"] is None
    assert slots["complaint_longitude"] is None
    assert slots["location_draft"] is None
    assert dispatcher.messages == []


async def test_location_pin_inside_the_regency(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(
        dispatcher,
        "complaint_location",
        None,
        intent="share_location",
        metadata={"location": {"latitude": -6.20, "longitude": 106.45}},
    )
    assert slots["complaint_location"] == "-6.200000, 106.450000"
    assert slots["complaint_kecamatan"] == "Balaraja"
    assert slots["complaint_latitude"] == pytest.approx(-6.20)
    assert slots["complaint_longitude"] == pytest.approx(106.45)
    assert dispatcher.messages == []


async def test_a_pin_that_starts_a_report_is_read_when_the_form_starts(
    dispatcher: CollectingDispatcher,
) -> None:
    slots = await run_form(
        dispatcher,
        None,
        None,
        intent="share_location",
        metadata={"location": {"latitude": -6.20, "longitude": 106.45}},
    )
    assert slots["complaint_kecamatan"] == "Balaraja"
    assert slots["complaint_latitude"] == pytest.approx(-6.20)


async def test_pin_extraction_reads_the_metadata(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        slots={"requested_slot": "complaint_location"},
        metadata={"location": {"latitude": "-6.2", "longitude": "106.45"}},
    )
    assert await FORM.extract_complaint_location(dispatcher, tracker, DOMAIN) == {
        "complaint_location": "-6.200000, 106.450000"
    }
    broken = make_tracker(
        slots={"requested_slot": "complaint_location"},
        metadata={"location": {"latitude": "utara", "longitude": 106.45}},
    )
    assert await FORM.extract_complaint_location(dispatcher, broken, DOMAIN) == {}


async def test_a_pin_replaces_an_earlier_pin(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(
        dispatcher,
        "complaint_location",
        None,
        intent="share_location",
        metadata={"location": {"latitude": -6.25, "longitude": 106.55}},
        complaint_latitude=-6.20,
        complaint_longitude=106.45,
    )
    assert slots["complaint_location"] == "-6.250000, 106.550000"
    assert slots["complaint_latitude"] == pytest.approx(-6.25)
    assert slots["complaint_longitude"] == pytest.approx(106.55)
    assert slots["complaint_kecamatan"] == "Curug"


def assert_draft_discarded(slots: dict[str, Any]) -> None:
    for slot in DRAFT_SLOTS:
        assert slot in slots, slot
        assert slots[slot] in (None, 0), (slot, slots[slot])
    assert slots["invalid_attempts"] == 0
    assert slots["requested_slot"] is None


DRAFT_SO_FAR = {
    "report_type": "complaint",
    "complaint_description": DESCRIPTION,
    "complaint_category": "jalan_jembatan",
    "report_draft_id": "draft-1",
}


async def test_pin_in_kota_tangerang_files_nothing(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(
        dispatcher,
        "complaint_location",
        None,
        intent="share_location",
        metadata={"location": {"latitude": -6.18, "longitude": 106.63}},
        **DRAFT_SO_FAR,
    )
    assert responses(dispatcher) == ["utter_location_outside_kota"]
    assert_draft_discarded(slots)


@pytest.mark.parametrize(
    ("text", "response"),
    [
        ("cipondoh", "utter_location_outside_kota"),
        ("Jl. Pahlawan Seribu, Serpong Utara", "utter_location_outside_tangsel"),
    ],
)
async def test_written_place_outside_the_regency_files_nothing(
    dispatcher: CollectingDispatcher, text: str, response: str
) -> None:
    slots = await run_form(dispatcher, "complaint_location", text, **DRAFT_SO_FAR)
    assert responses(dispatcher) == [response]
    assert_draft_discarded(slots)


async def test_location_without_kecamatan_is_kept_and_completed(
    dispatcher: CollectingDispatcher,
) -> None:
    first = await run_form(dispatcher, "complaint_location", "depan SDN 1 Jl. Merdeka")
    assert responses(dispatcher) == ["utter_location_ask_kecamatan"]
    assert first["complaint_location"] is None
    assert first["location_draft"] == "depan SDN 1 Jl. Merdeka"
    assert first["invalid_attempts"] == 1

    second_dispatcher = CollectingDispatcher()
    second = await run_form(
        second_dispatcher,
        "complaint_location",
        "cikupa",
        location_draft=first["location_draft"],
        invalid_attempts=first["invalid_attempts"],
    )
    assert second["complaint_location"] == "depan SDN 1 Jl. Merdeka, cikupa"
    assert second["complaint_kecamatan"] == "Cikupa"
    assert second["location_draft"] is None
    assert second["invalid_attempts"] == 0
    assert second_dispatcher.messages == []


async def test_ambiguous_location_offers_candidates(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(dispatcher, "complaint_location", "dari cikupa ke balaraja")
    assert responses(dispatcher) == ["utter_location_did_you_mean"]
    assert dispatcher.messages[0]["candidates"] == "Kec. Cikupa, Kec. Balaraja"
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == [
        "Kec. Cikupa",
        "Kec. Balaraja",
    ]
    assert slots["complaint_location"] is None
    assert slots["location_draft"] == "dari cikupa ke balaraja"
    assert slots["question_sent"] is True  # the choice is this turn's only question


async def test_a_desa_in_two_kecamatan_is_asked_with_buttons(
    dispatcher: CollectingDispatcher,
) -> None:
    slots = await run_form(dispatcher, "complaint_location", "desa sukamulya")
    assert responses(dispatcher) == ["utter_location_choose_kecamatan"]
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles == ["Suka Mulya, Kec. Cikupa", "Suka Mulya, Kec. Sukamulya"]
    assert slots["question_sent"] is True
    picked = CollectingDispatcher()
    slots = await run_form(
        picked, "complaint_location", titles[0], location_draft=slots["location_draft"]
    )
    assert slots["complaint_kecamatan"] == "Cikupa"
    assert slots["complaint_location"] == "desa sukamulya, Suka Mulya, Kec. Cikupa"
    assert picked.messages == []


@pytest.mark.parametrize(
    ("text", "kecamatan"),
    [
        ("simpang Bitung, Curug", "Curug"),
        ("SDN Kemiri 2, Kemiri", "Kemiri"),
        ("depan kantor desa Bojong Nangka", "Kelapa Dua"),
    ],
)
async def test_places_written_the_usual_way_are_accepted(
    dispatcher: CollectingDispatcher, text: str, kecamatan: str
) -> None:
    slots = await run_form(dispatcher, "complaint_location", text)
    assert slots["complaint_kecamatan"] == kecamatan
    assert slots["complaint_location"] == text
    assert dispatcher.messages == []


async def test_i_wrote_it_already_is_never_the_location(
    dispatcher: CollectingDispatcher,
) -> None:
    description = "jalan di desa sukamulya kec sukamulya rusak parah, banyak lubang besar"
    slots = await run_form(
        dispatcher,
        "complaint_location",
        "kan udh sy tulis tadi pak",
        complaint_description=description,
    )
    assert slots["complaint_location"] is None
    assert (
        slots["suggestions"]["complaint_location"]["values"]["complaint_kecamatan"] == "Sukamulya"
    )
    assert dispatcher.messages == []  # the ask action then confirms the place


async def test_a_place_in_the_first_message_is_suggested_for_confirmation(
    dispatcher: CollectingDispatcher,
) -> None:
    text = "jalan di desa sukamulya kec sukamulya rusak parah, kemarin sore motor anak saya jatuh"
    slots = await run_form(
        dispatcher,
        None,
        text,
        intent="report_problem",
        report_type="complaint",
        complaint_description=text,
    )
    suggestions = slots["suggestions"]
    assert suggestions["complaint_location"]["label"] == "Desa Suka Mulya, Kec. Sukamulya"
    yesterday = (jakarta_today() - dt.timedelta(days=1)).isoformat()
    assert suggestions["incident_date"]["values"]["incident_date"] == yesterday


@pytest.mark.parametrize("answer", ["leres", "muhun", "iya pak betul", "/affirm"])
async def test_yes_to_a_suggested_place_fills_it(
    dispatcher: CollectingDispatcher, answer: str
) -> None:
    hint = {
        "values": {"complaint_location": "Kec. Curug", "complaint_kecamatan": "Curug"},
        "label": "Kec. Curug",
    }
    slots = await run_form(
        dispatcher,
        "complaint_location",
        answer,
        intent="affirm" if answer == "/affirm" else "inform",
        suggestions={"complaint_location": hint},
    )
    assert slots["complaint_kecamatan"] == "Curug"
    assert slots["suggestions"] == {}


@pytest.mark.parametrize("answer", ["bukan", "mboten", "teu", "/deny"])
async def test_no_to_a_suggested_place_asks_the_question(
    dispatcher: CollectingDispatcher, answer: str
) -> None:
    hint = {"values": {"complaint_location": "Kec. Curug"}, "label": "Kec. Curug"}
    slots = await run_form(
        dispatcher,
        "complaint_location",
        answer,
        intent="deny" if answer == "/deny" else "inform",
        suggestions={"complaint_location": hint},
    )
    assert slots["complaint_location"] is None
    assert slots["suggestions"] == {}
    assert slots.get("invalid_attempts", 0) == 0
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("answer", "precision"),
    [
        ("lupa, sekitar 2 mingguan lalu", "approximate"),
        ("dari bulan agustus", "month"),
        ("tidak ingat tanggalnya", "unknown"),
        ("udh lama", "unknown"),
    ],
)
async def test_approximate_dates_are_accepted(
    dispatcher: CollectingDispatcher, answer: str, precision: str
) -> None:
    slots = await run_form(dispatcher, "incident_date", answer)
    assert slots["incident_date_precision"] == precision
    assert (slots["incident_date"] is None) == (precision == "unknown")
    assert dispatcher.messages == []


async def test_an_unknown_date_is_not_asked_again() -> None:
    from actions.forms.complaint_form import slots_for

    assert "incident_date" not in slots_for("complaint", date_precision="unknown")


@pytest.mark.parametrize(
    ("answer", "privacy"),
    [
        ("anonim pak, jgn sampe ketauan sy yg lapor", "anonymous"),
        ("rahasia aja, takut", "confidential"),
    ],
)
async def test_privacy_with_extra_words(
    dispatcher: CollectingDispatcher, answer: str, privacy: str
) -> None:
    slots = await run_form(dispatcher, "privacy", answer)
    assert slots["privacy"] == privacy


@pytest.mark.parametrize("answer", ["gk ada pak", "teu aya"])
async def test_no_attachment_in_regional_words(
    dispatcher: CollectingDispatcher, answer: str
) -> None:
    slots = await run_form(dispatcher, "attachments", answer)
    assert slots["attachments"] == []


# --- incident date ----------------------------------------------------------------------


async def test_date_is_stored_as_iso(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(dispatcher, "incident_date", "kemarin sore")
    assert slots["incident_date"] == (jakarta_today() - dt.timedelta(days=1)).isoformat()
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("text", "response"),
    [
        ("besok", "utter_date_future"),
        ("2 tahun lalu", "utter_date_too_old"),
        ("entahlah", "utter_date_unreadable"),
    ],
)
async def test_unusable_dates_are_refused(
    dispatcher: CollectingDispatcher, text: str, response: str
) -> None:
    slots = await run_form(dispatcher, "incident_date", text)
    assert slots["incident_date"] is None
    assert slots["invalid_attempts"] == 1
    assert responses(dispatcher) == [response]


# --- privacy ----------------------------------------------------------------------------


async def test_privacy_from_a_button_entity(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(
        dispatcher, "privacy", "/inform_privacy", entities={"privacy": "confidential"}
    )
    assert slots["privacy"] == "confidential"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("anonim saja", "anonymous"), ("rahasiakan", "confidential"), ("biasa aja", "public")],
)
async def test_privacy_from_free_text(
    dispatcher: CollectingDispatcher, text: str, expected: str
) -> None:
    slots = await run_form(dispatcher, "privacy", text)
    assert slots["privacy"] == expected


async def test_unclear_privacy_is_refused(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(dispatcher, "privacy", "terserah")
    assert slots["privacy"] is None
    assert responses(dispatcher) == ["utter_please_use_buttons"]


# --- attachments ------------------------------------------------------------------------


async def test_attachments_accumulate_without_duplicates(
    dispatcher: CollectingDispatcher,
) -> None:
    slots = await run_form(
        dispatcher,
        "attachments",
        None,
        intent="send_attachment",
        metadata={"attachments": ["a1", "b2", "a1"]},
        attachments=["a1"],
    )
    assert slots["attachments"] == ["a1", "b2"]


async def test_attachments_arrive_while_another_question_is_asked(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(
        slots={"requested_slot": "complaint_description", "attachments": None},
        intent="send_attachment",
        metadata={"attachments": ["c3"]},
    )
    assert await FORM.extract_attachments(dispatcher, tracker, DOMAIN) == {"attachments": ["c3"]}


@pytest.mark.parametrize(("text", "intent"), [("/skip", "skip"), ("tidak ada", "deny")])
async def test_no_attachment_is_an_empty_list(
    dispatcher: CollectingDispatcher, text: str, intent: str
) -> None:
    slots = await run_form(dispatcher, "attachments", text, intent=intent)
    assert slots["attachments"] == []
    assert dispatcher.messages == []


async def test_other_text_about_attachments_gets_a_hint(
    dispatcher: CollectingDispatcher,
) -> None:
    slots = await run_form(dispatcher, "attachments", "hmm gimana ya caranya")
    assert slots["attachments"] is None
    assert responses(dispatcher) == ["utter_attachments_hint"]


async def test_a_photo_that_will_come_is_waited_for(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(dispatcher, "attachments", "fotonya ada di hp istri saya")
    assert slots["attachments"] is None
    assert slots["question_sent"] is True
    assert responses(dispatcher) == ["utter_attachments_waiting"]


async def test_attachment_extraction_ignores_other_questions(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(slots={"requested_slot": "privacy"}, text="tidak ada", intent="deny")
    assert await FORM.extract_attachments(dispatcher, tracker, DOMAIN) == {}


# --- interruptions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "requested",
    [
        "report_type",
        "complaint_description",
        "complaint_category",
        "complaint_location",
        "incident_date",
        "privacy",
        "attachments",
    ],
)
async def test_a_question_during_the_form_is_not_an_answer(
    dispatcher: CollectingDispatcher, requested: str
) -> None:
    slots = await run_form(
        dispatcher, requested, "berapa biayanya? gratis tidak di cikupa", intent="ask_cost"
    )
    assert slots == {}
    assert dispatcher.messages == []


async def test_every_extractor_ignores_an_interruption(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        slots={"requested_slot": "complaint_location"},
        text="berapa biayanya? gratis tidak di cikupa",
        intent="ask_cost",
    )
    for slot in DOMAIN_FORM_SLOTS:
        extract = getattr(FORM, f"extract_{slot}")
        assert await extract(dispatcher, tracker, DOMAIN) == {}, slot


# --- required slots and invalid answers --------------------------------------------------


@pytest.mark.parametrize(
    ("report_type", "skipped"),
    [
        (None, set()),
        ("complaint", set()),
        ("aspiration", {"incident_date", "duplicate_choice"}),
        ("information", {"incident_date", "complaint_location", "duplicate_choice"}),
    ],
)
async def test_required_slots_depend_on_the_report_type(
    dispatcher: CollectingDispatcher, report_type: str | None, skipped: set[str]
) -> None:
    tracker = make_tracker(slots={"report_type": report_type})
    required = await FORM.required_slots(DOMAIN_FORM_SLOTS, dispatcher, tracker, DOMAIN)
    assert required == [slot for slot in DOMAIN_FORM_SLOTS if slot not in skipped]


async def test_an_aspiration_is_not_asked_the_date(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(
        dispatcher,
        "complaint_location",
        "taman di Balaraja",
        report_type="aspiration",
        complaint_description=DESCRIPTION,
        complaint_category="tata_ruang",
    )
    assert slots["complaint_kecamatan"] == "Balaraja"
    assert slots["requested_slot"] == "privacy"


@pytest.mark.parametrize("report_type", ["complaint", "aspiration"])
async def test_third_invalid_answer_in_a_row_pauses_the_form(report_type: str) -> None:
    attempts: Any = 0
    for expected in (1, 2):
        dispatcher = CollectingDispatcher()
        slots = await run_form(
            dispatcher,
            "complaint_description",
            "jalan rusak",
            report_type=report_type,
            invalid_attempts=attempts,
        )
        assert responses(dispatcher) == ["utter_description_too_short"]
        assert slots["invalid_attempts"] == expected
        assert slots["complaint_description"] is None
        assert slots.get("requested_slot", "complaint_description") == "complaint_description"
        attempts = slots["invalid_attempts"]

    dispatcher = CollectingDispatcher()
    slots = await run_form(
        dispatcher,
        "complaint_description",
        "jalan rusak",
        report_type=report_type,
        invalid_attempts=attempts,
    )
    assert responses(dispatcher) == ["utter_invalid_escape"]
    assert slots["invalid_attempts"] == 0
    assert slots["complaint_description"] is None
    # The form stays on its question (answer again, or tap help / cancel), and the
    # escape is this turn's only question.
    assert slots.get("requested_slot", "complaint_description") == "complaint_description"
    assert slots["question_sent"] is True


async def test_third_bad_location_keeps_no_draft(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(
        dispatcher, "complaint_location", "rumah saya", location_draft=None, invalid_attempts=2
    )
    assert responses(dispatcher) == ["utter_invalid_escape"]
    assert slots.get("requested_slot", "complaint_location") == "complaint_location"
    assert "location_draft" not in slots


async def test_a_valid_answer_resets_the_count(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(dispatcher, "privacy", "anonim saja", invalid_attempts=2)
    assert slots["privacy"] == "anonymous"
    assert slots["invalid_attempts"] == 0


async def test_a_photo_promised_for_later_goes_on_without_one(
    dispatcher: CollectingDispatcher,
) -> None:
    slots = await run_form(dispatcher, "attachments", "nanti saya kirim")
    assert slots["attachments"] == []
    assert responses(dispatcher) == ["utter_attachments_later"]


async def test_a_second_i_will_send_goes_on_without_one(dispatcher: CollectingDispatcher) -> None:
    slots = await run_form(dispatcher, "attachments", "ada, sebentar", invalid_attempts=1)
    assert slots["attachments"] == []


# --- one question per turn, asked by the validation ------------------------------------


async def test_the_next_question_is_asked_once(dispatcher: CollectingDispatcher) -> None:
    await run_form(dispatcher, "complaint_location", "simpang Bitung, Curug", **DRAFT_SO_FAR)
    assert [m["response"] for m in ASKED] == ["utter_question_incident_date"]


async def test_a_suggestion_is_asked_as_a_confirmation(dispatcher: CollectingDispatcher) -> None:
    await run_form(
        dispatcher, "complaint_location", "jl raya legok, legok kemarin sore", **DRAFT_SO_FAR
    )
    assert [m["response"] for m in ASKED] == ["utter_confirm_incident_date"]
    assert ASKED[0]["value"].startswith(format_date_id(jakarta_today() - dt.timedelta(days=1)))


async def test_no_form_question_after_a_choice_question(dispatcher: CollectingDispatcher) -> None:
    await run_form(dispatcher, "complaint_location", "desa sukamulya", **DRAFT_SO_FAR)
    assert responses(dispatcher) == ["utter_location_choose_kecamatan"]
    assert ASKED == []


async def test_nothing_is_asked_for_a_place_outside(dispatcher: CollectingDispatcher) -> None:
    await run_form(dispatcher, "complaint_location", "cipondoh", **DRAFT_SO_FAR)
    assert ASKED == []


async def test_the_question_is_asked_the_turn_after_a_choice(
    dispatcher: CollectingDispatcher,
) -> None:
    await run_form(
        dispatcher,
        "complaint_location",
        "Suka Mulya, Kec. Cikupa",
        location_draft="desa sukamulya",
        question_sent=True,
        **DRAFT_SO_FAR,
    )
    assert [m["response"] for m in ASKED] == ["utter_question_incident_date"]
