"""Submitting a finished report to the backend, or keeping it until the backend is back."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendClient, BackendUnavailable, ComplaintRejected
from actions.conversation import metadata
from actions.forms.complaint_form import DRAFT_SLOTS, empty_draft
from actions.metrics import get_metrics
from actions.pending import PendingStore
from actions.services import get_services

logger = logging.getLogger(__name__)

REQUIRED_FOR_SUBMISSION = ("report_type", "complaint_description", "complaint_category", "privacy")


def idempotency_key(sender_id: str, draft_id: str) -> str:
    """A key that is the same for every retry of one report of one conversation."""
    return hashlib.sha256(f"{sender_id}|{draft_id}".encode()).hexdigest()


def channel_of(sender_id: str, meta: dict[str, Any]) -> str:
    """The channel a conversation runs on: from metadata, else the sender ID's prefix."""
    channel = str(meta.get("channel") or "")
    if not channel and ":" in sender_id:
        channel = sender_id.partition(":")[0]
    return channel if channel in ("telegram", "whatsapp", "web") else "api"


def build_complaint_body(
    slots: dict[str, Any], sender_id: str, meta: dict[str, Any]
) -> dict[str, Any]:
    """The backend's create request from the form's slots and the channel's metadata.

    The reporter is always sent (status updates must reach them); the backend hides
    it from agencies when the report is anonymous. The phone number is only kept
    when the citizen did not choose anonymity.
    """
    privacy = slots.get("privacy") or "public"
    reporter: dict[str, Any] = {"chat_id": sender_id[:100]}
    name = meta.get("display_name")
    if name:
        reporter["name"] = str(name)[:200]
    phone = meta.get("phone")
    if phone and privacy != "anonymous":
        reporter["phone"] = str(phone)[:20]
    if slots.get("language") in ("id", "en"):
        reporter["language"] = slots["language"]  # status updates come in it
    location: dict[str, Any] = {}
    if slots.get("complaint_location"):
        location["text"] = str(slots["complaint_location"])[:500]
    if slots.get("complaint_kecamatan"):
        location["kecamatan"] = slots["complaint_kecamatan"]
    if slots.get("complaint_desa"):
        location["desa"] = str(slots["complaint_desa"])[:100]
    if slots.get("complaint_latitude") is not None and slots.get("complaint_longitude") is not None:
        location["latitude"] = float(slots["complaint_latitude"])
        location["longitude"] = float(slots["complaint_longitude"])
    body: dict[str, Any] = {
        "report_type": slots.get("report_type") or "complaint",
        "category": slots["complaint_category"],
        "description": slots["complaint_description"] + date_precision_note(slots),
        "location": location,
        "privacy": privacy,
        "channel": channel_of(sender_id, meta),
        "attachments": list(slots.get("attachments") or []),
        "reporter": reporter,
    }
    if slots.get("incident_date"):
        body["incident_date"] = slots["incident_date"]
    return body


#: What officers read when the incident date is not exact (the backend has no field for it).
_PRECISION_NOTES = {
    "approximate": "\n\n[Tanggal kejadian perkiraan pelapor: sekitar {date}]",
    "month": "\n\n[Tanggal kejadian perkiraan pelapor: sekitar bulan {month}]",
    "unknown": "\n\n[Tanggal kejadian: pelapor tidak ingat]",
}


def date_precision_note(slots: dict[str, Any]) -> str:
    """A line for the description when the date is approximate or unknown, else ""."""
    precision = slots.get("incident_date_precision")
    template = _PRECISION_NOTES.get(str(precision or ""))
    if template is None:
        return ""
    date = str(slots.get("incident_date") or "")
    return template.format(date=date, month=date[:7])


def clear_draft(tracker: Tracker | None = None) -> list[EventType]:
    """Events that forget the report in progress; given the `tracker`, only for the slots
    not empty already (every event is stored, read back and sent to the actions every
    turn after)."""
    return [
        SlotSet(slot, value)
        for slot, value in empty_draft().items()
        if tracker is None or tracker.get_slot(slot) != value
    ]


class ActionSubmitComplaint(Action):
    """Sends the confirmed report; tells the tracking ID, or that it will follow."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_submit_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Submit within the turn's time budget; keep it durably when the backend is down."""
        slots = {slot: tracker.get_slot(slot) for slot in DRAFT_SLOTS}
        if any(not slots.get(slot) for slot in REQUIRED_FOR_SUBMISSION):
            dispatcher.utter_message(response="utter_nothing_to_submit")
            return []
        services = get_services()
        draft_id = slots.get("report_draft_id") or uuid.uuid4().hex
        key = idempotency_key(tracker.sender_id, draft_id)
        body = build_complaint_body(slots, tracker.sender_id, metadata(tracker))
        try:
            report = await services.backend.create_complaint(body, key)
        except BackendUnavailable as exc:
            logger.warning("backend unavailable, report kept for later: %s", exc)
            await asyncio.to_thread(services.pending.add, key, tracker.sender_id, body)
            get_metrics().forms_submitted.labels("kept").inc()
            dispatcher.utter_message(response="utter_submission_queued")
            return clear_draft()
        except ComplaintRejected as exc:
            get_metrics().forms_submitted.labels("rejected").inc()
            dispatcher.utter_message(response="utter_submission_rejected", reason=exc.message)
            return []
        get_metrics().forms_submitted.labels("filed").inc()
        dispatcher.utter_message(response="utter_submitted", tracking_id=report["tracking_id"])
        return clear_draft()


async def submit_pending(store: PendingStore, backend: BackendClient) -> int:
    """Send every kept report to the backend; returns how many went through.

    Each accepted report also gets a receipt request, so the notifier tells the
    citizen the tracking ID they could not be given during the conversation.
    """
    sent = 0
    for item in await asyncio.to_thread(store.due):
        try:
            report = await backend.create_complaint(item.body, item.idempotency_key)
            await backend.request_receipt(report["tracking_id"])
        except BackendUnavailable as exc:
            await asyncio.to_thread(store.mark_failed, item.idempotency_key, str(exc))
            break  # still down: try the rest next round
        except ComplaintRejected as exc:
            logger.error("kept report %s refused: %s", item.idempotency_key[:12], exc.message)
            await asyncio.to_thread(store.mark_abandoned, item.idempotency_key, exc.message)
            continue
        await asyncio.to_thread(store.mark_submitted, item.idempotency_key, report["tracking_id"])
        get_metrics().pending_sent.inc()
        sent += 1
    return sent
