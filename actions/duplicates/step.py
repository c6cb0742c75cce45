"""The complaint form's duplicate step: offer nearby open reports, then follow or file.

After the category and the place are known (before the date, privacy and summary),
`offer` asks the backend for open reports of the category near the pin, or in the
matched desa. A slow or failing backend skips the step silently: the citizen is never
blocked. `take_choice` makes the citizen a follower of the report they pick, or goes
on to file their own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import BackendError, FollowRefused
from actions.conversation import entity_value, language_of, latest_intent, latest_text, metadata
from actions.duplicates.choice import NEW, read_choice
from actions.duplicates.entries import candidates_from, entry_text, offer_buttons
from actions.services import get_services

logger = logging.getLogger(__name__)

#: The form's slot for the answer: NEW, or (briefly) the tracking ID followed.
CHOICE_SLOT = "duplicate_choice"
#: What was offered: [{"tracking_id", "entry"}] in the offered order.
CANDIDATES_SLOT = "duplicate_candidates"
#: The whole check (connect, query, answer) must fit in this many seconds.
CHECK_TIMEOUT_SECONDS = 2.0
DESCRIPTION_CHARS = 500
#: Answers that pick nothing: "yes" to several reports, or no choice at all.
UNCLEAR = "__unclear__"
NOT_AN_ANSWER = "__invalid__"
#: Intents that still interrupt the question even when their words read as a choice
#: ("gak jadi" cancels, it does not mean "a new report").
_ALWAYS_INTERRUPTING = frozenset({"cancel", "emergency", "help", "change_field"})
__all__ = ["CANDIDATES_SLOT", "CHOICE_SLOT", "NEW", "NOT_AN_ANSWER", "UNCLEAR"]


def nearby_query(slots: dict[str, Any]) -> dict[str, str | int | float] | None:
    """The nearby search for the draft: by pin, else by desa; None when the place is too
    vague (only a kecamatan) or the category is not known."""
    category = slots.get("complaint_category")
    if not category:
        return None
    params: dict[str, str | int | float] = {"category": str(category), "limit": 3}
    latitude, longitude = slots.get("complaint_latitude"), slots.get("complaint_longitude")
    if latitude is not None and longitude is not None:
        params.update(lat=float(latitude), lon=float(longitude))
    elif slots.get("complaint_desa") and slots.get("complaint_kecamatan"):
        params.update(
            desa=str(slots["complaint_desa"]), kecamatan=str(slots["complaint_kecamatan"])
        )
    else:
        return None
    description = " ".join(str(slots.get("complaint_description") or "").split())
    if description:
        params["text"] = description[:DESCRIPTION_CHARS]
    return params


def location_of(slots: dict[str, Any]) -> dict[str, Any]:
    """The draft's place as the backend takes it (`text`, `kecamatan`, `desa`, pin)."""
    location: dict[str, Any] = {}
    pinned = slots.get("complaint_latitude") is not None
    if slots.get("complaint_location") and not (pinned and _is_pin_text(slots)):
        location["text"] = str(slots["complaint_location"])[:500]  # a pin's is only numbers
    for key, slot in (("kecamatan", "complaint_kecamatan"), ("desa", "complaint_desa")):
        if slots.get(slot):
            location[key] = str(slots[slot])
    if slots.get("complaint_latitude") is not None and slots.get("complaint_longitude") is not None:
        location["latitude"] = float(slots["complaint_latitude"])
        location["longitude"] = float(slots["complaint_longitude"])
    return location


def _is_pin_text(slots: dict[str, Any]) -> bool:
    """Whether the place's text is only the pin's coordinates ("-6.200000, 106.450000")."""
    text = str(slots.get("complaint_location") or "")
    return text == f"{slots['complaint_latitude']:.6f}, {slots['complaint_longitude']:.6f}"


def follow_body(slots: dict[str, Any], sender_id: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The followers request: who follows, and what they add to the report's thread."""
    body: dict[str, Any] = {
        "chat_id": sender_id[:100],
        "language": slots.get("language") if slots.get("language") in ("id", "en") else "id",
        "description": str(slots.get("complaint_description") or ""),
        "attachments": [str(a) for a in slots.get("attachments") or [] if isinstance(a, str)],
        "location": location_of(slots),
    }
    if meta.get("display_name"):
        body["name"] = str(meta["display_name"])[:200]
    return body


def _slots(tracker: Tracker) -> dict[str, Any]:
    return dict(tracker.slots)


async def offer(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """Look for the same problem nearby; offer what is found.

    Returns the slot values: the candidates (the question is then asked), or
    `duplicate_choice` NEW when there is nothing to offer (or the backend did not
    answer in time).
    """
    slots = _slots(tracker)
    params = nearby_query(slots)
    if params is None:
        return {CHOICE_SLOT: NEW, CANDIDATES_SLOT: None}
    services = get_services()
    started = time.perf_counter()
    try:
        items = await asyncio.wait_for(
            services.backend.nearby_complaints(params, CHECK_TIMEOUT_SECONDS),
            CHECK_TIMEOUT_SECONDS,
        )
    except (BackendError, asyncio.TimeoutError) as exc:
        logger.warning("duplicate check skipped: %s", exc.__class__.__name__)
        return {CHOICE_SLOT: NEW, CANDIDATES_SLOT: None}
    finally:
        logger.debug("duplicate check took %.1f ms", (time.perf_counter() - started) * 1000)
    candidates = candidates_from(items)
    if not candidates:
        return {CHOICE_SLOT: NEW, CANDIDATES_SLOT: None}
    language = language_of(tracker)
    now = dt.datetime.now(dt.timezone.utc)
    offered = [
        {"tracking_id": c.tracking_id, "entry": entry_text(c, n, language=language, now=now)}
        for n, c in enumerate(candidates, start=1)
    ]
    ask(dispatcher, tracker, offered, "utter_duplicate_offer")
    return {CHOICE_SLOT: None, CANDIDATES_SLOT: offered}


def offered_ids(tracker: Tracker) -> list[str]:
    """The tracking IDs offered, in order."""
    offered = tracker.get_slot(CANDIDATES_SLOT) or []
    return [str(o["tracking_id"]) for o in offered if isinstance(o, dict) and o.get("tracking_id")]


def ask(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    offered: list[dict[str, Any]],
    response: str,
) -> None:
    """Utter `response` with the entries and their buttons."""
    ids = [str(o["tracking_id"]) for o in offered]
    dispatcher.utter_message(
        response=response,
        entries="\n".join(str(o["entry"]) for o in offered),
        buttons=offer_buttons(ids, language_of(tracker), short_buttons(tracker)),
    )


async def follow(dispatcher: CollectingDispatcher, tracker: Tracker, tracking_id: str) -> bool:
    """Make the citizen a follower of `tracking_id` and tell them.

    Returns whether the draft is done with (followed, or it is their own report);
    False when the follow failed or was refused (merged, no longer open) and their
    report is to be filed normally (said so).
    """
    body = follow_body(_slots(tracker), tracker.sender_id, metadata(tracker))
    backend = get_services().backend
    try:
        await backend.follow_complaint(tracking_id, body)
    except FollowRefused as exc:
        if await _is_reporter(tracker.sender_id, tracking_id):
            dispatcher.utter_message(response="utter_duplicate_own_report", tracking_id=tracking_id)
            return True
        logger.info("following %s refused, filing a new report: %s", tracking_id, exc.message)
        dispatcher.utter_message(response="utter_duplicate_follow_failed", tracking_id=tracking_id)
        return False
    except BackendError as exc:
        logger.warning("following %s failed, filing a new report: %s", tracking_id, exc)
        dispatcher.utter_message(response="utter_duplicate_follow_failed", tracking_id=tracking_id)
        return False
    dispatcher.utter_message(response="utter_duplicate_followed", tracking_id=tracking_id)
    return True


async def _is_reporter(chat_id: str, tracking_id: str) -> bool:
    """Whether `chat_id` filed the report (a refused follow: their own, or not open)."""
    try:
        report = await get_services().backend.get_complaint(tracking_id)
    except BackendError:
        return False
    reporter = report.get("reporter") or {}
    return isinstance(reporter, dict) and reporter.get("chat_id") == chat_id[:100]


async def follow_tapped_later(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """An offer's "Ya, masalah yang sama" tapped again after the form ended: follow it
    (again: the backend changes nothing for a follower) and say so. False when the
    message is no such tap, or the report cannot be followed any more."""
    text = latest_text(tracker)
    tracking_id = entity_value(tracker, "tracking_id")
    if not (tracking_id and text.startswith("/inform{") and "tracking_id" in text):
        return False
    tracking_id = str(tracking_id)
    language = tracker.get_slot("language")
    body = follow_body({"language": language}, tracker.sender_id, metadata(tracker))
    try:
        await get_services().backend.follow_complaint(tracking_id, body)
    except FollowRefused:
        if not await _is_reporter(tracker.sender_id, tracking_id):
            return False
        dispatcher.utter_message(response="utter_duplicate_own_report", tracking_id=tracking_id)
        return True
    except BackendError:
        return False
    dispatcher.utter_message(response="utter_duplicate_followed", tracking_id=tracking_id)
    return True


def read_answer(tracker: Tracker) -> str:
    """The latest message as the answer: a tracking ID offered, NEW, UNCLEAR or
    NOT_AN_ANSWER."""
    entity = entity_value(tracker, "tracking_id")
    choice = read_choice(
        latest_text(tracker), offered_ids(tracker), str(entity) if entity else None
    )
    if choice.unclear:
        return UNCLEAR
    return choice.value or NOT_AN_ANSWER


def answers_offer(tracker: Tracker) -> bool:
    """Whether the latest message answers the offer (so it does not interrupt the form,
    whatever the NLU made of "beda" or "yg pertama")."""
    if tracker.get_slot("requested_slot") != CHOICE_SLOT or not offered_ids(tracker):
        return False
    if latest_intent(tracker) in _ALWAYS_INTERRUPTING:
        return False
    return read_answer(tracker) != NOT_AN_ANSWER


def buttons_for(tracker: Tracker) -> list[dict[str, str]]:
    """The offer's buttons again."""
    return offer_buttons(offered_ids(tracker), language_of(tracker), short_buttons(tracker))


def short_buttons(tracker: Tracker) -> bool:
    """Whether the chat's buttons must be short (WhatsApp: 20 characters)."""
    return (
        tracker.sender_id.startswith("whatsapp:") or metadata(tracker).get("channel") == "whatsapp"
    )
