"""The life of a report in progress: start, summary, corrections, cancel, resume."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import (
    entity_value,
    language_of,
    latest_intent,
    latest_text,
    metadata,
)
from actions.forms.complaint_form import slots_for
from actions.labels import PRIVACY_LABELS, REPORT_TYPE_LABELS, label
from actions.services import get_services
from actions.submission import clear_draft
from actions.validators.dates import format_date_en, format_date_id
from actions.validators.emergency import looks_like_emergency

#: Which slots a correction of each field clears.
FIELD_SLOTS: dict[str, tuple[str, ...]] = {
    "complaint_description": (
        "complaint_description",
        "complaint_category",
        "category_suggestions",
    ),
    "complaint_category": ("complaint_category", "category_suggestions"),
    "complaint_location": (
        "complaint_location",
        "complaint_latitude",
        "complaint_longitude",
        "complaint_kecamatan",
        "location_draft",
    ),
    "incident_date": ("incident_date",),
    "privacy": ("privacy",),
    "attachments": ("attachments",),
}
SUMMARY_DESCRIPTION_CHARS = 300


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
        events: list[EventType] = [*clear_draft(), SlotSet("report_draft_id", uuid.uuid4().hex)]
        intent = latest_intent(tracker)
        report_type = entity_value(tracker, "report_type")
        if report_type:
            events.append(SlotSet("report_type", report_type))
        if intent == "report_problem":
            text = latest_text(tracker)
            if looks_like_emergency(text):
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
        needed = slots_for(tracker.get_slot("report_type"))
        if any(tracker.get_slot(slot) is None for slot in needed):
            return []  # paused or discarded: the form already said why
        dispatcher.utter_message(response="utter_summary", **summary_values(tracker))
        return []


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
        day = dt.date.fromisoformat(tracker.get_slot("incident_date"))
        date_text = format_date_en(day) if language == "en" else format_date_id(day)
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


class ActionChangeField(Action):
    """Clears one answer ("ubah lokasi"); the rules then go back to the form to ask it."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_change_field"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Clear the named field (a new report starts when there is none in progress)."""
        field = tracker.get_slot("field_to_change") or entity_value(tracker, "field")
        done = SlotSet("field_to_change", None)
        if not has_draft(tracker):
            dispatcher.utter_message(response="utter_no_draft")
            return [done, SlotSet("report_draft_id", uuid.uuid4().hex)]
        if field not in FIELD_SLOTS:
            return [done]
        events: list[EventType] = [SlotSet(slot, None) for slot in FIELD_SLOTS[field]]
        events += [SlotSet("invalid_attempts", 0), done]
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
        dispatcher.utter_message(response="utter_confirm_cancel")
        return []


class ActionCancelReport(Action):
    """Throws the report in progress away; nothing is submitted."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_cancel_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Clear every draft slot."""
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
