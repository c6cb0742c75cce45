"""After a status update: "is it really fixed?", the 1-5 rating, and turning updates off/on."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendUnavailable, ComplaintRejected, ReportNotFound
from actions.conversation import entity_value
from actions.services import get_services

logger = logging.getLogger(__name__)

#: The backend's answer when a reopen comes after the 10 working days.
TOO_LATE = 409
NOT_YOURS = 403


def parse_rating(value: Any) -> int | None:
    """A 1-5 rating from an entity value ("5", "4 bintang", 3), or None."""
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    if len(digits) != 1:
        return None
    rating = int(digits)
    return rating if 1 <= rating <= 5 else None


def _tracking_id(tracker: Tracker) -> str | None:
    value = entity_value(tracker, "tracking_id") or tracker.get_slot("tracking_id")
    return str(value) if value else None


class _FeedbackAction(Action, ABC):
    """Sends the reporter's feedback on the report in context (abstract: not registered)."""

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    async def _send(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        *,
        fixed: bool | None = None,
        rating: int | None = None,
    ) -> dict[str, Any] | None:
        tracking_id = _tracking_id(tracker)
        if tracking_id is None:
            dispatcher.utter_message(response="utter_ask_tracking_id")
            return None
        try:
            return await get_services().backend.send_feedback(
                tracking_id, tracker.sender_id, fixed=fixed, rating=rating
            )
        except ReportNotFound:
            dispatcher.utter_message(response="utter_status_not_found", tracking_id=tracking_id)
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_down")
        except ComplaintRejected as exc:
            if exc.status_code == NOT_YOURS:
                dispatcher.utter_message(response="utter_feedback_not_yours")
            elif exc.status_code == TOO_LATE:
                dispatcher.utter_message(response="utter_reopen_too_late", tracking_id=tracking_id)
            else:
                logger.warning("feedback on %s refused: %s", tracking_id, exc)
                dispatcher.utter_message(response="utter_backend_down")
        return None


class ActionConfirmResolved(_FeedbackAction):
    """ "Sudah beres": the reporter confirms; ask for a 1-5 rating."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_confirm_resolved"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Record the confirmation, then offer the rating buttons."""
        report = await self._send(dispatcher, tracker, fixed=True)
        if report is not None:
            dispatcher.utter_message(response="utter_ask_rating", tracking_id=report["tracking_id"])
        return []


class ActionReopenReport(_FeedbackAction):
    """ "Belum beres": the report goes back to the agency (within 10 working days)."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_reopen_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Reopen and say so."""
        report = await self._send(dispatcher, tracker, fixed=False)
        if report is not None:
            dispatcher.utter_message(response="utter_reopened", tracking_id=report["tracking_id"])
        return []


class ActionRateService(_FeedbackAction):
    """A 1-5 satisfaction rating, stored on the report."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_rate_service"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Store the rating and thank the citizen."""
        rating = parse_rating(entity_value(tracker, "rating"))
        if rating is None:
            dispatcher.utter_message(
                response="utter_ask_rating", tracking_id=_tracking_id(tracker) or ""
            )
            return []
        if await self._send(dispatcher, tracker, rating=rating) is not None:
            dispatcher.utter_message(response="utter_feedback_thanks")
        return []


class _NotificationSwitch(Action, ABC):
    """Turns status updates for this conversation off or on (abstract: not registered)."""

    enabled: bool
    reply: str

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Store the preference and confirm."""
        try:
            await get_services().backend.set_notifications(tracker.sender_id, self.enabled)
        except (BackendUnavailable, ComplaintRejected, ReportNotFound):
            dispatcher.utter_message(response="utter_backend_down")
            return []
        dispatcher.utter_message(response=self.reply)
        return []


class ActionStopNotifications(_NotificationSwitch):
    """ "Berhenti notifikasi"."""

    enabled = False
    reply = "utter_notifications_stopped"

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_stop_notifications"


class ActionResumeNotifications(_NotificationSwitch):
    """ "Lanjut notifikasi"."""

    enabled = True
    reply = "utter_notifications_resumed"

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_resume_notifications"
