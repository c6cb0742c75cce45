"""The message a citizen gets about an event: the `utter_gateway_*` responses filled in."""

from __future__ import annotations

from bot.delivery import QUESTION_TEMPLATE, Notification
from bot.notifier.events import (
    MERGED,
    OFFICER_MESSAGE,
    QUESTION,
    RECEIPT,
    RELEASED,
    TAKEOVER,
    ReportEvent,
)
from bot.replies import ReplyCatalogue
from lapor_common.labels import STATUS_LABELS, label

#: What happens next, by the new status.
NEXT_STEPS = {
    "verified": "utter_gateway_next_verified",
    "in_progress": "utter_gateway_next_in_progress",
    "resolved": "utter_gateway_next_resolved",
    "closed": "utter_gateway_next_closed",
    "rejected": "utter_gateway_next_rejected",
    "archived": "utter_gateway_next_archived",
}


def compose(event: ReportEvent, language: str, replies: ReplyCatalogue) -> Notification:
    """The notification of `event` in `language` ("id" or "en").

    A status change gives the tracking ID, the status in words, the officer's note and
    what happens next (for `resolved`, the question whether it is really fixed, with
    buttons); a receipt gives the tracking ID of a report that was kept while the
    backend was down. WhatsApp's template gets the same three facts as parameters.
    """
    if event.type in (QUESTION, TAKEOVER, OFFICER_MESSAGE, RELEASED):
        return compose_conversation(event, language, replies)
    status_label = label(STATUS_LABELS, event.status, language)
    if event.type == MERGED:
        original = event.original_tracking_id or event.tracking_id
        text = replies.text(
            "utter_gateway_merged",
            language,
            tracking_id=event.tracking_id,
            original_tracking_id=original,
        )
        return Notification(
            chat_id=event.chat_id,
            text=text,
            template_params=(original, status_label, event.tracking_id),
            language=language,
        )
    if event.type == RECEIPT:
        text = replies.text("utter_gateway_receipt", language, tracking_id=event.tracking_id)
        return Notification(
            chat_id=event.chat_id,
            text=text,
            template_params=(event.tracking_id, status_label, "-"),
            language=language,
        )
    next_name = NEXT_STEPS.get(event.status, "utter_gateway_next_other")
    note_line = (
        replies.text("utter_gateway_note_line", language, note=event.note) if event.note else ""
    )
    text = replies.text(
        "utter_gateway_status_update",
        language,
        tracking_id=event.tracking_id,
        status_label=status_label,
        note_line=note_line,
        next_step=replies.text(next_name, language, tracking_id=event.tracking_id),
    )
    return Notification(
        chat_id=event.chat_id,
        text=text,
        template_params=(event.tracking_id, status_label, event.note or "-"),
        buttons=replies.buttons(next_name, language, tracking_id=event.tracking_id),
        language=language,
    )


def compose_conversation(
    event: ReportEvent, language: str, replies: ReplyCatalogue
) -> Notification:
    """An officer's question, or a takeover's start, message or end, in `language`.

    A question names the report and says to just reply here (and how to send a photo);
    on WhatsApp outside the window it goes as the question template (tracking ID and
    question as parameters), which invites a reply. A takeover's messages are free text
    only: the citizen has just written, so the window is open (else they fail, named).
    """
    if event.type == QUESTION:
        question = event.text or ""
        return Notification(
            chat_id=event.chat_id,
            text=replies.text(
                "utter_gateway_question",
                language,
                tracking_id=event.tracking_id,
                question=question,
            ),
            template_params=(event.tracking_id, question or "-"),
            language=language,
            template=QUESTION_TEMPLATE,
        )
    if event.type == TAKEOVER:
        text = (
            replies.text("utter_gateway_takeover_named", language, agent_name=event.agent_name)
            if event.agent_name
            else replies.text("utter_gateway_takeover", language)
        )
    elif event.type == RELEASED:
        name = "utter_gateway_released_idle" if event.reason == "idle" else "utter_gateway_released"
        text = replies.text(name, language)
    else:
        text = event.text or ""
    return Notification(chat_id=event.chat_id, text=text, language=language, template="")
