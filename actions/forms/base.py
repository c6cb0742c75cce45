"""Behaviour shared by the assistant's forms: counting invalid answers."""
# The escape after repeated invalid answers keeps the form on its question: the
# citizen may answer again, or tap help, try again or cancel (or type them).

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

#: After this many invalid answers to one question, offer help or cancel instead.
MAX_INVALID_ANSWERS = 3
ATTEMPTS_SLOT = "invalid_attempts"
#: Set when the validation's own message is this turn's question (see `actions.forms.asking`).
QUESTION_SENT = "question_sent"


class CountingFormValidation(FormValidationAction, ABC):
    """A form validation that gives up asking after repeated invalid answers.

    Subclasses call `accept` and `reject` from their `validate_<slot>` methods.
    Being abstract, the action executor does not register this class itself.
    """

    @abstractmethod
    def name(self) -> str:
        """The validation action's name, `validate_<form name>`."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Validate; a validation that stopped the form (`requested_slot` None) keeps it stopped.

        With dynamic required slots, rasa_sdk appends the next slot to ask after the
        validation's events, which would override the stop.
        """
        events: list[EventType] = await super().run(dispatcher, tracker, domain)
        stop = SlotSet(REQUESTED_SLOT, None)
        if stop in events and events[-1] != stop:
            events.append(stop)
        return events

    def accept(self, values: dict[str, Any]) -> dict[str, Any]:
        """Slot values for a valid answer; the invalid-answer count starts over."""
        return {**values, ATTEMPTS_SLOT: 0}

    def reject(
        self,
        slot: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        response: str,
        asks: bool = False,
        buttons: list[dict[str, str]] | None = None,
        **template_values: Any,
    ) -> dict[str, Any]:
        """Slot values for an invalid answer, with the reason told to the citizen.

        `asks`: the response is itself this turn's question (the form's own question
        is then left out). The third invalid answer in a row gets, instead of the
        reason, the escape question: answer again, help, or cancel (buttons or words).
        """
        attempts = int(tracker.get_slot(ATTEMPTS_SLOT) or 0) + 1
        if attempts >= MAX_INVALID_ANSWERS:
            dispatcher.utter_message(response="utter_invalid_escape")
            return {slot: None, ATTEMPTS_SLOT: 0, QUESTION_SENT: True}
        if not response:  # no reason to give: the question is simply asked again
            return {slot: None, ATTEMPTS_SLOT: attempts}
        if buttons:
            dispatcher.utter_message(response=response, buttons=buttons, **template_values)
        else:
            dispatcher.utter_message(response=response, **template_values)
        return {slot: None, ATTEMPTS_SLOT: attempts, QUESTION_SENT: asks}
