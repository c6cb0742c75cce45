"""`validate_complaint_form`: extraction and validation of every complaint slot.

Each `extract_<slot>` reads the citizen's answer (text, button payload or channel
metadata); each `validate_<slot>` checks it with a pure function from
`actions.validators` and returns `{slot: value_or_None}`.
"""

from __future__ import annotations

import datetime as dt
import re
from contextvars import ContextVar
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions.conversation import (
    INTERRUPTING_INTENTS,
    answer_text,
    entity_value,
    is_payload,
    latest_intent,
    latest_text,
    metadata,
    yes_or_no,
)
from actions.duplicates import step as duplicates
from actions.forms.asking import QUESTION_RESPONSES, SUGGESTIONS, ask, suggestion_for
from actions.forms.base import ATTEMPTS_SLOT, QUESTION_SENT, CountingFormValidation
from actions.forms.hints import (
    date_hint,
    location_hint,
    privacy_hint,
    says_already_said,
    without_already_said,
)
from actions.forms.readers import UNKNOWN, PlaceReading, read_date, read_place
from actions.services import get_services
from actions.validators.answers import (
    NO_ATTACHMENT,
    WILL_SEND,
    read_attachment_answer,
    read_privacy,
    read_report_type,
    read_yes_no,
)
from actions.validators.category import category_from_text
from actions.validators.location import locate_point
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
    "complaint_desa",
    "incident_date_precision",
    SUGGESTIONS,
    QUESTION_SENT,
    "pending_answer",
    "awaiting_confirmation",
    "choosing_field",
    duplicates.CHOICE_SLOT,
    duplicates.CANDIDATES_SLOT,
)
REPORT_TYPES = ("complaint", "aspiration", "information")
PRIVACY_VALUES = ("public", "anonymous", "confidential")
#: A pseudo-answer meaning "show me every category" (the citizen said no to the guess).
CHOOSE_FROM_LIST = "__list__"
#: Pseudo-answers to a confirmation question: the suggestion is right / wrong.
ACCEPT_SUGGESTION = "__accept__"
DECLINE_SUGGESTION = "__decline__"
#: A pseudo-answer that is no answer at all (an invalid attachment reply).
NOT_AN_ANSWER = "__invalid__"
#: Answers the citizen gave before this turn, to tell a re-validated old value from a new one.
_BEFORE: ContextVar[dict[str, Any] | None] = ContextVar("slots_before_turn", default=None)
#: Slots a message may hint at, and the readers finding the hints.
_HINTED = ("complaint_location", "incident_date", "privacy")
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
    "aspiration": frozenset({"incident_date", duplicates.CHOICE_SLOT}),
    "information": frozenset({"incident_date", "complaint_location", duplicates.CHOICE_SLOT}),
}


def slots_for(
    report_type: str | None,
    slots: tuple[str, ...] | list[str] = FORM_SLOTS,
    date_precision: str | None = None,
) -> list[str]:
    """The form slots a report of `report_type` needs: aspirations have no incident date,
    information requests no place or date, and a date the citizen does not remember
    (`date_precision` "unknown") is not asked again."""
    skipped = set(_NOT_ASKED.get(report_type or "", frozenset()))
    if date_precision == UNKNOWN:
        skipped.add("incident_date")
    return [slot for slot in slots if slot not in skipped]


def needed_slots(tracker: Tracker, slots: tuple[str, ...] | list[str] = FORM_SLOTS) -> list[str]:
    """The form slots the report in `tracker` still has to have."""
    return slots_for(
        tracker.get_slot("report_type"), slots, tracker.get_slot("incident_date_precision")
    )


def report_type_from_text(text: str) -> str | None:
    """The report type a free-text answer names, or None."""
    lowered = text.lower()
    for report_type, words in _REPORT_TYPE_WORDS.items():
        if any(word in lowered for word in words):
            return report_type
    return None


#: Intents of a message that tells a problem (the NLU's reading of the description).
_PROBLEM_INTENTS = frozenset({"report_problem"})
#: Words of a description long enough to be one even when the NLU read it otherwise.
_DESCRIPTION_WORDS = 6


def describes_a_problem(text: str, intent: str | None) -> bool:
    """Whether an answer to "which kind of report?" is the problem itself: read as a
    problem by the NLU, or a statement of six words or more, and a valid description."""
    if description_problem(text) is not None or text.startswith("/"):
        return False
    if intent in _PROBLEM_INTENTS:
        return True
    return len(text.split()) >= _DESCRIPTION_WORDS and "?" not in text


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
        """The slots this report needs (see `slots_for`)."""
        return needed_slots(tracker, domain_slots)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Validate this turn's answer, after noting what the message says about other questions.

        Hints become suggestions (confirmed later instead of asked); a correction's
        value given with it ("lokasinya harusnya di Curug") is used once.
        """
        if _interrupts(tracker):
            # A question, help, cancel...: no answer, so the form rejects and the rules
            # answer it; the form then comes back and asks (a later call).
            return await super().run(dispatcher, tracker, domain)
        before = dict(tracker.slots)
        tracker.slots[QUESTION_SENT] = False  # set again by this turn's own question
        token = _BEFORE.set(before)
        try:
            self._note_hints(tracker)
            events = await super().run(dispatcher, tracker, domain)
        finally:
            _BEFORE.reset(token)
        if tracker.slots.get("pending_answer"):
            tracker.slots["pending_answer"] = None
        events = await self._offer_duplicates(dispatcher, tracker, domain, events, before)
        self._ask_next(dispatcher, tracker, events)
        extra: list[EventType] = [
            SlotSet(slot, tracker.slots.get(slot))
            for slot in (SUGGESTIONS, "pending_answer")
            if tracker.slots.get(slot) != before.get(slot)
        ]
        if bool(tracker.slots.get(QUESTION_SENT)) != bool(before.get(QUESTION_SENT)):
            extra.append(SlotSet(QUESTION_SENT, bool(tracker.slots.get(QUESTION_SENT))))
        return [*extra, *events]

    async def _offer_duplicates(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        events: list[EventType],
        before: dict[str, Any],
    ) -> list[EventType]:
        """Once the category and the place are known: nearby reports of the same problem
        (`actions.duplicates.step`), offered before the next question; none, or no
        answer from the backend in time, and the form goes on."""
        stopped = SlotSet(REQUESTED_SLOT, None) in events  # or everything is answered
        slots = needed_slots(tracker, self.domain_slots(domain))
        upcoming = next((s for s in slots if tracker.slots.get(s) is None), None)
        if stopped or tracker.slots.get(QUESTION_SENT) or upcoming != duplicates.CHOICE_SLOT:
            return events
        offered = tracker.slots.get(duplicates.CANDIDATES_SLOT)
        moved = tracker.slots.get("complaint_location") != before.get("complaint_location")
        if offered and not moved:  # asked already (this turn brought a photo, say): again
            duplicates.ask(dispatcher, tracker, offered, "utter_duplicate_offer")
            tracker.slots[QUESTION_SENT] = True
            return events
        values = await duplicates.offer(dispatcher, tracker)
        tracker.slots.update(values)
        if values[duplicates.CHOICE_SLOT] is None:
            tracker.slots[QUESTION_SENT] = True
        kept = [
            e for e in events if not (e.get("event") == "slot" and e.get("name") == REQUESTED_SLOT)
        ]
        following = next((s for s in slots if tracker.slots.get(s) is None), None)
        return [
            *kept,
            *(SlotSet(slot, value) for slot, value in values.items()),
            SlotSet(REQUESTED_SLOT, following),
        ]

    def _ask_next(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, events: list[EventType]
    ) -> None:
        """Ask the next question (unless this turn's question was sent, or the form stops)."""
        stopped = any(
            event.get("event") == "slot"
            and event.get("name") == REQUESTED_SLOT
            and event.get("value") is None
            for event in events
        )
        next_slot = self._first_missing(tracker)
        if stopped and next_slot is not None and not tracker.slots.get(QUESTION_SENT):
            return  # the form was stopped (a place outside the regency)
        if next_slot not in QUESTION_RESPONSES:
            return  # done, or the category (its own action asks it)
        if tracker.slots.get(QUESTION_SENT):
            return
        ask(dispatcher, tracker, next_slot)

    def _note_hints(self, tracker: Tracker) -> None:
        """Suggestions from the latest message for questions not answered yet."""
        text = latest_text(tracker)
        if not text or text.startswith("/") or latest_intent(tracker) in INTERRUPTING_INTENTS:
            return
        requested = tracker.get_slot(REQUESTED_SLOT)
        needed = needed_slots(tracker)
        suggestions = dict(tracker.get_slot(SUGGESTIONS) or {})
        today = today_in(get_services().settings.timezone)
        readers = {
            "complaint_location": location_hint,
            "incident_date": lambda t: date_hint(t, today),
            "privacy": privacy_hint,
        }
        changed = False
        for slot in _HINTED:
            if slot == requested or slot not in needed or slot in suggestions:
                continue
            if tracker.get_slot(slot) is not None or shared_pin(tracker) is not None:
                continue
            hint = readers[slot](text)
            if hint is not None:
                suggestions[slot] = hint
                changed = True
        if changed:
            tracker.slots[SUGGESTIONS] = suggestions

    def _answer(self, tracker: Tracker, slot: str) -> str | None:
        """The free-text answer for `slot`: this message, or a correction's value."""
        pending = tracker.get_slot("pending_answer")
        if pending and self._first_missing(tracker) == slot:
            return str(pending)
        return answer_text(tracker, slot)

    @staticmethod
    def _first_missing(tracker: Tracker) -> str | None:
        return next((s for s in needed_slots(tracker) if tracker.get_slot(s) is None), None)

    @staticmethod
    def _unchanged(slot: str, value: Any) -> bool:
        """Whether `value` is the answer already kept before this turn (re-validated by
        Rasa when the form starts again after a correction)."""
        return value is not None and (_BEFORE.get() or {}).get(slot) == value

    def _confirmation(self, tracker: Tracker, slot: str) -> str | None:
        """ACCEPT/DECLINE when this message answers the confirmation of a suggestion."""
        if tracker.get_slot(REQUESTED_SLOT) != slot or suggestion_for(tracker, slot) is None:
            return None
        said = yes_or_no(tracker)
        if said is True:
            return ACCEPT_SUGGESTION
        text = latest_text(tracker)
        if said is False and (is_payload(text) or len(text.split()) <= 3):
            return DECLINE_SUGGESTION
        return None  # "bukan, di desa Kemiri": a new answer

    def _take_suggestion(self, tracker: Tracker, slot: str, accepted: bool) -> dict[str, Any]:
        """Slot values after the citizen answered a suggestion's confirmation."""
        suggestions = dict(tracker.get_slot(SUGGESTIONS) or {})
        suggestion = suggestions.pop(slot, None) or {}
        if not accepted:
            return {slot: None, SUGGESTIONS: suggestions}
        return self.accept({**(suggestion.get("values") or {}), SUGGESTIONS: suggestions})

    @staticmethod
    def _drop_suggestion(tracker: Tracker, slot: str) -> dict[str, Any]:
        """The suggestions without `slot`'s (a fresh answer replaced it)."""
        suggestions = dict(tracker.get_slot(SUGGESTIONS) or {})
        if slot not in suggestions:
            return {}
        suggestions.pop(slot)
        return {SUGGESTIONS: suggestions}

    # --- report type -----------------------------------------------------------------
    async def extract_report_type(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A button payload or entity, or a free-text answer to the question."""
        value = entity_value(tracker, "report_type")
        if value is None:
            text = self._answer(tracker, "report_type")
            value = (read_report_type(text) or report_type_from_text(text)) if text else None
            if text and value is None and describes_a_problem(text, latest_intent(tracker)):
                # "mau lapor", then the problem itself to "which kind?": a complaint, and
                # that message is its description (never "please use the buttons").
                return {"report_type": "complaint", "complaint_description": text}
            if text and value is None:
                value = text  # validated (and refused) below
        return {"report_type": value} if value is not None else {}

    def validate_report_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """One of complaint, aspiration, information."""
        if value is None or self._unchanged("report_type", value):
            return {}
        if value in REPORT_TYPES:
            return self.accept({"report_type": value})
        return self.reject("report_type", dispatcher, tracker, "utter_please_use_buttons")

    # --- description -----------------------------------------------------------------
    async def extract_complaint_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The answer to "what happened?"."""
        text = self._answer(tracker, "complaint_description")
        return {"complaint_description": text} if text else {}

    def validate_complaint_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Detailed enough to act on, and at most 4,000 characters."""
        if value is None:
            return {}
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
            pending = self._answer(tracker, "complaint_category")
            return {"complaint_category": pending} if pending else {}
        said = yes_or_no(tracker)
        text = latest_text(tracker)
        suggestions = tracker.get_slot("category_suggestions") or []
        if said is True and suggestions:
            return {"complaint_category": suggestions[0]}
        if said is False and (is_payload(text) or len(text.split()) <= 3):
            return {"complaint_category": CHOOSE_FROM_LIST}
        text_answer = answer_text(tracker, "complaint_category")
        return {"complaint_category": text_answer} if text_answer else {}

    def validate_complaint_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A category code of the taxonomy."""
        if value is None:
            return {}
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
        if self._answered_another_question(tracker):
            # "di pasar cikupa pak" to "is it Roads?": the place is kept for its own
            # question (a suggestion); no invalid answer, the category is asked again.
            dispatcher.utter_message(response="utter_noted_for_later")
            return {"complaint_category": None}
        return self.reject("complaint_category", dispatcher, tracker, "utter_category_unknown")

    @staticmethod
    def _answered_another_question(tracker: Tracker) -> bool:
        """Whether this message gave the answer to a later question (a place, a date, a
        privacy wish noted as a suggestion this turn) instead of answering this one."""
        before = (_BEFORE.get() or {}).get(SUGGESTIONS) or {}
        now = tracker.slots.get(SUGGESTIONS) or {}
        return any(slot not in before for slot in now)

    # --- location ---------------------------------------------------------------------
    async def extract_complaint_location(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A shared pin, the answer to a place's confirmation, or a written place."""
        pin = shared_pin(tracker)
        if pin is not None:
            # Only the text: the validation returns the coordinates.
            return {"complaint_location": pin_text(*pin)}
        confirmation = self._confirmation(tracker, "complaint_location")
        if confirmation is not None:
            return {"complaint_location": confirmation}
        text = self._answer(tracker, "complaint_location")
        if not text:
            return {}
        draft = tracker.get_slot("location_draft")
        return {"complaint_location": f"{draft}, {text}" if draft else text}

    def validate_complaint_location(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Inside Kabupaten Tangerang, with its kecamatan; outside it, no report is filed."""
        if value is None or self._unchanged("complaint_location", value):
            return {}
        if value in (ACCEPT_SUGGESTION, DECLINE_SUGGESTION):
            return self._take_suggestion(tracker, "complaint_location", value == ACCEPT_SUGGESTION)
        pin = shared_pin(tracker)
        if pin is not None and value == pin_text(*pin):
            return self._pin_location(dispatcher, value, pin)
        text = str(value or "").strip()
        if _bare_yes_no(text):  # "iya" to an open question: asked again (counted)
            return self.reject("complaint_location", dispatcher, tracker, "")
        if says_already_said(text):
            rest = without_already_said(text)
            if not rest or not (read_place(rest) or _NO_PLACE).kecamatan:
                return self._place_said_earlier(dispatcher, tracker)
            text = rest
        place = read_place(text) or _NO_PLACE
        dropped = self._drop_suggestion(tracker, "complaint_location")
        if place.outside:
            return self._outside(dispatcher, place.outside)
        if place.choices:
            buttons = [{"title": title, "payload": title} for title, _ in place.choices]
            response = (
                "utter_location_choose_kecamatan" if place.desa else "utter_location_did_you_mean"
            )
            values = self.reject(
                "complaint_location",
                dispatcher,
                tracker,
                response,
                asks=True,
                buttons=buttons,
                place=place.desa or text,
                candidates=", ".join(title for title, _ in place.choices),
            )
            draft = text if values.get(ATTEMPTS_SLOT) else None
            return {**values, **dropped, "location_draft": draft}
        if place.kecamatan:
            return self.accept(
                {
                    "complaint_location": text,
                    "complaint_kecamatan": place.kecamatan,
                    "complaint_desa": place.desa,
                    "complaint_latitude": None,
                    "complaint_longitude": None,
                    "location_draft": None,
                    **dropped,
                }
            )
        values = self.reject(
            "complaint_location", dispatcher, tracker, "utter_location_ask_kecamatan", asks=True
        )
        values.update(dropped)
        if values.get(ATTEMPTS_SLOT):  # not the escape: the next answer adds the kecamatan
            values["location_draft"] = text
        return values

    def _pin_location(
        self, dispatcher: CollectingDispatcher, value: str, pin: tuple[float, float]
    ) -> dict[str, Any]:
        latitude, longitude = pin
        point = locate_point(latitude, longitude)
        if not point.inside_regency:
            return self._outside(dispatcher, point.outside or "elsewhere")
        return self.accept(
            {
                "complaint_location": value,
                "complaint_kecamatan": point.kecamatan,
                "complaint_desa": None,
                "complaint_latitude": latitude,
                "complaint_longitude": longitude,
                "location_draft": None,
            }
        )

    def _place_said_earlier(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """ "I wrote it already": the place from an earlier message, to confirm; or an apology."""
        for text in reversed(_earlier_user_texts(tracker)):
            hint = location_hint(text)
            if hint is not None:
                suggestions = {**(tracker.get_slot(SUGGESTIONS) or {}), "complaint_location": hint}
                return {"complaint_location": None, SUGGESTIONS: suggestions}
        dispatcher.utter_message(response="utter_location_not_found_earlier")
        return {"complaint_location": None, QUESTION_SENT: True}

    def _outside(self, dispatcher: CollectingDispatcher, area: str) -> dict[str, Any]:
        dispatcher.utter_message(
            response=_OUTSIDE_RESPONSES.get(area, _OUTSIDE_RESPONSES["elsewhere"])
        )
        return discard_draft()

    # --- incident date ----------------------------------------------------------------
    async def extract_incident_date(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The answer to "when did it happen?" (or to its confirmation)."""
        confirmation = self._confirmation(tracker, "incident_date")
        if confirmation is not None:
            return {"incident_date": confirmation}
        text = self._answer(tracker, "incident_date")
        return {"incident_date": text} if text else {}

    def validate_incident_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A date (exact, approximate or a month), not in the future, at most a year old,
        stored as ISO with its precision; "I don't remember" is kept as unknown."""
        if value is None or self._unchanged("incident_date", value):
            return {}
        if value in (ACCEPT_SUGGESTION, DECLINE_SUGGESTION):
            return self._take_suggestion(tracker, "incident_date", value == ACCEPT_SUGGESTION)
        reading = read_date(str(value), today_in(get_services().settings.timezone))
        if reading.value is None and reading.precision != UNKNOWN and _bare_yes_no(str(value)):
            # "iya" to an open question: asked again (counted)
            return self.reject("incident_date", dispatcher, tracker, "")
        dropped = self._drop_suggestion(tracker, "incident_date")
        if reading.precision == UNKNOWN:
            return self.accept(
                {"incident_date": None, "incident_date_precision": UNKNOWN, **dropped}
            )
        if reading.value is not None and reading.problem is None:
            return self.accept(
                {
                    "incident_date": reading.value.isoformat(),
                    "incident_date_precision": reading.precision,
                    **dropped,
                }
            )
        response = {
            "future": "utter_date_future",
            "too_old": "utter_date_too_old",
        }.get(reading.problem or "", "utter_date_unreadable")
        return {**self.reject("incident_date", dispatcher, tracker, response), **dropped}

    # --- privacy ----------------------------------------------------------------------
    async def extract_privacy(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A button payload or entity, a confirmation, or free text such as "anonim saja"."""
        value = entity_value(tracker, "privacy")
        if value is None:
            confirmation = self._confirmation(tracker, "privacy")
            if confirmation is not None:
                return {"privacy": confirmation}
            text = self._answer(tracker, "privacy")
            if not text:
                return {}
            value = read_privacy(text) or privacy_from_text(text) or text
        return {"privacy": value}

    def validate_privacy(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """public, anonymous or confidential."""
        if value is None or self._unchanged("privacy", value):
            return {}
        if value in (ACCEPT_SUGGESTION, DECLINE_SUGGESTION):
            return self._take_suggestion(tracker, "privacy", value == ACCEPT_SUGGESTION)
        dropped = self._drop_suggestion(tracker, "privacy")
        if value in PRIVACY_VALUES:
            return self.accept({"privacy": value, **dropped})
        return self.reject("privacy", dispatcher, tracker, "utter_please_use_buttons")

    # --- the same problem reported already ------------------------------------------
    async def extract_duplicate_choice(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The answer to "is it one of these reports?": a tracking ID, new, or unclear."""
        if tracker.get_slot(REQUESTED_SLOT) != duplicates.CHOICE_SLOT:
            return {}
        text = latest_text(tracker)
        brought = metadata(tracker).get("attachments") or shared_pin(tracker)
        if brought and (not text or is_payload(text)):
            return {}  # a photo (the offer is asked again) or a new pin (looked up again)
        return {duplicates.CHOICE_SLOT: duplicates.read_answer(tracker)}

    async def validate_duplicate_choice(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """NEW files the citizen's own report; a tracking ID offered makes them its
        follower and ends the form (no second report), unless the follow fails."""
        if value is None or self._unchanged(duplicates.CHOICE_SLOT, value):
            return {}
        if value == duplicates.NEW:
            return self.accept({duplicates.CHOICE_SLOT: value, duplicates.CANDIDATES_SLOT: None})
        offered = duplicates.offered_ids(tracker)
        if value in offered:
            if await duplicates.follow(dispatcher, tracker, str(value)):
                return discard_draft()
            return self.accept(
                {duplicates.CHOICE_SLOT: duplicates.NEW, duplicates.CANDIDATES_SLOT: None}
            )
        unclear = value == duplicates.UNCLEAR
        response = "utter_duplicate_which" if unclear else "utter_duplicate_choose"
        return self.reject(
            duplicates.CHOICE_SLOT,
            dispatcher,
            tracker,
            response,
            asks=True,
            buttons=duplicates.buttons_for(tracker),
        )

    # --- attachments ------------------------------------------------------------------
    async def extract_attachments(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Attachment IDs the channel sent along, "no attachment", or "I'll send one"."""
        existing = list(tracker.get_slot("attachments") or [])
        incoming = metadata(tracker).get("attachments")
        if isinstance(incoming, list) and incoming:
            new_ids = [str(i) for i in incoming if str(i) not in existing]
            return {"attachments": existing + new_ids}
        if tracker.get_slot(REQUESTED_SLOT) != "attachments":
            return {}
        if latest_intent(tracker) == "skip":
            return {"attachments": existing}
        text = self._answer(tracker, "attachments")
        if text is None:
            return {}
        answer = read_attachment_answer(text)
        if answer == NO_ATTACHMENT or (answer is None and is_skip(text)):
            return {"attachments": existing}
        return {"attachments": WILL_SEND if answer == WILL_SEND else NOT_AN_ANSWER}

    def validate_attachments(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A list of attachment IDs (possibly empty)."""
        if value is None or self._unchanged("attachments", value):
            return {}
        if isinstance(value, list):
            return self.accept({"attachments": value})
        if value == WILL_SEND:
            later = re.search(r"\b(?:nanti|later|besok|tomorrow)\b", latest_text(tracker), re.I)
            if later or tracker.get_slot(ATTEMPTS_SLOT):
                # "nanti saya kirim" (or a second "I'll send it"): go on without one.
                dispatcher.utter_message(response="utter_attachments_later")
                return self.accept({"attachments": []})
            dispatcher.utter_message(response="utter_attachments_waiting")
            return {"attachments": None, QUESTION_SENT: True, ATTEMPTS_SLOT: 1}
        return self.reject("attachments", dispatcher, tracker, "utter_attachments_hint", asks=True)


#: The reading of an answer naming no place.
_NO_PLACE = PlaceReading(text="", kecamatan=None)


#: Events that do not tell what ran last.
_QUIET_EVENTS = frozenset({"slot", "user_featurization", "active_loop"})


def _interrupts(tracker: Tracker) -> bool:
    """Whether the citizen's new message interrupts the form instead of answering it."""
    loud = [e for e in reversed(tracker.events) if e.get("event") not in _QUIET_EVENTS]
    if loud and loud[0].get("event") == "action" and loud[0].get("name") == "complaint_form":
        loud = loud[1:]  # the form's own run, logged before it calls its validation
    if not loud or loud[0].get("event") != "user" or not tracker.active_loop.get("name"):
        return False  # not the form's first try at this message
    if shared_pin(tracker) is not None or metadata(tracker).get("attachments"):
        return False
    if entity_value(tracker, "privacy") or entity_value(tracker, "report_type"):
        return False
    if duplicates.answers_offer(tracker):
        return False
    return latest_intent(tracker) in INTERRUPTING_INTENTS


def _bare_yes_no(text: str) -> bool:
    """Whether an answer is only "yes" or "no" ("muhun", "iya pak"): no place, no date."""
    return len(text.split()) <= 3 and read_yes_no(text) is not None


def _earlier_user_texts(tracker: Tracker) -> list[str]:
    """The citizen's earlier messages of this report (oldest first), the latest left out."""
    texts = [
        str(event.get("text") or "")
        for event in tracker.events
        if event.get("event") == "user" and not str(event.get("text") or "").startswith("/")
    ]
    description = tracker.get_slot("complaint_description")
    return [t for t in [description or "", *texts[:-1]] if t]
