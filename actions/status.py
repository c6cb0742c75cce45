"""Status look-ups: one report by tracking ID, and "my reports"."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendUnavailable, ReportNotFound
from actions.conversation import answer_text, entity_value, language_of
from actions.labels import STATUS_LABELS, label
from actions.services import get_services
from actions.validators.dates import format_date_en, format_date_id
from backend.tracking import normalise_tracking_id

MY_REPORTS_LIMIT = 5
NO_NOTE = {"id": "belum ada catatan petugas", "en": "no officer note yet"}


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


class ValidateStatusForm(FormValidationAction):
    """Reads a tracking ID in any case, with or without dashes."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "validate_status_form"

    async def extract_tracking_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The ID from the message's entity, or the whole answer to the question."""
        value = entity_value(tracker, "tracking_id") or answer_text(tracker, "tracking_id")
        return {"tracking_id": value} if value else {}

    def validate_tracking_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A well-formed tracking ID, normalised."""
        canonical = normalise_tracking_id(str(value or ""))
        if canonical is None:
            dispatcher.utter_message(response="utter_tracking_id_invalid")
            return {"tracking_id": None}
        return {"tracking_id": canonical}


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
            dispatcher.utter_message(response="utter_status_full", **values)
        elif report.get("privacy") == "confidential":
            dispatcher.utter_message(response="utter_status_not_found", tracking_id=tracking_id)
        else:
            dispatcher.utter_message(response="utter_status_public", **values)
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
        lines = []
        for report in reports:
            values = status_values(report, language, services.settings.timezone)
            lines.append(
                f"• {values['tracking_id']} ({values['category_label']}): {values['status_label']}"
            )
        dispatcher.utter_message(response="utter_my_reports", report_lines="\n".join(lines))
        return []
