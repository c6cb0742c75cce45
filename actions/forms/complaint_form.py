"""`validate_complaint_form`: extraction and validation of every complaint slot.

Each `extract_<slot>` reads the citizen's answer (text, button payload or channel
metadata); each `validate_<slot>` checks it with a pure function from
`actions.validators` and returns `{slot: value_or_None}`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions.conversation import answer_text, entity_value, latest_intent, metadata
from actions.forms.base import CountingFormValidation
from actions.services import get_services
from actions.validators.category import category_from_text
from actions.validators.dates import parse_incident_date
from actions.validators.location import locate_point, match_location
from actions.validators.text import description_problem, is_skip, privacy_from_text

#: Every slot of a report in progress, cleared when it is submitted or discarded.
DRAFT_SLOTS = (
    "report_type",
    "complaint_description",
    "complaint_category",
    "category_suggestions",
    "complaint_location",
    "complaint_latitude",
    "complaint_longitude",
    "complaint_kecamatan",
    "location_draft",
    "incident_date",
    "privacy",
    "attachments",
    "invalid_attempts",
    "report_draft_id",
)
REPORT_TYPES = ("complaint", "aspiration", "information")
PRIVACY_VALUES = ("public", "anonymous", "confidential")
#: A pseudo-answer meaning "show me every category" (the citizen said no to the guess).
CHOOSE_FROM_LIST = "__list__"
_OUTSIDE_RESPONSES = {
    "kota_tangerang": "utter_location_outside_kota",
    "tangerang_selatan": "utter_location_outside_tangsel",
    "elsewhere": "utter_location_outside_elsewhere",
}
_REPORT_TYPE_WORDS = {
    "complaint": ("aduan", "pengaduan", "keluhan", "komplain", "complaint"),
    "aspiration": ("aspirasi", "saran", "usul", "masukan", "suggestion", "aspiration"),
    "information": ("informasi", "info", "information", "tanya"),
}


FORM_SLOTS = (
    "report_type",
    "complaint_description",
    "complaint_category",
    "complaint_location",
    "incident_date",
    "privacy",
    "attachments",
)
_NOT_ASKED = {
    "aspiration": frozenset({"incident_date"}),
    "information": frozenset({"incident_date", "complaint_location"}),
}


def slots_for(
    report_type: str | None, slots: tuple[str, ...] | list[str] = FORM_SLOTS
) -> list[str]:
    """The form slots a report of `report_type` needs: aspirations have no incident date,
    information requests no place or date."""
    skipped = _NOT_ASKED.get(report_type or "", frozenset())
    return [slot for slot in slots if slot not in skipped]


def report_type_from_text(text: str) -> str | None:
    """The report type a free-text answer names, or None."""
    lowered = text.lower()
    for report_type, words in _REPORT_TYPE_WORDS.items():
        if any(word in lowered for word in words):
            return report_type
    return None


def today_in(timezone: str) -> dt.date:
    """Today's date in the regency's time zone."""
    return dt.datetime.now(ZoneInfo(timezone)).date()


def shared_pin(tracker: Tracker) -> tuple[float, float] | None:
    """The (latitude, longitude) of a location pin sent with the latest message, if any."""
    pin = metadata(tracker).get("location")
    if not (isinstance(pin, dict) and "latitude" in pin and "longitude" in pin):
        return None
    try:
        return float(pin["latitude"]), float(pin["longitude"])
    except (TypeError, ValueError):
        return None


def pin_text(latitude: float, longitude: float) -> str:
    """How a pin is written in `complaint_location`."""
    return f"{latitude:.6f}, {longitude:.6f}"


def empty_draft() -> dict[str, Any]:
    """Slot values of no report in progress."""
    values: dict[str, Any] = dict.fromkeys(DRAFT_SLOTS)
    values["invalid_attempts"] = 0
    return values


def discard_draft() -> dict[str, Any]:
    """Slot values that throw away the report in progress and stop the form."""
    return {**empty_draft(), REQUESTED_SLOT: None}


class ValidateComplaintForm(CountingFormValidation):
    """Validates the complaint form's answers."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "validate_complaint_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The slots this report type needs (see `slots_for`)."""
        return slots_for(tracker.get_slot("report_type"), domain_slots)

    # --- report type -----------------------------------------------------------------
    async def extract_report_type(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A button payload or entity, or a free-text answer to the question."""
        value = entity_value(tracker, "report_type")
        if value is None:
            text = answer_text(tracker, "report_type")
            value = report_type_from_text(text) if text else None
            if text and value is None:
                value = text  # validated (and refused) below
        return {"report_type": value} if value is not None else {}

    def validate_report_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """One of complaint, aspiration, information."""
        if value in REPORT_TYPES:
            return self.accept({"report_type": value})
        return self.reject("report_type", dispatcher, tracker, "utter_please_use_buttons")

    # --- description -----------------------------------------------------------------
    async def extract_complaint_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The answer to "what happened?"."""
        text = answer_text(tracker, "complaint_description")
        return {"complaint_description": text} if text else {}

    def validate_complaint_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Detailed enough to act on, and at most 4,000 characters."""
        problem = description_problem(str(value or ""))
        if problem == "too_short":
            return self.reject(
                "complaint_description", dispatcher, tracker, "utter_description_too_short"
            )
        if problem == "too_long":
            return self.reject(
                "complaint_description", dispatcher, tracker, "utter_description_too_long"
            )
        return self.accept({"complaint_description": str(value).strip()})

    # --- category ---------------------------------------------------------------------
    async def extract_complaint_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A category button, "yes" to the suggestion, "no" (show the list), or words."""
        chosen = entity_value(tracker, "complaint_category")
        if chosen:
            return {"complaint_category": str(chosen)}
        if tracker.get_slot(REQUESTED_SLOT) != "complaint_category":
            return {}
        intent = latest_intent(tracker)
        suggestions = tracker.get_slot("category_suggestions") or []
        if intent == "affirm" and suggestions:
            return {"complaint_category": suggestions[0]}
        if intent == "deny":
            return {"complaint_category": CHOOSE_FROM_LIST}
        text = answer_text(tracker, "complaint_category")
        return {"complaint_category": text} if text else {}

    def validate_complaint_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A category code of the taxonomy."""
        if value == CHOOSE_FROM_LIST:
            # Not an invalid answer: the next question lists every category.
            return {"complaint_category": None, "category_suggestions": []}
        services = get_services()
        categories = services.categories
        if value in categories:
            return self.accept({"complaint_category": value})
        code = category_from_text(
            str(value), categories, lambda text: services.classifier.rank_many([text])[0]
        )
        if code is not None:
            return self.accept({"complaint_category": code})
        return self.reject("complaint_category", dispatcher, tracker, "utter_category_unknown")

    # --- location ---------------------------------------------------------------------
    async def extract_complaint_location(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A shared location pin (channel metadata) or a written place."""
        pin = shared_pin(tracker)
        if pin is not None:
            # Only the text: rasa_sdk drops extracted slots that are not form slots, so
            # the validation returns the coordinates.
            return {"complaint_location": pin_text(*pin)}
        text = answer_text(tracker, "complaint_location")
        if not text:
            return {}
        draft = tracker.get_slot("location_draft")
        return {"complaint_location": f"{draft}, {text}" if draft else text}

    def validate_complaint_location(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Inside Kabupaten Tangerang, with its kecamatan; outside it, no report is filed."""
        pin = shared_pin(tracker)
        if pin is not None and value == pin_text(*pin):
            latitude, longitude = pin
            point = locate_point(latitude, longitude)
            if not point.inside_regency:
                return self._outside(dispatcher, point.outside or "elsewhere")
            return self.accept(
                {
                    "complaint_location": value,
                    "complaint_kecamatan": point.kecamatan,
                    "complaint_latitude": latitude,
                    "complaint_longitude": longitude,
                    "location_draft": None,
                }
            )
        text = str(value or "").strip()
        match = match_location(text)
        if match.outside:
            return self._outside(dispatcher, match.outside)
        if match.kecamatan:
            return self.accept(
                {
                    "complaint_location": text,
                    "complaint_kecamatan": match.kecamatan,
                    "complaint_latitude": None,
                    "complaint_longitude": None,
                    "location_draft": None,
                }
            )
        values = self.reject(
            "complaint_location",
            dispatcher,
            tracker,
            "utter_location_did_you_mean" if match.candidates else "utter_location_ask_kecamatan",
            candidates=", ".join(match.candidates),
        )
        if values.get(REQUESTED_SLOT, "") is not None:
            values["location_draft"] = text  # the next answer adds the kecamatan to it
        return values

    def _outside(self, dispatcher: CollectingDispatcher, area: str) -> dict[str, Any]:
        dispatcher.utter_message(
            response=_OUTSIDE_RESPONSES.get(area, _OUTSIDE_RESPONSES["elsewhere"])
        )
        return discard_draft()

    # --- incident date ----------------------------------------------------------------
    async def extract_incident_date(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The answer to "when did it happen?"."""
        text = answer_text(tracker, "incident_date")
        return {"incident_date": text} if text else {}

    def validate_incident_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A readable date, not in the future, at most a year old; stored as ISO."""
        result = parse_incident_date(str(value or ""), today_in(get_services().settings.timezone))
        if result.value is not None and result.problem is None:
            return self.accept({"incident_date": result.value.isoformat()})
        response = {
            "future": "utter_date_future",
            "too_old": "utter_date_too_old",
        }.get(result.problem or "", "utter_date_unreadable")
        return self.reject("incident_date", dispatcher, tracker, response)

    # --- privacy ----------------------------------------------------------------------
    async def extract_privacy(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A button payload or entity, or free text such as "anonim saja"."""
        value = entity_value(tracker, "privacy")
        if value is None:
            text = answer_text(tracker, "privacy")
            if not text:
                return {}
            value = privacy_from_text(text) or text
        return {"privacy": value}

    def validate_privacy(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """public, anonymous or confidential."""
        if value in PRIVACY_VALUES:
            return self.accept({"privacy": value})
        return self.reject("privacy", dispatcher, tracker, "utter_please_use_buttons")

    # --- attachments ------------------------------------------------------------------
    async def extract_attachments(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Attachment IDs the channel sent along, or "no attachment"."""
        existing = list(tracker.get_slot("attachments") or [])
        incoming = metadata(tracker).get("attachments")
        if isinstance(incoming, list) and incoming:
            new_ids = [str(i) for i in incoming if str(i) not in existing]
            return {"attachments": existing + new_ids}
        if tracker.get_slot(REQUESTED_SLOT) != "attachments":
            return {}
        if latest_intent(tracker) == "skip":
            return {"attachments": existing}
        text = answer_text(tracker, "attachments")
        if text is None:
            return {}
        return {"attachments": existing if is_skip(text) else None}

    def validate_attachments(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A list of attachment IDs (possibly empty)."""
        if isinstance(value, list):
            return self.accept({"attachments": value})
        return self.reject("attachments", dispatcher, tracker, "utter_attachments_hint")
