"""The WhatsApp messages that carry one Rasa reply: texts, interactive choices, image.

Text is split under WhatsApp's 4,096-character limit at sentence boundaries; the last
part becomes the body of the buttons or list when the reply offers choices (cut again
to the interactive body limit if needed, nothing is lost).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.rasa import BotReply
from bot.text import split_message
from bot.whatsapp.interactive import (
    MAX_BUTTON_ID,
    MAX_ROW_ID,
    Choice,
    PayloadCodec,
    body_limit,
    interactive_messages,
    unique,
    uses_buttons,
)
from bot.whatsapp.messages import (
    MAX_TEXT_LENGTH,
    Message,
    image_message,
    interactive_message,
    text_message,
)

#: Gateway texts (domain.yml `utter_gateway_*`) the channel uses around lists.
LIST_BUTTON = "utter_gateway_list_button"
MORE_CHOICES = "utter_gateway_more_choices"
#: Used until domain.yml has the responses above (see the channel's notes).
FALLBACK_TEXTS = {
    LIST_BUTTON: "Silakan pilih",
    MORE_CHOICES: "Pilihan lainnya, silakan pilih salah satu:",
}


def gateway_text(lookup: Callable[[str, str], str], name: str, language: str) -> str:
    """A gateway text from the catalogue, or its built-in fallback when missing."""
    try:
        return lookup(name, language)
    except KeyError:
        return FALLBACK_TEXTS[name]


@dataclass(frozen=True)
class ChoiceTexts:
    """The labels around choices: the list's button and the body of later lists."""

    list_button: str
    more_choices: str


def choice_texts(
    lookup: Callable[[str, str], str], languages: tuple[str, ...] = ("id", "en")
) -> dict[str, ChoiceTexts]:
    """The labels around choices in each language."""
    return {
        language: ChoiceTexts(
            list_button=gateway_text(lookup, LIST_BUTTON, language),
            more_choices=gateway_text(lookup, MORE_CHOICES, language),
        )
        for language in languages
    }


class ReplyComposer:
    """Builds the messages for Rasa replies (storing long payloads as it goes)."""

    def __init__(self, codec: PayloadCodec, texts: Mapping[str, ChoiceTexts]) -> None:
        if "id" not in texts:
            raise ValueError("the Indonesian labels are needed")
        self._codec = codec
        self._texts = texts

    async def messages(self, reply: BotReply, language: str = "id") -> list[Message]:
        """The messages for `reply`, in sending order (labels in `language`)."""
        texts = self._texts.get(language, self._texts["id"])
        id_limit = MAX_BUTTON_ID if uses_buttons(len(reply.buttons)) else MAX_ROW_ID
        choices = unique(
            [Choice(await self._codec.encode(b.payload, id_limit), b.title) for b in reply.buttons]
        )
        chunks = split_message(reply.text, MAX_TEXT_LENGTH) if reply.text.strip() else []
        interactive: list[Message] = []
        if choices:
            body = chunks.pop() if chunks else texts.more_choices
            limit = body_limit(len(choices))
            if len(body) > limit:
                parts = split_message(body, limit)
                body = parts.pop()
                chunks.extend(parts)
            interactive = [
                interactive_message(i)
                for i in interactive_messages(body, choices, texts.list_button, texts.more_choices)
            ]
        messages = [text_message(chunk) for chunk in chunks] + interactive
        if reply.image:
            messages.append(image_message(reply.image))
        return messages
