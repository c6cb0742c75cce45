"""`action_fallback`: what to say when no rule fits or the NLU is unsure.

Never a dead end: in an emergency the other numbers, at the summary a reminder that
the report is not sent yet, with a report in progress the form's question again, and a
message that reads like a problem (long enough, the NLU's unsure guess, or a short
answer-like "jalan rusak" with no question pending) starts a report; otherwise
"please say it another way".
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import is_payload, latest_intent, latest_text
from actions.duplicates.step import follow_tapped_later
from actions.report import ActionStartReport, has_draft
from actions.safety import recently_alerted
from actions.validators.text import description_problem

#: A message this long that passes the description check reads as a report.
REPORT_MIN_WORDS = 8


class ActionFallback(Action):
    """The assistant's fallback (Rasa's core fallback and the NLU fallback outside forms)."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Answer by what the conversation is doing."""
        if tracker.latest_action_name not in (None, "action_listen"):
            # No rule for what follows a bot action (e.g. after a rule's action changed
            # its own condition): wait for the citizen instead of speaking again.
            return [FollowupAction("action_listen")]
        text = latest_text(tracker)
        if recently_alerted(tracker):
            dispatcher.utter_message(response="utter_emergency_other_numbers")
            return []
        if tracker.get_slot("awaiting_confirmation"):
            dispatcher.utter_message(response="utter_summary_reminder")
            return []
        if not has_draft(tracker) and await follow_tapped_later(dispatcher, tracker):
            return []  # an earlier offer's "Ya, masalah yang sama" tapped again
        if has_draft(tracker) and not tracker.active_loop.get("name"):
            dispatcher.utter_message(response="utter_resume_form")
            return [FollowupAction("complaint_form")]
        if not is_payload(text) and (
            (len(text.split()) >= REPORT_MIN_WORDS and description_problem(text) is None)
            or unsure_intent(tracker) in ("report_problem", "start_report")
            or (latest_intent(tracker) == "inform" and len(text.split()) >= 2)
        ):
            events = await ActionStartReport().run(dispatcher, tracker, domain)
            # The message is the description (the form asks for more when it is short).
            told = [SlotSet("report_type", "complaint"), SlotSet("complaint_description", text)]
            return [*events, *told, FollowupAction("complaint_form")]
        dispatcher.utter_message(response="utter_default")
        return []


def unsure_intent(tracker: Tracker) -> str | None:
    """The intent the NLU would have chosen had it been sure enough (after nlu_fallback)."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    names = [str(item.get("name")) for item in ranking if item.get("name") != "nlu_fallback"]
    return names[0] if names else None
