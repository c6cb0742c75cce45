"""`action_ask_<slot>`: the complaint form's questions, one per turn.

A question is either the slot's own (`utter_ask_<slot>`), or, when something the
citizen said earlier suggests the answer, a yes/no confirmation of it
(`utter_confirm_<slot>` with [Ya] [Bukan]). When the validation already sent a
question this turn (a choice between two places, the help-or-cancel escape), the
form's question is left out, so the citizen never gets two questions at once.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import language_of
from actions.forms.base import QUESTION_SENT
from actions.labels import PRIVACY_LABELS, label
from actions.validators.dates import format_date_en, format_date_id

SUGGESTIONS = "suggestions"
#: The yes/no question confirming each kind of suggestion.
CONFIRM_RESPONSES = {
    "complaint_location": "utter_confirm_complaint_location",
    "incident_date": "utter_confirm_incident_date",
    "privacy": "utter_confirm_privacy",
}
APPROXIMATE_WORDS = {"id": "sekitar", "en": "around"}
#: Before an exact date in a sentence ("It happened on Monday, ...").
EXACT_WORDS = {"id": "", "en": "on"}
MONTH_WORDS = {"id": "sekitar bulan", "en": "some time in"}


def suggestion_for(tracker: Tracker, slot: str) -> dict[str, Any] | None:
    """The pending suggestion for `slot`, if any."""
    suggestions = tracker.get_slot(SUGGESTIONS) or {}
    value = suggestions.get(slot) if isinstance(suggestions, dict) else None
    return value if isinstance(value, dict) else None


def date_label(iso: str, precision: str | None, language: str) -> str:
    """A stored incident date as the citizen reads it ("sekitar Senin, 23 November 2026")."""
    day = dt.date.fromisoformat(iso)
    if precision == "month":
        months = format_date_en(day) if language == "en" else format_date_id(day)
        month_year = " ".join(months.split()[-2:])
        return f"{MONTH_WORDS[language]} {month_year}"
    text = format_date_en(day) if language == "en" else format_date_id(day)
    if precision == "approximate":
        return f"{APPROXIMATE_WORDS[language]} {text}"
    return text


def suggestion_label(slot: str, suggestion: dict[str, Any], language: str) -> str:
    """How a suggested answer is shown in its confirmation question."""
    values = suggestion.get("values") or {}
    if slot == "incident_date" and values.get("incident_date"):
        precision = values.get("incident_date_precision")
        text = date_label(values["incident_date"], precision, language)
        exact = precision not in ("approximate", "month") and EXACT_WORDS[language]
        return f"{EXACT_WORDS[language]} {text}" if exact else text
    if slot == "privacy":
        return label(PRIVACY_LABELS, values.get("privacy"), language)
    return str(suggestion.get("label") or "")


class AskSlot(Action, ABC):
    """Asks for one slot: its confirmation when there is a suggestion, else its question."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The form slot this action asks for."""

    def name(self) -> str:
        """`action_ask_<slot>`, the name Rasa's form looks for first."""
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Ask (or stay silent when this turn's question was already sent)."""
        if tracker.get_slot(QUESTION_SENT):
            return [SlotSet(QUESTION_SENT, False)]
        suggestion = suggestion_for(tracker, self.slot)
        if suggestion is not None and self.slot in CONFIRM_RESPONSES:
            dispatcher.utter_message(
                response=CONFIRM_RESPONSES[self.slot],
                value=suggestion_label(self.slot, suggestion, language_of(tracker)),
            )
            return []
        dispatcher.utter_message(response=f"utter_ask_{self.slot}")
        return []


class AskReportType(AskSlot):
    """Asks the report type."""

    slot = "report_type"


class AskDescription(AskSlot):
    """Asks what happened."""

    slot = "complaint_description"


class AskLocation(AskSlot):
    """Asks where (or confirms the place the citizen named already)."""

    slot = "complaint_location"


class AskIncidentDate(AskSlot):
    """Asks when (or confirms the date the citizen gave already)."""

    slot = "incident_date"


class AskPrivacy(AskSlot):
    """Asks who may see the report (or confirms the wish the citizen stated)."""

    slot = "privacy"


class AskAttachments(AskSlot):
    """Asks for a photo or document."""

    slot = "attachments"
