"""The complaint form's questions, one per turn, asked by the form's validation.

A question is either the slot's own (`utter_question_<slot>`), or, when something the
citizen said earlier suggests the answer, a yes/no confirmation of it
(`utter_confirm_<slot>` with [Ya] [Bukan]). When the validation already sent a
question this turn (a choice between two places, the help-or-cancel escape), the
form's question is left out, so the citizen never gets two questions at once.

The validation asks (not `action_ask_<slot>` actions): Rasa's form asks nothing for a
slot with no ask action or response, and one call to the action server per turn is
cheaper than two.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import language_of
from actions.validators.dates import format_date_en, format_date_id
from lapor_common.labels import PRIVACY_LABELS, label

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


#: The form's own question for each slot the validation asks (named apart from
#: `utter_ask_<slot>` so that Rasa's form does not ask it a second time).
QUESTION_RESPONSES = {
    "report_type": "utter_question_report_type",
    "complaint_description": "utter_question_complaint_description",
    "complaint_location": "utter_question_complaint_location",
    "incident_date": "utter_question_incident_date",
    "privacy": "utter_question_privacy",
    "attachments": "utter_question_attachments",
}


def ask(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> None:
    """Ask for `slot`: the confirmation of its suggestion, or the question itself."""
    suggestion = suggestion_for(tracker, slot)
    if suggestion is not None and slot in CONFIRM_RESPONSES:
        dispatcher.utter_message(
            response=CONFIRM_RESPONSES[slot],
            value=suggestion_label(slot, suggestion, language_of(tracker)),
        )
        return
    dispatcher.utter_message(response=QUESTION_RESPONSES[slot])
