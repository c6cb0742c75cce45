"""The life of a report in progress: start, summary, corrections, cancel, resume."""

from __future__ import annotations

import re
import uuid
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import (
    entity_value,
    language_of,
    latest_intent,
    latest_text,
    metadata,
    yes_or_no,
)
from actions.forms.asking import date_label
from actions.forms.complaint_form import needed_slots
from actions.metrics import get_metrics
from actions.services import get_services
from actions.submission import clear_draft
from actions.validators.emergency import in_danger_now
from lapor_common.labels import PRIVACY_LABELS, REPORT_TYPE_LABELS, label

#: Which slots a correction of each field clears.
FIELD_SLOTS: dict[str, tuple[str, ...]] = {
    "complaint_description": (
        "complaint_description",
        "complaint_category",
        "category_suggestions",
    ),
    # Another category or place: the nearby reports are looked up again.
    "complaint_category": (
        "complaint_category",
        "category_suggestions",
        "duplicate_choice",
        "duplicate_candidates",
    ),
    "complaint_location": (
        "complaint_location",
        "complaint_latitude",
        "complaint_longitude",
        "complaint_kecamatan",
        "location_draft",
        "complaint_desa",
        "duplicate_choice",
        "duplicate_candidates",
    ),
    "incident_date": ("incident_date", "incident_date_precision"),
    "privacy": ("privacy",),
    "attachments": ("attachments",),
}
SUMMARY_DESCRIPTION_CHARS = 300
#: Words naming each field in a correction ("ubah lokasi", "eh tanggalnya salah").
_FIELD_WORDS: tuple[tuple[str, str], ...] = (
    ("complaint_location", r"lokasi\w*|alamat\w*|tempat\w*|location|address|place"),
    ("incident_date", r"tanggal\w*|tgl\w*|waktu\w*|kapan|jam\w*|date|when|time"),
    ("complaint_category", r"kategori\w*|category"),
    ("privacy", r"privasi\w*|privacy|anonim\w*|rahasia\w*|publik"),
    ("attachments", r"foto\w*|lampiran\w*|bukti\w*|gambar\w*|video\w*|photo\w*|attachment\w*"),
    (
        "complaint_description",
        r"uraian\w*|deskripsi\w*|cerita\w*|keterangan\w*|kronologi\w*|isi laporan\w*|"
        r"description",
    ),
)
#: Words of a correction that are not its new value.
_CORRECTION_WORDS = re.compile(
    r"\b(?:eh|ehh|oh|maaf|mohon|tolong|pak|bu|kak|min|mau|ingin|saya|sy|aku|ubah|ganti|"
    r"gantiin|edit|ralat|koreksi|revisi|benerin|perbaiki|salah|keliru|bukan|harusnya|"
    r"seharusnya|mestinya|semestinya|sebenarnya|sebenernya|yang|yg|benar|bener|betul|jadi|"
    r"nya|ya|dong|deh|sih|itu|ini|tadi|change|the|is|wrong|should|be|it|was|actually|"
    r"please|to|fix|update|correct|nih|kok|aja|saja|kejadian|kejadiannya)\b",
    re.IGNORECASE,
)


def has_draft(tracker: Tracker) -> bool:
    """Whether a report is in progress (any answer given)."""
    return any(
        tracker.get_slot(slot)
        for slot in ("complaint_description", "complaint_category", "complaint_location")
    )


def shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


class ActionStartReport(Action):
    """Begins a report; a message that already describes the problem becomes its description."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_start_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Start a fresh draft, prefilled from the opening message."""
        get_metrics().forms_started.inc()
        events: list[EventType] = [
            *clear_draft(tracker),
            SlotSet("report_draft_id", uuid.uuid4().hex),
        ]
        intent = latest_intent(tracker)
        report_type = entity_value(tracker, "report_type")
        if report_type:
            events.append(SlotSet("report_type", report_type))
        if intent in ("report_problem", "emergency"):
            text = latest_text(tracker)
            if intent == "report_problem" and in_danger_now(text):
                # The first reply to danger is always "call 112 now"; the report may follow.
                dispatcher.utter_message(response="utter_emergency")
            events.append(SlotSet("report_type", report_type or "complaint"))
            events.append(SlotSet("complaint_description", text))
        attachments = metadata(tracker).get("attachments")
        if isinstance(attachments, list) and attachments:
            events.append(SlotSet("attachments", [str(a) for a in attachments]))
        return events


class ActionShowSummary(Action):
    """Shows the finished report for confirmation (nothing when the form was paused)."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_show_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Utter the summary with Send / Change / Cancel buttons."""
        if not report_complete(tracker):
            return []  # paused or discarded: the form already said why
        dispatcher.utter_message(response="utter_summary", **summary_values(tracker))
        return [SlotSet("awaiting_confirmation", True), SlotSet("choosing_field", False)]


def report_complete(tracker: Tracker) -> bool:
    """Whether every slot the report needs is filled."""
    if not tracker.get_slot("complaint_description"):
        return False
    return all(tracker.get_slot(slot) is not None for slot in needed_slots(tracker))


def summary_values(tracker: Tracker) -> dict[str, Any]:
    """The template values of `utter_summary`."""
    language = language_of(tracker)
    categories = get_services().categories
    category = categories.get(tracker.get_slot("complaint_category") or "")
    location = tracker.get_slot("complaint_location") or "-"
    kecamatan = tracker.get_slot("complaint_kecamatan")
    if kecamatan and kecamatan.lower() not in location.lower():
        location = f"{location} (Kec. {kecamatan})"
    date_text = "-"
    if tracker.get_slot("incident_date"):
        date_text = date_label(
            tracker.get_slot("incident_date"), tracker.get_slot("incident_date_precision"), language
        )
    elif tracker.get_slot("incident_date_precision") == "unknown":
        date_text = UNKNOWN_DATE[language]
    return {
        "report_type_label": label(REPORT_TYPE_LABELS, tracker.get_slot("report_type"), language),
        "description": shorten(
            tracker.get_slot("complaint_description") or "", SUMMARY_DESCRIPTION_CHARS
        ),
        "category_label": category.label(language) if category else "-",
        "location_label": location,
        "date_label": date_text,
        "privacy_label": label(PRIVACY_LABELS, tracker.get_slot("privacy"), language),
        "attachment_count": len(tracker.get_slot("attachments") or []),
    }


#: How a date the citizen does not remember is shown.
UNKNOWN_DATE = {"id": "tidak diingat pelapor", "en": "not remembered"}


def field_named(text: str) -> str | None:
    """The report field a correction names ("eh tanggalnya salah" -> incident_date)."""
    for field, words in _FIELD_WORDS:
        if re.search(rf"\b(?:{words})\b", text, re.IGNORECASE):
            return field
    return None


def correction_value(text: str, field: str) -> str | None:
    """The new value a correction brings along ("lokasinya harusnya di Curug" -> "di Curug")."""
    words = dict(_FIELD_WORDS)[field]
    rest = re.sub(rf"\b(?:{words})\b", " ", text, flags=re.IGNORECASE)
    rest = _CORRECTION_WORDS.sub(" ", rest)
    rest = " ".join(re.sub(r"[,.!?;:]+", " ", rest).split())
    if field == "complaint_location":
        rest = re.sub(r"^(?:di|ke|in|at)\b\s*", "", rest, flags=re.IGNORECASE)
    return rest if sum(c.isalpha() for c in rest) >= 3 else None


class ActionChangeField(Action):
    """Clears one answer ("ubah lokasi") and goes back to the form to ask it again, or
    takes the new value given with it ("lokasinya harusnya di Curug")."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_change_field"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Clear the named field (a new report starts when there is none in progress)."""
        text = latest_text(tracker)
        typed = not text.startswith("/")
        field = entity_value(tracker, "field") or tracker.get_slot("field_to_change")
        if typed:
            field = field_named(text) or field
        done = SlotSet("field_to_change", None)
        if not has_draft(tracker):
            dispatcher.utter_message(response="utter_no_draft")
            return [
                done,
                SlotSet("report_draft_id", uuid.uuid4().hex),
                FollowupAction("complaint_form"),
            ]
        if field not in FIELD_SLOTS:
            if tracker.get_slot("choosing_field") and yes_or_no(tracker) is not None:
                # "ya" / "tidak" to "which part?": nothing to change, the summary again.
                return [done, SlotSet("choosing_field", False), FollowupAction("complaint_form")]
            dispatcher.utter_message(response="utter_ask_which_field")
            return [done, SlotSet("choosing_field", True), SlotSet("awaiting_confirmation", False)]
        events: list[EventType] = [SlotSet(slot, None) for slot in FIELD_SLOTS[field]]
        suggestions = dict(tracker.get_slot("suggestions") or {})
        suggestions.pop(field, None)
        value = correction_value(text, field) if typed else None
        privacy = entity_value(tracker, "privacy")
        if field == "privacy" and privacy:
            value = str(privacy)
        events += [
            SlotSet("invalid_attempts", 0),
            SlotSet("awaiting_confirmation", False),
            SlotSet("suggestions", suggestions),
            SlotSet("question_sent", False),
            SlotSet("pending_answer", value),
            SlotSet("choosing_field", False),
            done,
            FollowupAction("complaint_form"),
        ]
        return events


class ActionConfirmCancel(Action):
    """Asks before throwing a report away; nothing to cancel gets a plain answer."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_confirm_cancel"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Ask "cancel this report?" (the rules have paused the form first)."""
        if not has_draft(tracker) and not tracker.get_slot("report_draft_id"):
            dispatcher.utter_message(response="utter_nothing_to_cancel")
            return []
        text = latest_text(tracker)
        if previous_action(tracker) == self.name() and confirms_cancel(text, yes_or_no(tracker)):
            # "iya batalkan", "iya batal" to "cancel this report?": read as cancel again,
            # it is a yes.
            dispatcher.utter_message(response="utter_cancelled")
            return [ActiveLoop(None), SlotSet("requested_slot", None), *clear_draft()]
        if tracker.get_slot("choosing_field") and not _CANCEL_WORDS.search(text):
            # "ga jadi, udah bener" to "which part?": nothing to change, the summary again.
            return [SlotSet("choosing_field", False), FollowupAction("complaint_form")]
        if _KEEP_GOING.search(text):
            # "eh gak jadi, lanjut aja": not cancelling after all.
            dispatcher.utter_message(response="utter_resume_form")
            return [SlotSet("invalid_attempts", 0), FollowupAction("complaint_form")]
        if asks_if_sent(latest_text(tracker)) and report_complete(tracker):
            # "jadi laporan saya udh terkirim blm?" is a question, not a cancel.
            dispatcher.utter_message(response="utter_summary_reminder")
            return [SlotSet("awaiting_confirmation", True)]
        dispatcher.utter_message(response="utter_confirm_cancel")
        return [SlotSet("awaiting_confirmation", False)]


#: "Keep going" words: a message read as cancel that says to continue.
_KEEP_GOING = re.compile(
    r"\b(?:lanjut\w*|teruskan|terusin|jangan (?:di)?batal\w*|jgn (?:di)?batal\w*|"
    r"continue|keep going|don'?t cancel)\b",
    re.IGNORECASE,
)
_CANCEL_WORDS = re.compile(r"\b(?:batal\w*|cancel\w*|hapus\w*|buang)\b", re.IGNORECASE)
_SEND_WORDS = re.compile(r"\b(?:kirim\w*|send|submit)\b", re.IGNORECASE)
_ASKS_IF_SENT = re.compile(
    r"\b(?:terkirim|kekirim|dikirim|kirim|masuk|diterima|tercatat|sent|submitted|received)\b"
    r".*(?:\b(?:blm|belum|udah|udh|sudah|sdh|yet|ga|gak|nggak|tidak)\b|\?)"
    r"|\b(?:blm|belum|udah|udh|sudah|sdh|already)\b.{0,20}"
    r"\b(?:terkirim|kekirim|dikirim|masuk|diterima|tercatat|sent|submitted)\b",
    re.IGNORECASE,
)


_NEGATED = re.compile(
    r"\b(?:ga|gak|gk|nggak|ngga|enggak|engga|tidak|tdk|jangan|jgn|kagak|not|don'?t|never)\b",
    re.IGNORECASE,
)


def confirms_cancel(text: str, said: bool | None) -> bool:
    """Whether the answer to "cancel this report?" says yes: a yes ("iya batalkan"), or
    the cancel said again ("iya batal", "batalin aja"; "batal" alone is a no elsewhere)
    when nothing negates it ("ga jadi batal") or says to go on."""
    if said is True:
        return True
    if not _CANCEL_WORDS.search(text) or _KEEP_GOING.search(text):
        return False
    return not _NEGATED.search(text)


def previous_action(tracker: Tracker) -> str | None:
    """The last action before the citizen's latest message (action_listen left out)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") != "action_listen":
            return str(event.get("name"))
    return None


def asks_if_sent(text: str) -> bool:
    """Whether the message asks if the report has been sent ("udh terkirim blm?")."""
    return bool(_ASKS_IF_SENT.search(text)) and not _CANCEL_WORDS.search(text)


class ActionCancelReport(Action):
    """Throws the report in progress away; nothing is submitted."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_cancel_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Clear every draft slot."""
        get_metrics().form_abandoned(
            tracker.get_slot("requested_slot"), tracker.get_slot("awaiting_confirmation")
        )
        text = latest_text(tracker)
        if not text.startswith("/") and (_KEEP_GOING.search(text) or _SEND_WORDS.search(text)):
            # "kirim" / "lanjut" to "cancel this report?" is not a yes to cancelling.
            dispatcher.utter_message(response="utter_resume_form")
            return [SlotSet("invalid_attempts", 0), FollowupAction("complaint_form")]
        dispatcher.utter_message(response="utter_cancelled")
        return [ActiveLoop(None), SlotSet("requested_slot", None), *clear_draft()]


class ActionResumeReport(Action):
    """Continues the report in progress where it stopped (the rules re-enter the form)."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_resume_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Say so when a draft is kept; otherwise a new report starts."""
        if has_draft(tracker) or tracker.get_slot("report_draft_id"):
            dispatcher.utter_message(response="utter_resume_form")
            return [SlotSet("invalid_attempts", 0)]
        return [SlotSet("report_draft_id", uuid.uuid4().hex), SlotSet("invalid_attempts", 0)]


class ActionRemindSummary(Action):
    """At the summary, anything but send/change/cancel: the report is not sent yet."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_remind_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Say the report waits for "Kirim", with the summary's buttons."""
        dispatcher.utter_message(response="utter_summary_reminder")
        return []
