"""Conversations with the assistant, written into the backend's Rasa tracker store.

Written by Rasa's own `SQLTrackerStore` (the `Tracker` of the console unit tests) with the
unit tests' event helpers and scenario, then moved in time so that each ends a few minutes
before now: the console's default views (no date filter, newest activity first) show them,
and outcomes that depend on idleness (abandoned after 30 minutes) come out as intended.

Four sessions, newest activity first:

- `status_check` `telegram:7300` (Joko Susilo): one message the bot did not understand,
  then a status check of the road report, 5 minutes ago
- `filed` `telegram:7101` (Siti Aminah): the waste report `SeededReports.for_officer`
  filed step by step (greeting with buttons, a tapped button, the form), 20 minutes ago
- `fallback` `rest-tester`: the scenario's two unclear messages over REST, 45 minutes ago
- `abandoned` `whatsapp:6281234567890` (Budi): the scenario's form left at the location
  question, 95 minutes ago
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event

from backend.db import make_reader_engine
from tests.backend.console.conftest import (
    DOMAIN_FILE,
    Tracker,
    action,
    bot,
    loop,
    session_start,
    slot,
    user,
)
from tests.backend.console.scenario import (
    WHATSAPP,
    abandoned_on_whatsapp,
    telegram,
    unclear_rest_messages,
)
from tests.browser.console_pages import FiledReport, SeededReports

GREETING = (
    "Halo Bapak/Ibu, selamat datang di LAPOR! Kabupaten Tangerang. Saya bisa membantu "
    "membuat laporan pelayanan publik atau mengecek status laporan."
)
GREETING_BUTTONS = [
    {"title": "Buat laporan", "payload": "/start_report"},
    {"title": "Cek status", "payload": "/check_status"},
    {"title": "Bantuan", "payload": "/help"},
]
ASK_DESCRIPTION = (
    "Silakan ceritakan apa yang terjadi: masalahnya apa, tepatnya di mana, dan sejak kapan."
)
ASK_LOCATION = (
    'Di mana lokasinya? Tulis nama jalan dan kecamatan (mis. "Jl. Raya Serang km 20, '
    'Balaraja") atau kirim titik lokasi.'
)
NOT_UNDERSTOOD = (
    "Mohon maaf, saya belum paham maksud Bapak/Ibu. Bisa dijelaskan dengan kalimat lain? "
    'Ketik "bantuan" untuk melihat pilihan.'
)
#: The word of the filed conversation the search tests look for (no other one has it).
SEARCH_WORD = "sekolah"


def submitted(tracking_id: str) -> str:
    """The bot's `utter_submitted` message (the console links the report through it)."""
    return (
        f"✅ Laporan Bapak/Ibu sudah kami terima. Nomor laporan: {tracking_id}\n"
        "Laporan diverifikasi dan diteruskan paling lambat 3 hari kerja, lalu ditindaklanjuti "
        "instansi paling lambat 5 hari kerja. Kabar berikutnya dikirim ke chat ini."
    )


@dataclass(frozen=True)
class Chat:
    """One seeded conversation, as the console should show it."""

    sender_id: str
    display_name: str | None
    channel: str
    ended_minutes_ago: float
    #: What the citizen wrote, in order (button taps left out).
    citizen_texts: tuple[str, ...]
    #: What the bot wrote, in order.
    bot_texts: tuple[str, ...]
    tracking_id: str | None = None

    @property
    def who(self) -> str:
        """How an administrator's conversation list names the citizen."""
        return self.display_name or self.sender_id


@dataclass(frozen=True)
class SeededConversations:
    """The conversations in the tracker store."""

    filed: Chat  # Telegram, filed `SeededReports.for_officer` (DLHK)
    abandoned: Chat  # WhatsApp, form left at the location question
    fallback: Chat  # REST, two messages not understood
    status_check: Chat  # Telegram, one fallback then a status check

    def newest_first(self) -> list[Chat]:
        """Every conversation, in the order of the conversation list."""
        chats = [self.filed, self.abandoned, self.fallback, self.status_check]
        return sorted(chats, key=lambda chat: chat.ended_minutes_ago)


def filed_waste_report(report: FiledReport) -> tuple[Chat, list[Event]]:
    """A citizen greets, taps "Buat laporan", answers the form, and gets a tracking ID."""
    sender = f"telegram:{report.chat}"
    md = telegram(str(report.chat), "Siti Aminah")
    place = "Dekat kantor kecamatan Pasar Kemis"
    events = [
        *session_start(0, md),
        user("halo", "greet", 1, metadata=md),
        action("utter_greet", 1.1),
        bot(GREETING, "utter_greet", 1.1, GREETING_BUTTONS),
        action("action_listen", 1.2),
        user("/start_report", "start_report", 2, confidence=1.0, metadata=md),
        action("action_start_report", 2.1),
        slot("report_draft_id", f"draft-{report.chat}", 2.1),
        action("complaint_form", 2.2),
        loop("complaint_form", 2.2),
        slot("requested_slot", "complaint_description", 2.2),
        bot(ASK_DESCRIPTION, "utter_ask_complaint_description", 2.3),
        action("action_listen", 2.3),
        user(report.description, "inform", 3, confidence=0.88, metadata=md),
        action("complaint_form", 3.1),
        slot("complaint_description", report.description, 3.1),
        slot("requested_slot", "complaint_location", 3.1),
        bot(ASK_LOCATION, "utter_ask_complaint_location", 3.2),
        action("action_listen", 3.2),
        user(place, "inform", 4, confidence=0.91, metadata=md),
        action("complaint_form", 4.1),
        slot("complaint_location", place, 4.1),
        slot("complaint_kecamatan", "Pasar Kemis", 4.1),
        loop(None, 4.2),
        slot("requested_slot", None, 4.2),
        action("action_submit_complaint", 4.3),
        bot(submitted(report.tracking_id), "utter_submitted", 4.4),
        slot("report_draft_id", None, 4.4),
        action("action_listen", 4.5),
    ]
    chat = Chat(
        sender_id=sender,
        display_name="Siti Aminah",
        channel="telegram",
        ended_minutes_ago=20,
        citizen_texts=("halo", report.description, place),
        bot_texts=(GREETING, ASK_DESCRIPTION, ASK_LOCATION, submitted(report.tracking_id)),
        tracking_id=report.tracking_id,
    )
    return chat, events


def status_check_after_a_fallback(road: FiledReport) -> tuple[Chat, list[Event]]:
    """A citizen writes something the bot does not get, then asks for a report's status."""
    md = telegram("7300", "Joko Susilo")
    unclear = "pak jalan depan pasar kapan dibenerin"
    question = f"cek status {road.tracking_id}"
    answer = f"Laporan {road.tracking_id} (Jalan & Jembatan): Diterima."
    start = question.index(road.tracking_id)
    end = start + len(road.tracking_id)
    entity = {"entity": "tracking_id", "value": road.tracking_id, "start": start, "end": end}
    events = [
        *session_start(0, md),
        user(unclear, "nlu_fallback", 0.5, confidence=0.31, metadata=md),
        action("action_default_fallback", 0.6),
        bot(NOT_UNDERSTOOD, "utter_default", 0.6),
        action("action_listen", 0.7),
        user(question, "check_status", 1.5, metadata=md, entities=[entity]),
        action("action_check_status", 1.6),
        slot("tracking_id", road.tracking_id, 1.6),
        bot(answer, "utter_status_public", 1.7),
        action("action_listen", 1.8),
    ]
    chat = Chat(
        sender_id="telegram:7300",
        display_name="Joko Susilo",
        channel="telegram",
        ended_minutes_ago=5,
        citizen_texts=(unclear, question),
        bot_texts=(NOT_UNDERSTOOD, answer),
    )
    return chat, events


def abandoned() -> tuple[Chat, list[Event]]:
    """The scenario's WhatsApp conversation, left at the location question."""
    chat = Chat(
        sender_id=f"whatsapp:{WHATSAPP['chat_id']}",
        display_name=str(WHATSAPP["display_name"]),
        channel="whatsapp",
        ended_minutes_ago=95,
        citizen_texts=("mau lapor sampah menumpuk",),
        bot_texts=("Pilih kategori:", "Di mana lokasinya?"),
    )
    return chat, abandoned_on_whatsapp()


def unclear() -> tuple[Chat, list[Event]]:
    """The scenario's REST client whose two messages the bot did not understand."""
    chat = Chat(
        sender_id="rest-tester",
        display_name=None,
        channel="rest",
        ended_minutes_ago=45,
        citizen_texts=("asdfgh", "=HYPERLINK(qwerty)"),
        bot_texts=("Maaf, saya belum mengerti.", "Maaf, saya belum mengerti."),
    )
    return chat, unclear_rest_messages()


def ending_ago(events: Sequence[Event], minutes: float, now: dt.datetime) -> list[Event]:
    """The events moved in time (gaps kept) so that the last one is `minutes` before `now`."""
    end = (now - dt.timedelta(minutes=minutes)).timestamp()
    shift = end - max(event.timestamp for event in events)
    for event in events:
        event.timestamp += shift
    return list(events)


def write_conversations(url: str, reports: SeededReports) -> SeededConversations:
    """Write the four conversations into the tracker store at `url` (SQLAlchemy URL)."""
    now = dt.datetime.now(dt.timezone.utc)
    scripts = [
        filed_waste_report(reports.for_officer),
        abandoned(),
        unclear(),
        status_check_after_a_fallback(reports.road),
    ]
    moved = [(chat, ending_ago(events, chat.ended_minutes_ago, now)) for chat, events in scripts]
    # `Tracker.write` runs an event loop of its own: a thread of its own keeps it away
    # from Playwright's (the sync API keeps a loop in the test thread).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_write, url, moved).result()
    filed, left, fallback, status = (chat for chat, _ in scripts)
    return SeededConversations(filed=filed, abandoned=left, fallback=fallback, status_check=status)


def _write(url: str, chats: list[tuple[Chat, list[Event]]]) -> None:
    tracker = Tracker(url, Domain.load(str(DOMAIN_FILE)), make_reader_engine(url))
    try:
        for chat, events in chats:
            tracker.write(chat.sender_id, events)
    finally:
        tracker.close()
