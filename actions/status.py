"""Status look-ups: one report by tracking ID, and "my reports"."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendUnavailable, ReportNotFound
from actions.conversation import answer_text, entity_value, language_of, latest_text
from actions.services import get_services
from actions.validators.dates import format_date_en, format_date_id
from lapor_common.labels import STATUS_LABELS, label
from lapor_common.tracking_ids import normalise_tracking_id

MY_REPORTS_LIMIT = 5
NO_NOTE = {"id": "belum ada catatan petugas", "en": "no officer note yet"}
#: A tracking ID's shape, whatever its year: prefix, four-digit year, sequence.
_WELL_FORMED = re.compile(r"^\s*([A-Za-z]{2,6})[-\s]?(\d{4})[-\s]?(\d{1,9})\s*$")
_ID_IN_TEXT = re.compile(r"\b([A-Za-z]{2,6})[- ]?(\d{4})[- ]?(\d{1,9})\b")
#: "the report I just filed": the latest report of this chat.
_LATEST = re.compile(
    r"\b(tadi|barusan|baru saja|terakhir|kemarin|td|tdi|yg tadi|yang tadi|itu|just now|"
    r"latest|last|just (?:filed|sent|made)|my report)\b",
    re.IGNORECASE,
)


def canonical_id(text: str) -> str | None:
    """A well-formed tracking ID in canonical form (any year), or None.

    "tng2026000123" -> "TNG-2026-000123"; "TNG-1999-999999" is well formed too (the
    backend then says it does not exist).
    """
    known = normalise_tracking_id(text)
    if known is not None:
        return known
    match = _WELL_FORMED.match(text) or _ID_IN_TEXT.search(text)
    if match is None:
        return None
    prefix, year, sequence = match.groups()
    if int(sequence) == 0:
        return None
    return f"{prefix.upper()}-{year}-{int(sequence):06d}"


def means_latest_report(text: str) -> bool:
    """Whether a status question points at the report just filed ("laporan saya tadi")."""
    return bool(_LATEST.search(text))


def local_date(timestamp: str, timezone: str) -> dt.date:
    """The local calendar date of an ISO timestamp."""
    return dt.datetime.fromisoformat(timestamp).astimezone(ZoneInfo(timezone)).date()


def status_values(report: dict[str, Any], language: str, timezone: str) -> dict[str, Any]:
    """Template values describing a report's status."""
    categories = get_services().categories
    category = categories.get(report.get("category", ""))
    history = report.get("history") or []
    notes = [h for h in history if h.get("note")]
    updated = local_date(report["updated_at"], timezone)
    return {
        "tracking_id": report["tracking_id"],
        "status_label": label(STATUS_LABELS, report.get("status"), language),
        "category_label": category.label(language) if category else report.get("category", "-"),
        "updated": format_date_en(updated) if language == "en" else format_date_id(updated),
        "note": notes[-1]["note"] if notes else NO_NOTE[language],
    }


def lapor_number(report: dict[str, Any]) -> str | None:
    """The report's complaint number in SP4N-LAPOR!, once the bridge forwarded it."""
    lapor = report.get("lapor")
    number = lapor.get("complaint_id") if isinstance(lapor, dict) else None
    return str(number) if number else None


def tell_status(
    dispatcher: CollectingDispatcher, response: str, report: dict[str, Any], values: dict[str, Any]
) -> None:
    """Utter a status answer and, when the report is in SP4N-LAPOR!, its number there."""
    dispatcher.utter_message(response=response, **values)
    number = lapor_number(report)
    if number:
        dispatcher.utter_message(response="utter_status_lapor_number", lapor_number=number)


class ValidateStatusForm(FormValidationAction):
    """Reads a tracking ID in any case, with or without dashes."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "validate_status_form"

    async def extract_tracking_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The ID from the message (entity or words), the answer to the question, or, for
        a question with no ID ("gimana laporan saya tadi?"), this chat's latest report."""
        value = entity_value(tracker, "tracking_id") or answer_text(tracker, "tracking_id")
        text = latest_text(tracker)
        if not value and text and not text.startswith("/"):
            found = _ID_IN_TEXT.search(text)
            value = found.group(0) if found else None
        if not value and tracker.get_slot("requested_slot") != "tracking_id":
            value = await latest_report_id(tracker.sender_id)
        return {"tracking_id": value} if value else {}

    def validate_tracking_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A well-formed tracking ID, normalised."""
        canonical = canonical_id(str(value or ""))
        if canonical is None:
            dispatcher.utter_message(response="utter_tracking_id_invalid")
            return {"tracking_id": None}
        return {"tracking_id": canonical}


async def latest_report_id(chat_id: str) -> str | None:
    """The tracking ID of the newest report filed from `chat_id` (None if none, or down)."""
    try:
        reports = await get_services().backend.list_reports_of_chat(chat_id, 1)
    except BackendUnavailable:
        return None
    return str(reports[0]["tracking_id"]) if reports else None


class ActionCheckStatus(Action):
    """Tells a report's status: full details to its reporter, the status alone to others."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Look the report up and answer; confidential reports only to their reporter."""
        tracking_id = tracker.get_slot("tracking_id")
        done: list[EventType] = [SlotSet("tracking_id", None)]
        if not tracking_id:
            dispatcher.utter_message(response="utter_ask_tracking_id")
            return done
        services = get_services()
        try:
            report = await services.backend.get_complaint(tracking_id)
        except ReportNotFound:
            dispatcher.utter_message(response="utter_status_not_found", tracking_id=tracking_id)
            return done
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_down")
            return done
        language = language_of(tracker)
        values = status_values(report, language, services.settings.timezone)
        reporter = report.get("reporter") or {}
        if reporter.get("chat_id") == tracker.sender_id:
            tell_status(dispatcher, "utter_status_full", report, values)
        elif report.get("privacy") == "confidential":
            dispatcher.utter_message(response="utter_status_not_found", tracking_id=tracking_id)
        else:
            tell_status(dispatcher, "utter_status_public", report, values)
        return done


class ActionMyReports(Action):
    """Lists the newest reports filed from this chat."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_my_reports"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """One line per report: ID, category, status."""
        services = get_services()
        try:
            reports = await services.backend.list_reports_of_chat(
                tracker.sender_id, MY_REPORTS_LIMIT
            )
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_down")
            return []
        if not reports:
            dispatcher.utter_message(response="utter_my_reports_empty")
            return []
        language = language_of(tracker)
        if means_latest_report(latest_text(tracker)):
            report = reports[0]
            values = status_values(report, language, services.settings.timezone)
            tell_status(dispatcher, "utter_status_full", report, values)
            return []
        lines = []
        for report in reports:
            values = status_values(report, language, services.settings.timezone)
            lines.append(
                f"• {values['tracking_id']} ({values['category_label']}): {values['status_label']}"
            )
        dispatcher.utter_message(response="utter_my_reports", report_lines="\n".join(lines))
        return []
