"""A day of conversations with the assistant, written through Rasa's tracker store.

Seven sessions of six senders, newest activity first:

- E `telegram:400`: form open, last message 9 minutes before NOW (in progress)
- F `telegram:500`: a waste report filed (agency DLHK)
- A2 `telegram:100`: the next session of A: a status check
- D `telegram:300`: a street-light report queued while the backend was down
- C `rest-tester`: REST sender without session markers, two unclear messages
- B `whatsapp:6281234567890`: form abandoned at the location question
- A1 `telegram:100`: a road report filed (agency DBMSDA)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rasa.shared.core.events import Event
from sqlalchemy.orm import sessionmaker

from backend.state import AppState
from tests.backend.console.conftest import (
    T0,
    Tracker,
    action,
    bot,
    file_report,
    loop,
    session_start,
    slot,
    user,
)

NOW = T0 + dt.timedelta(hours=24)
QUEUED_DRAFT = "draft-300"

A = "telegram:100"
B = "whatsapp:6281234567890"
C = "rest-tester"
D = "telegram:300"
E = "telegram:400"
F = "telegram:500"

START_BUTTONS = [
    {"title": "Buat laporan", "payload": "/start_report"},
    {"title": "Cek status", "payload": "/check_status"},
]


def telegram(chat_id: str, name: str) -> dict[str, Any]:
    """What the gateway sends along with a Telegram message."""
    return {"channel": "telegram", "chat_id": chat_id, "display_name": name, "language_code": "id"}


WHATSAPP = {
    "channel": "whatsapp",
    "chat_id": "6281234567890",
    "display_name": "Budi",
    "phone": "+6281234567890",
}


@dataclass(frozen=True)
class Day:
    """The tracking IDs the backend gave the filed reports."""

    road_report: str
    waste_report: str


def write_day(tracker: Tracker, sessions: sessionmaker, state: AppState) -> Day:
    """File the two reports in the backend, then write every conversation."""
    with sessions() as session:
        road = file_report(session, state.taxonomy, state.policy, chat_id=A)
        waste = file_report(
            session, state.taxonomy, state.policy, category="sampah", chat_id=F, kecamatan="Cikupa"
        )
    tracker.write(A, filed_road_report(road))
    tracker.write(B, abandoned_on_whatsapp())
    tracker.write(C, unclear_rest_messages())
    tracker.write(D, queued_report())
    tracker.write(A, status_check(road))
    tracker.write(F, filed_waste_report(waste))
    tracker.write(E, form_in_progress())
    return Day(road, waste)


def filed_road_report(tracking_id: str) -> list[Event]:
    """A1: greeting, button, form with a shared pin, filed."""
    md = telegram("100", "Siti Aminah")
    pin = {"latitude": -6.2, "longitude": 106.45, "title": "Pasar Balaraja"}
    return [
        *session_start(0, md),
        user("halo", "greet", 1, metadata=md),
        action("utter_greet", 1.1),
        bot("Halo! Ada yang bisa dibantu?", "utter_greet", 1.1, START_BUTTONS),
        action("action_listen", 1.2),
        user("/start_report", "start_report", 2, confidence=1.0, metadata=md),
        action("action_start_report", 2.1),
        slot("report_draft_id", "draft-100", 2.1),
        action("complaint_form", 2.2),
        loop("complaint_form", 2.2),
        slot("requested_slot", "complaint_description", 2.2),
        bot("Ceritakan masalahnya.", "utter_ask_complaint_description", 2.3),
        action("action_listen", 2.3),
        user("Jalan berlubang di Balaraja dekat pasar", "inform", 3, metadata=md),
        action("complaint_form", 3.1),
        slot("complaint_description", "Jalan berlubang di Balaraja dekat pasar", 3.1),
        slot("requested_slot", "complaint_location", 3.1),
        bot("Di mana lokasinya?", "utter_ask_complaint_location", 3.2),
        action("action_listen", 3.2),
        user(
            "/share_location", "share_location", 4, confidence=1.0, metadata={**md, "location": pin}
        ),
        action("complaint_form", 4.1),
        slot("complaint_location", "Pasar Balaraja", 4.1),
        loop(None, 4.2),
        slot("requested_slot", None, 4.2),
        action("action_submit_complaint", 4.3),
        bot(f"✅ Laporan sudah kami terima. Nomor laporan: {tracking_id}", "utter_submitted", 4.4),
        slot("report_draft_id", None, 4.4),
        action("action_listen", 4.5),
    ]


def status_check(tracking_id: str) -> list[Event]:
    """A2: ten hours later, a new session asking for the status."""
    md = telegram("100", "Siti A.")
    entity = {"entity": "tracking_id", "value": tracking_id, "start": 11, "end": 26}
    return [
        *session_start(600, md),
        user(f"cek status {tracking_id}", "check_status", 601, metadata=md, entities=[entity]),
        action("action_check_status", 601.1),
        bot(f"Laporan {tracking_id}: Diterima", "utter_status_full", 601.2),
        action("action_listen", 601.3),
    ]


def abandoned_on_whatsapp() -> list[Event]:
    """B: a category button (title sent by the gateway), then silence at the location."""
    payload = '/inform{"complaint_category":"sampah"}'
    return [
        *session_start(100, WHATSAPP),
        user("mau lapor sampah menumpuk", "report_problem", 101, metadata=WHATSAPP),
        action("action_start_report", 101.1),
        slot("report_draft_id", "draft-b", 101.1),
        action("complaint_form", 101.2),
        loop("complaint_form", 101.2),
        slot("requested_slot", "complaint_category", 101.2),
        bot("Pilih kategori:", "utter_ask_complaint_category", 101.3),
        action("action_listen", 101.3),
        user(
            payload,
            "inform",
            101.5,
            confidence=1.0,
            metadata={**WHATSAPP, "button_title": "Sampah & Kebersihan"},
        ),
        action("complaint_form", 101.6),
        slot("complaint_category", "sampah", 101.6),
        slot("requested_slot", "complaint_location", 101.6),
        bot("Di mana lokasinya?", "utter_ask_complaint_location", 102),
        action("action_listen", 102),
    ]


def unclear_rest_messages() -> list[Event]:
    """C: no session start (a REST test client), two messages the bot did not get."""
    return [
        user("asdfgh", "nlu_fallback", 200, confidence=0.3),
        action("utter_default", 200.1),
        bot("Maaf, saya belum mengerti.", "utter_default", 200.1),
        action("action_listen", 200.2),
        user("=HYPERLINK(qwerty)", "nlu_fallback", 201, confidence=0.2),
        action("action_default_fallback", 201.1),
        bot("Maaf, saya belum mengerti.", "utter_default", 201.2),
        action("action_listen", 201.3),
    ]


def queued_report() -> list[Event]:
    """D: the form completed, the backend was down: the draft was queued."""
    md = telegram("300", "Rina")
    return [
        *session_start(300, md),
        user("/start_report", "start_report", 301, confidence=1.0, metadata=md),
        action("action_start_report", 301.1),
        slot("report_draft_id", QUEUED_DRAFT, 301.1),
        action("complaint_form", 301.2),
        loop("complaint_form", 301.2),
        slot("requested_slot", "complaint_description", 301.2),
        bot("Ceritakan masalahnya.", "utter_ask_complaint_description", 301.3),
        action("action_listen", 301.3),
        user("Lampu jalan mati di Cikupa", "inform", 302, metadata=md),
        action("complaint_form", 302.1),
        loop(None, 302.2),
        slot("requested_slot", None, 302.2),
        action("action_submit_complaint", 304),
        bot("Sistem kami sedang sibuk, laporan tersimpan.", "utter_submission_queued", 305),
        slot("report_draft_id", None, 305.1),
        action("action_listen", 305.2),
    ]


def filed_waste_report(tracking_id: str) -> list[Event]:
    """F: a report about waste, filed."""
    md = telegram("500", "Dewi")
    return [
        *session_start(700, md),
        user("Sampah menumpuk di Cikupa", "report_problem", 701, metadata=md),
        action("complaint_form", 701.1),
        loop("complaint_form", 701.1),
        slot("requested_slot", "complaint_location", 701.1),
        user("Cikupa", "inform", 702, metadata=md),
        loop(None, 703),
        action("action_submit_complaint", 704),
        bot(f"✅ Laporan sudah kami terima. Nomor laporan: {tracking_id}", "utter_submitted", 705),
        action("action_listen", 705),
    ]


def form_in_progress() -> list[Event]:
    """E: a form opened nine minutes before NOW."""
    md = telegram("400", "Agus")
    return [
        *session_start(1430, md),
        user("/start_report", "start_report", 1430.5, confidence=1.0, metadata=md),
        action("complaint_form", 1431),
        loop("complaint_form", 1431),
        slot("requested_slot", "complaint_description", 1431),
        bot("Ceritakan masalahnya.", "utter_ask_complaint_description", 1431),
        action("action_listen", 1431),
    ]
