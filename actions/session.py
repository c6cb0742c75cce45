"""`action_session_start`: a new session keeps a half-filled report and says so."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.report import has_draft, shorten

DRAFT_PREVIEW_CHARS = 80


class ActionSessionStart(Action):
    """Starts a session, carrying every slot over from the previous one."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Carry the slots over; tell the citizen when an unfinished report is kept."""
        carried = [
            SlotSet(name, value)
            for name, value in tracker.slots.items()
            if value is not None and name != "requested_slot"
        ]
        events: list[EventType] = [SessionStarted(), *carried]
        if has_draft(tracker):
            description = tracker.get_slot("complaint_description") or "-"
            dispatcher.utter_message(
                response="utter_draft_restored",
                description=shorten(description, DRAFT_PREVIEW_CHARS),
            )
        events.append(ActionExecuted("action_listen"))
        return events
