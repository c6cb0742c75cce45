"""`action_emergency`: "call 112" when someone is in danger now, other numbers after.

The NLU's `emergency` intent is checked against the words themselves
(`actions.validators.emergency`): a collapse with nobody in danger starts an ordinary
report instead; a second message after the alert ("112 gk nyambung") gets the other
emergency numbers, and the conversation stays open for a report.
"""

from __future__ import annotations

import time

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import latest_text
from actions.report import ActionStartReport
from actions.validators.emergency import asks_other_numbers, in_danger_now, nobody_in_danger

ALERTED_SLOT = "emergency_alerted_at"
#: How long after the 112 alert a message is read as part of the same emergency.
FOLLOW_UP_SECONDS = 30 * 60


def recently_alerted(tracker: Tracker, now: float | None = None) -> bool:
    """Whether the 112 alert went out in this conversation within `FOLLOW_UP_SECONDS`."""
    alerted = tracker.get_slot(ALERTED_SLOT)
    if not isinstance(alerted, (int, float)):
        return False
    return (now if now is not None else time.time()) - float(alerted) < FOLLOW_UP_SECONDS


class ActionEmergency(Action):
    """Answers a message the NLU read as an emergency."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """112 first; other numbers on a follow-up; a report when nobody is in danger."""
        text = latest_text(tracker)
        stamp = SlotSet(ALERTED_SLOT, time.time())
        if recently_alerted(tracker) and (asks_other_numbers(text) or not in_danger_now(text)):
            dispatcher.utter_message(response="utter_emergency_other_numbers")
            return [stamp]
        if asks_other_numbers(text):
            dispatcher.utter_message(response="utter_emergency_other_numbers")
            return [stamp]
        if nobody_in_danger(text) or (not in_danger_now(text) and len(text.split()) >= 6):
            return await self._ordinary_report(dispatcher, tracker, domain, text)
        dispatcher.utter_message(response="utter_emergency")
        return [stamp]

    @staticmethod
    async def _ordinary_report(
        dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, text: str
    ) -> list[EventType]:
        """Nobody in danger: the message is a report (its answer, in a report in progress)."""
        if tracker.active_loop.get("name") == "complaint_form":
            return [SlotSet("pending_answer", text)]
        events = await ActionStartReport().run(dispatcher, tracker, domain)
        return [*events, FollowupAction("complaint_form")]
