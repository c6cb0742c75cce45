"""`action_ask_complaint_category`: suggest categories from the description."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import is_english
from actions.forms.base import QUESTION_SENT
from actions.routing.dataset import CategoryInfo
from actions.services import get_services

SUGGESTION_COUNT = 3


def category_button(info: CategoryInfo, english: bool) -> dict[str, str]:
    """A button that picks `info`."""
    return {
        "title": info.label("en" if english else "id"),
        "payload": f'/inform{{"complaint_category":"{info.code}"}}',
    }


#: The button that declines the suggestions and shows every category.
OTHER_CHOICE = {"id": "Pilih kategori lain", "en": "Another category"}


class ActionAskComplaintCategory(Action):
    """Asks for the category: the classifier's best guesses first, the full list on "no"."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_ask_complaint_category"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Show suggestions (or every category after the citizen declined them)."""
        if tracker.get_slot(QUESTION_SENT):
            return [SlotSet(QUESTION_SENT, False)]
        services = get_services()
        categories = services.categories
        english = is_english(tracker)
        suggestions = tracker.get_slot("category_suggestions")
        description = tracker.get_slot("complaint_description") or ""
        if suggestions == [] or not description:
            every = [category_button(info, english) for info in categories.values()]
            dispatcher.utter_message(response="utter_ask_category_list", buttons=every)
            return []
        ranked = services.classifier.rank_many([description])[0][:SUGGESTION_COUNT]
        codes = [code for code, _ in ranked if code in categories]
        best = categories[codes[0]]
        buttons: list[dict[str, Any]] = [category_button(categories[c], english) for c in codes]
        # Not "Lainnya": that is also the name of the catch-all category, which can be
        # one of the suggestions. Both titles fit WhatsApp's 20-character limit.
        buttons.append({"title": OTHER_CHOICE["en" if english else "id"], "payload": "/deny"})
        dispatcher.utter_message(
            response="utter_suggest_category",
            suggested_label=best.label("en" if english else "id"),
            buttons=buttons,
        )
        return [SlotSet("category_suggestions", codes)]
