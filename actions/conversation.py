"""Reading a conversation: the latest message, channel metadata, language."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.validators.answers import read_yes_no

#: Intents that interrupt a form instead of answering its question.
INTERRUPTING_INTENTS = frozenset(
    {
        "cancel",
        "help",
        "ask_duration",
        "ask_process",
        "ask_cost",
        "ask_privacy",
        "ask_why_location",
        "ask_why_data",
        "ask_about_lapor",
        "emergency",
        "change_field",
        "resume_report",
        "check_status",
        "my_reports",
        "bot_challenge",
        "out_of_scope",
        "greet",
        "goodbye",
        "thank",
    }
)


def latest_intent(tracker: Tracker) -> str | None:
    """The name of the latest user message's intent."""
    intent = tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    return str(name) if name else None


def latest_text(tracker: Tracker) -> str:
    """The latest user message's text, stripped."""
    return str(tracker.latest_message.get("text") or "").strip()


def metadata(tracker: Tracker) -> dict[str, Any]:
    """Channel metadata of the latest user message (channel, chat id, name, media, pin)."""
    data = tracker.latest_message.get("metadata") or {}
    return data if isinstance(data, dict) else {}


def entity_value(tracker: Tracker, entity: str) -> Any:
    """The value of the first `entity` in the latest message, or None."""
    return next(tracker.get_latest_entity_values(entity), None)


def answer_text(tracker: Tracker, slot: str) -> str | None:
    """The citizen's free-text answer to the form question for `slot`, if it is one.

    Button payloads and interruptions (questions, cancel, help) are not answers.
    """
    if tracker.get_slot("requested_slot") != slot:
        return None
    if latest_intent(tracker) in INTERRUPTING_INTENTS:
        return None
    text = latest_text(tracker)
    if not text or text.startswith("/"):
        return None
    return text


def language_of(tracker: Tracker) -> str:
    """`en` or `id`: the language the conversation's replies use."""
    return "en" if is_english(tracker) else "id"


def is_english(tracker: Tracker) -> bool:
    """Whether the conversation is in English."""
    return bool(tracker.get_slot("language") == "en")


def is_payload(text: str) -> bool:
    """Whether `text` is a button payload ("/affirm") rather than typed words."""
    return text.startswith("/")


def yes_or_no(tracker: Tracker) -> bool | None:
    """The latest message as the answer to a yes/no question, or None when it is neither.

    Typed words are read first (regional words included: "leres", "muhun", "mboten");
    a button or a message the NLU read as affirm/deny counts too.
    """
    text = latest_text(tracker)
    said = read_yes_no(text) if text and not is_payload(text) else None
    if said is not None:
        return said
    return {"affirm": True, "deny": False}.get(latest_intent(tracker) or "")
