"""`compose()`: the status update a citizen reads, from the real `domain.yml` responses."""

from __future__ import annotations

import json

import pytest

from bot.notifier.compose import compose
from bot.notifier.events import RECEIPT, STATUS_CHANGED, ReportEvent
from bot.replies import ReplyCatalogue
from lapor_common.labels import STATUS_LABELS

TRACKING_ID = "TNG-2026-000123"
NOTE = "Sudah ditambal"
MAX_TEXT = 1000

NEXT_STEP = {
    "id": {
        "verified": "sudah diteruskan ke instansi terkait",
        "in_progress": "Instansi sedang menanganinya",
        "resolved": "Apakah masalahnya benar-benar sudah beres",
        "closed": "Laporan ini sudah ditutup",
        "rejected": "di luar wewenang Pemerintah Kabupaten Tangerang",
        "archived": "Laporan ini diarsipkan",
        "other": "Kami akan mengabari Bapak/Ibu lagi bila ada perkembangan.",
    },
    "en": {
        "verified": "forwarded to the responsible agency",
        "in_progress": "The agency is working on it",
        "resolved": "Is the problem really fixed?",
        "closed": "The report is closed",
        "rejected": "outside the authority of the Tangerang Regency government",
        "archived": "The report has been archived",
        "other": "We will tell you when there is news.",
    },
}
HEADING = {"id": "Kabar terbaru laporan Bapak/Ibu", "en": "Update on your report"}
NOTE_PREFIX = {"id": "Catatan petugas: ", "en": "Officer's note: "}
STATUSES = ["verified", "in_progress", "resolved", "closed", "rejected", "archived"]


@pytest.fixture(scope="module")
def replies() -> ReplyCatalogue:
    return ReplyCatalogue.from_domain()


def status_event(status: str, note: str | None = NOTE) -> ReportEvent:
    return ReportEvent(
        event_id="ev-1",
        type=STATUS_CHANGED,
        tracking_id=TRACKING_ID,
        status=status,
        sender_id="telegram:4242",
        note=note,
        previous_status="received",
    )


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("status", STATUSES)
def test_status_update(status: str, language: str, replies: ReplyCatalogue) -> None:
    label = STATUS_LABELS[language][status]
    notification = compose(status_event(status), language, replies)
    text = notification.text
    assert notification.chat_id == "4242"
    assert notification.language == language
    assert HEADING[language] in text
    assert TRACKING_ID in text
    assert f"Status: {label}." in text
    assert f"{NOTE_PREFIX[language]}{NOTE}" in text
    assert NEXT_STEP[language][status] in text
    # The other language's words do not leak in.
    other = "en" if language == "id" else "id"
    assert NEXT_STEP[other][status] not in text
    assert "{" not in text and "}" not in text  # every placeholder filled
    assert len(text) <= MAX_TEXT
    assert notification.template_params == (TRACKING_ID, label, NOTE)


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("status", STATUSES)
def test_no_note_line_without_a_note(status: str, language: str, replies: ReplyCatalogue) -> None:
    notification = compose(status_event(status, note=None), language, replies)
    assert NOTE_PREFIX[language].strip() not in notification.text
    # The status line runs straight into the next step.
    label = STATUS_LABELS[language][status]
    lines = notification.text.split("\n")
    assert len(lines) == 3
    assert lines[1] == f"Status: {label}."
    assert NEXT_STEP[language][status] in lines[2]
    assert notification.template_params == (TRACKING_ID, label, "-")


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_layout(language: str, replies: ReplyCatalogue) -> None:
    text = compose(status_event("in_progress"), language, replies).text
    lines = text.split("\n")
    assert lines[0] == f"{HEADING[language]} {TRACKING_ID}:"
    assert lines[1] == f"Status: {STATUS_LABELS[language]['in_progress']}."
    assert lines[2] == f"{NOTE_PREFIX[language]}{NOTE}"
    assert lines[3].startswith(NEXT_STEP[language]["in_progress"])
    assert len(lines) == 4


@pytest.mark.parametrize("language", ["id", "en"])
def test_an_unknown_status_gets_the_general_next_step(
    language: str, replies: ReplyCatalogue
) -> None:
    notification = compose(status_event("reopened"), language, replies)
    assert notification.text.endswith(NEXT_STEP[language]["other"])
    # No label for the code: the code itself is shown.
    assert "Status: reopened." in notification.text
    assert notification.buttons == ()
    assert notification.template_params == (TRACKING_ID, "reopened", NOTE)


@pytest.mark.parametrize("language", ["id", "en"])
def test_resolved_asks_with_two_buttons(language: str, replies: ReplyCatalogue) -> None:
    notification = compose(status_event("resolved"), language, replies)
    assert len(notification.buttons) == 2
    confirm, reject = notification.buttons
    assert confirm.title and reject.title and confirm.title != reject.title
    for button, intent in ((confirm, "/confirm_resolved"), (reject, "/reject_resolution")):
        assert button.payload.startswith(intent + "{")
        assert json.loads(button.payload[len(intent) :]) == {"tracking_id": TRACKING_ID}


def test_button_titles_follow_the_language(replies: ReplyCatalogue) -> None:
    english = compose(status_event("resolved"), "en", replies).buttons
    indonesian = compose(status_event("resolved"), "id", replies).buttons
    assert [b.title for b in english] == ["Yes, fixed", "Not fixed yet"]
    assert [b.title for b in english] != [b.title for b in indonesian]
    assert [b.payload for b in english] == [b.payload for b in indonesian]


@pytest.mark.parametrize("status", [s for s in STATUSES if s != "resolved"] + ["reopened"])
def test_other_statuses_have_no_buttons(status: str, replies: ReplyCatalogue) -> None:
    assert compose(status_event(status), "id", replies).buttons == ()


def test_a_note_with_braces_is_kept_as_written(replies: ReplyCatalogue) -> None:
    note = "Lihat {tracking_id} dan {note} {0}"
    notification = compose(status_event("closed", note=note), "id", replies)
    assert f"Catatan petugas: {note}" in notification.text
    assert notification.template_params[2] == note


def test_any_language_but_english_is_indonesian(replies: ReplyCatalogue) -> None:
    assert (
        compose(status_event("closed"), "fr", replies).text
        == compose(status_event("closed"), "id", replies).text
    )


@pytest.mark.parametrize("language", ["id", "en"])
def test_receipt(language: str, replies: ReplyCatalogue) -> None:
    event = ReportEvent(
        event_id="ev-2",
        type=RECEIPT,
        tracking_id=TRACKING_ID,
        status="received",
        sender_id="whatsapp:6281234567890",
        note="ignored",
    )
    notification = compose(event, language, replies)
    expected = {
        "id": f"Nomor laporan: {TRACKING_ID}.",
        "en": f"Report number: {TRACKING_ID}.",
    }[language]
    assert expected in notification.text
    assert notification.text == replies.text(
        "utter_gateway_receipt", language, tracking_id=TRACKING_ID
    )
    assert "ignored" not in notification.text
    assert notification.chat_id == "6281234567890"
    assert notification.buttons == ()
    assert notification.language == language
    assert notification.template_params == (
        TRACKING_ID,
        STATUS_LABELS[language]["received"],
        "-",
    )
    assert len(notification.text) <= MAX_TEXT
