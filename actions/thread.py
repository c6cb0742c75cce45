"""Answering an officer's question, and adding information to one's report (issue 17).

When the notifier has delivered an officer's question, it triggers
`EXTERNAL_reporter_question` (with the tracking ID) in the citizen's conversation;
`action_expect_answer` notes which report asks and opens `thread_form`, silently (the
question itself was the message). While that form is active every message the
citizen sends (text, photos, documents, location pins) is added to the report's
thread by `validate_thread_form` through `POST /api/v1/complaints/{id}/thread`, and the
citizen is told it was passed on and how to add more or stop ("selesai"). With several
open questions the first message waits until the citizen picks the report (buttons).

"tambah info laporan TNG-…", "kirim foto tambahan" (`add_info`) open the same form for
one of the citizen's open reports (`kind: info`): the ID given, the only open one, or
buttons. A closed report (409) or another's (403) is said so, with a way forward.
The complaint form's slots are never touched.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import (
    BackendUnavailable,
    ComplaintRejected,
    ReportNotFound,
)
from actions.conversation import entity_value, is_payload, latest_intent, latest_text, metadata
from actions.services import get_services
from lapor_common.tracking_ids import normalise_tracking_id

logger = logging.getLogger(__name__)

FORM = "thread_form"
#: The intent the notifier triggers when it has delivered an officer's question.
QUESTION_TRIGGER = "EXTERNAL_reporter_question"
#: Report states that take no more messages.
FINISHED = frozenset({"resolved", "closed", "rejected", "archived"})
#: Messages that end the answer ("selesai", "udah itu aja", "makasih").
DONE_INTENTS = frozenset({"thread_done", "cancel", "goodbye", "thank"})
#: Questions answered in passing, the form staying open: intent -> response.
QUESTIONS = {
    "ask_duration": "utter_faq_duration",
    "ask_process": "utter_faq_process",
    "ask_cost": "utter_faq_cost",
    "ask_privacy": "utter_faq_privacy",
    "ask_why_data": "utter_faq_why_data",
    "ask_about_lapor": "utter_faq_about_lapor",
    "help": "utter_thread_help",
    "bot_challenge": "utter_iamabot",
    "emergency": "utter_emergency",
}
#: How sure the NLU must be before a message is read as a question, not an answer.
QUESTION_CONFIDENCE = 0.8
#: Every slot of the thread, reset when it ends.
THREAD_SLOTS = (
    "thread_report",
    "thread_kind",
    "thread_message",
    "thread_pending",
    "thread_choices",
    "thread_sent",
)
SUMMARY_CHARS = 40
#: "udah", "sudah", "udh", "dah": something already done.
PAST = re.compile(r"\b(udah|sudah|sdh|udh|dah|already)\b")
#: A tracking ID typed somewhere in a message ("yg TNG-2026-000123", "tng2026123").
TYPED_ID = re.compile(r"\b[A-Za-z]{2,6}[\s\-_./]?2\d{3}[\s\-_./]?\d{1,9}\b")


def _confidence(tracker: Tracker) -> float:
    intent = tracker.latest_message.get("intent") or {}
    try:
        return float(intent.get("confidence") or 0.0)
    except (TypeError, ValueError):
        return 0.0


def summary_of(report: dict[str, Any]) -> str:
    """A short "what, where" of a report for a button (never who filed it)."""
    what = str(report.get("category_label") or report.get("category") or "").strip()
    location = report.get("location") or {}
    where = ""
    if isinstance(location, dict):
        where = str(location.get("desa") or location.get("kecamatan") or "").strip()
    text = ", ".join(part for part in (what, where) if part)
    if not text:
        text = str(report.get("description") or "").strip()
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rstrip() + "…"


def choice_of(report: dict[str, Any]) -> dict[str, str]:
    """The slot's record of a report to pick: tracking ID and summary."""
    return {"tracking_id": str(report["tracking_id"]), "summary": summary_of(report)}


def buttons_for(choices: list[dict[str, str]]) -> list[dict[str, str]]:
    """One button per report: "TNG-… (Jalan rusak, Kutabumi)"."""
    buttons = []
    for choice in choices:
        tracking_id = choice["tracking_id"]
        title = f"{tracking_id} ({choice['summary']})" if choice.get("summary") else tracking_id
        payload = f'/choose_thread_report{{"tracking_id": "{tracking_id}"}}'
        buttons.append({"title": title, "payload": payload})
    return buttons


def message_content(tracker: Tracker) -> tuple[str, list[str]]:
    """The latest message as a thread entry: its text (a pin as coordinates) and files."""
    data = metadata(tracker)
    attachments = [str(a) for a in data.get("attachments") or []]
    pin = data.get("location")
    if isinstance(pin, dict) and "latitude" in pin and "longitude" in pin:
        place = " ".join(str(pin[k]) for k in ("title", "address") if pin.get(k))
        text = f"Lokasi: {pin['latitude']}, {pin['longitude']}" + (f" ({place})" if place else "")
        return text, attachments
    text = latest_text(tracker)
    if is_payload(text):
        text = ""
    return text, attachments


def tracking_id_in(tracker: Tracker) -> str | None:
    """A tracking ID in the latest message (the entity, or typed anywhere in the text)."""
    value = entity_value(tracker, "tracking_id")
    if value and normalise_tracking_id(str(value)):
        return normalise_tracking_id(str(value))
    for found in TYPED_ID.finditer(latest_text(tracker)):
        tracking_id = normalise_tracking_id(found.group(0))
        if tracking_id:
            return tracking_id
    return None


async def _open_reports(chat_id: str) -> list[dict[str, Any]]:
    """The chat's reports still taking messages, newest first."""
    reports = await get_services().backend.list_reports_of_chat(chat_id, 10)
    return [r for r in reports if r.get("status") not in FINISHED]


async def _waiting_reports(chat_id: str) -> list[dict[str, Any]]:
    return await get_services().backend.reports_waiting_for_answer(chat_id)


#: The actions that open the form (after the message that asked for it).
OPENERS = frozenset({"action_expect_answer", "action_add_info", "action_choose_thread_report"})


def opened_this_turn(tracker: Tracker) -> bool:
    """Whether the form was opened after the latest user message (Rasa validates that
    message when the form starts: it is the trigger or "tambah info", not an answer)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") in OPENERS:
            return True
    return False


def reset() -> list[EventType]:
    """Forget the thread (the complaint form's slots stay as they are)."""
    return [SlotSet(slot, None) for slot in THREAD_SLOTS]


class ActionExpectAnswer(Action):
    """`EXTERNAL_reporter_question`: the next messages answer that report's question.

    Says nothing (the notifier delivered the question). During a complaint the form
    goes on; the question waits ("tambah info laporan …" answers it later).
    """

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_expect_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Note the open question(s) and open the answer form."""
        active = tracker.active_loop.get("name")
        if active and active != FORM:  # in the middle of a report: do not interrupt it
            return []
        events = await open_questions(tracker)
        if active != FORM:
            events.append(SlotSet("thread_sent", 0))
        return [*events, FollowupAction(FORM)]


async def open_questions(tracker: Tracker) -> list[EventType]:
    """The report(s) whose questions the next messages answer: the one asked about now
    (the trigger's tracking ID), the chat's reports waiting for an answer, and the one the
    open form is on. With one, it is the thread's report; with several, the citizen picks."""
    asked = tracking_id_in(tracker)
    in_form = tracker.active_loop.get("name") == FORM
    choices: list[dict[str, str]] = list(tracker.get_slot("thread_choices") or [])
    try:
        waiting = [choice_of(r) for r in await _waiting_reports(tracker.sender_id)]
    except (BackendUnavailable, ComplaintRejected, ReportNotFound) as exc:
        logger.warning("open questions not read: %s", exc)
        waiting = []
    current = tracker.get_slot("thread_report") if in_form else None
    known = {c["tracking_id"] for c in waiting}
    for tracking_id in (asked, current):
        if tracking_id and tracking_id not in known:
            previous = next((c for c in choices if c["tracking_id"] == tracking_id), None)
            waiting.append(previous or {"tracking_id": tracking_id, "summary": ""})
            known.add(tracking_id)
    report = waiting[0]["tracking_id"] if len(waiting) == 1 else None
    return [
        SlotSet("thread_report", report),
        SlotSet("thread_kind", "answer"),
        SlotSet("thread_choices", waiting),
    ]


class ActionAskThreadMessage(Action):
    """The form's "question": nothing, every reply is said by the validation."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_ask_thread_message"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Say nothing."""
        return []


class ValidateThreadForm(Action):
    """Each message while the form is open: added to the thread, or a choice, a question
    answered in passing, or the end."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "validate_thread_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Handle the latest message; `thread_message` "done" ends the form."""
        if opened_this_turn(tracker):  # the message that opened the form is no answer
            return [SlotSet("thread_message", None)]
        intent = latest_intent(tracker) or ""
        if intent == QUESTION_TRIGGER:  # another question arrived while the form is open
            return [*await open_questions(tracker), SlotSet("thread_message", None)]
        text, attachments = message_content(tracker)
        report = tracker.get_slot("thread_report")
        choices: list[dict[str, str]] = list(tracker.get_slot("thread_choices") or [])
        named = tracking_id_in(tracker)
        if named and (intent == "choose_thread_report" or (not attachments and report != named)):
            # A message that says more than the ID ("TNG-… lubangnya makin besar") is kept.
            said = intent != "choose_thread_report" and len(text.split()) > 4
            return await self._chosen(dispatcher, tracker, named, [(text, [])] if said else [])
        if not attachments and intent in DONE_INTENTS and len(text.split()) <= 6:
            return [SlotSet("thread_message", "done")]
        if (
            not attachments
            and intent in QUESTIONS
            and _confidence(tracker) >= QUESTION_CONFIDENCE
            and (intent == "emergency" or "?" in text or intent == "help")
        ):
            dispatcher.utter_message(response=QUESTIONS[intent])
            dispatcher.utter_message(response="utter_thread_still_open")
            return [SlotSet("thread_message", None)]
        if intent == "send_attachment" and not attachments and len(text.split()) <= 6:
            # "udah sy kirim" after the photos: done; "sy kirim fotonya ya": waits for it.
            if int(tracker.get_slot("thread_sent") or 0) and PAST.search(text.lower()):
                return [SlotSet("thread_message", "done")]
            dispatcher.utter_message(response="utter_thread_send_it")
            return [SlotSet("thread_message", None)]
        if not text and not attachments:  # a button of an older message, an empty one
            dispatcher.utter_message(response="utter_thread_still_open")
            return [SlotSet("thread_message", None)]
        if report is None:
            pending = list(tracker.get_slot("thread_pending") or [])
            pending.append({"text": text, "attachments": attachments})
            dispatcher.utter_message(
                response="utter_thread_which_report", buttons=buttons_for(choices)
            )
            return [SlotSet("thread_pending", pending), SlotSet("thread_message", None)]
        return await self._add(dispatcher, tracker, str(report), [(text, attachments)])

    async def _chosen(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        tracking_id: str,
        more: list[tuple[str, list[str]]],
    ) -> list[EventType]:
        pending = [
            (str(p.get("text") or ""), [str(a) for a in p.get("attachments") or []])
            for p in tracker.get_slot("thread_pending") or []
        ] + more
        events: list[EventType] = [SlotSet("thread_report", tracking_id)]
        if not pending:
            dispatcher.utter_message(response="utter_thread_go_ahead", tracking_id=tracking_id)
            return [*events, SlotSet("thread_message", None)]
        added = await self._add(dispatcher, tracker, tracking_id, pending)
        return [*events, SlotSet("thread_pending", None), *added]

    async def _add(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        tracking_id: str,
        messages: list[tuple[str, list[str]]],
    ) -> list[EventType]:
        kind = tracker.get_slot("thread_kind") or "answer"
        sent = int(tracker.get_slot("thread_sent") or 0)
        backend = get_services().backend
        for text, attachments in messages:
            try:
                await backend.add_to_thread(
                    tracking_id, tracker.sender_id, text, attachments, str(kind)
                )
            except ReportNotFound:
                dispatcher.utter_message(response="utter_status_not_found", tracking_id=tracking_id)
                return [*reset(), SlotSet("thread_message", "closed")]
            except ComplaintRejected as exc:
                if exc.status_code in (403, 409):
                    name = (
                        "utter_thread_not_yours"
                        if exc.status_code == 403
                        else "utter_thread_closed"
                    )
                    dispatcher.utter_message(response=name, tracking_id=tracking_id)
                    return [*reset(), SlotSet("thread_message", "closed")]
                logger.warning("thread entry on %s refused: %s", tracking_id, exc.message)
                dispatcher.utter_message(response="utter_thread_failed")
                return [SlotSet("thread_message", None), SlotSet("thread_sent", sent)]
            except BackendUnavailable as exc:
                logger.warning("thread entry on %s not stored: %s", tracking_id, exc)
                dispatcher.utter_message(response="utter_thread_failed")
                return [SlotSet("thread_message", None), SlotSet("thread_sent", sent)]
            sent += 1
        first = int(tracker.get_slot("thread_sent") or 0) == 0
        dispatcher.utter_message(
            response="utter_thread_passed_on" if first else "utter_thread_passed_on_more",
            tracking_id=tracking_id,
        )
        return [SlotSet("thread_message", None), SlotSet("thread_sent", sent)]


class ActionThreadDone(Action):
    """The form ended: thanks (or a hint how to answer later), and the thread forgotten."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_thread_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Close the thread."""
        if tracker.get_slot("thread_message") == "closed":  # already said why
            return reset()
        report = tracker.get_slot("thread_report")
        if int(tracker.get_slot("thread_sent") or 0) > 0:
            dispatcher.utter_message(response="utter_thread_done", tracking_id=report or "")
        elif report:
            dispatcher.utter_message(response="utter_thread_done_empty", tracking_id=report)
        else:
            dispatcher.utter_message(response="utter_thread_done_empty_any")
        return reset()


class ActionAddInfo(Action):
    """ "tambah info laporan TNG-…": open the form for one of the citizen's open reports."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_add_info"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Pick the report (the ID given, the only open one, or buttons) and open the form."""
        named = tracking_id_in(tracker)
        if named:
            return start_info(dispatcher, named, [])
        try:
            reports = await _open_reports(tracker.sender_id)
        except (BackendUnavailable, ComplaintRejected, ReportNotFound) as exc:
            logger.warning("open reports not read: %s", exc)
            dispatcher.utter_message(response="utter_backend_down")
            return []
        if not reports:
            dispatcher.utter_message(response="utter_thread_no_open_report")
            return []
        choices = [choice_of(r) for r in reports]
        if len(choices) == 1:
            return start_info(dispatcher, choices[0]["tracking_id"], choices)
        dispatcher.utter_message(response="utter_thread_which_report", buttons=buttons_for(choices))
        return [SlotSet("thread_choices", choices)]


class ActionChooseThreadReport(Action):
    """A report picked from the buttons outside the form: open it for information."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_choose_thread_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Open the form for the chosen report."""
        named = tracking_id_in(tracker)
        if not named:
            dispatcher.utter_message(response="utter_ask_tracking_id")
            return []
        return start_info(dispatcher, named, list(tracker.get_slot("thread_choices") or []))


def start_info(
    dispatcher: CollectingDispatcher, tracking_id: str, choices: list[dict[str, str]]
) -> list[EventType]:
    """Invite the information for `tracking_id` and open the form on it."""
    dispatcher.utter_message(response="utter_thread_go_ahead", tracking_id=tracking_id)
    return [
        SlotSet("thread_report", tracking_id),
        SlotSet("thread_kind", "info"),
        SlotSet("thread_choices", choices),
        SlotSet("thread_sent", 0),
        SlotSet("thread_pending", None),
        FollowupAction(FORM),
    ]
