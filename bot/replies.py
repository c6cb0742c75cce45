"""The gateway's own replies, read from the `utter_gateway_*` responses in `domain.yml`.

Every text the assistant says lives in `domain.yml`, including what the gateway says
on its own (Rasa is down, a sticker it cannot read, a file too large). The gateway
picks the English variation for citizens whose app is set to English.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.rasa import Button

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"
PREFIX = "utter_gateway_"


@dataclass(frozen=True)
class Reply:
    """One response in Indonesian and English, with its buttons."""

    indonesian: str
    english: str
    buttons_id: tuple[Button, ...] = ()
    buttons_en: tuple[Button, ...] = ()

    def in_language(self, language: str) -> str:
        """The text for `language` ("en" or anything else for Indonesian)."""
        return self.english if language == "en" else self.indonesian

    def buttons_in(self, language: str) -> tuple[Button, ...]:
        """The buttons for `language`."""
        return self.buttons_en if language == "en" else self.buttons_id


def _is_english(variation: dict[str, Any]) -> bool:
    return any(
        c.get("name") == "language" and c.get("value") == "en"
        for c in variation.get("condition") or []
    )


def _buttons(variation: dict[str, Any] | None) -> tuple[Button, ...]:
    return tuple(
        Button(title=str(b["title"]), payload=str(b["payload"]))
        for b in (variation or {}).get("buttons") or []
    )


def _reply(name: str, variations: list[dict[str, Any]]) -> Reply:
    indonesian = next((v for v in variations if not _is_english(v)), None)
    english = next((v for v in variations if _is_english(v)), indonesian)
    if indonesian is None or english is None or "text" not in indonesian:
        raise ValueError(f"{name} in domain.yml needs an Indonesian text")
    return Reply(
        indonesian=str(indonesian["text"]),
        english=str(english.get("text", indonesian["text"])),
        buttons_id=_buttons(indonesian),
        buttons_en=_buttons(english),
    )


class ReplyCatalogue:
    """The gateway's replies by name."""

    def __init__(self, replies: dict[str, Reply]) -> None:
        self._replies = replies

    @classmethod
    def from_domain(cls, path: Path = DOMAIN_FILE) -> ReplyCatalogue:
        """Load every `utter_gateway_*` response of the domain file."""
        domain = yaml.safe_load(path.read_text(encoding="utf-8"))
        responses: dict[str, list[dict[str, Any]]] = domain.get("responses") or {}
        return cls(
            {name: _reply(name, v) for name, v in responses.items() if name.startswith(PREFIX)}
        )

    def text(self, name: str, language: str = "id", **values: object) -> str:
        """The text of `name` in `language`, with `{placeholders}` filled from `values`."""
        text = self._replies[name].in_language(language)
        return text.format(**values) if values else text

    def buttons(self, name: str, language: str = "id", **values: object) -> tuple[Button, ...]:
        """The buttons of `name` in `language`, payloads filled from `values`."""
        return tuple(
            Button(title=b.title.format(**values), payload=b.payload.format(**values))
            for b in self._replies[name].buttons_in(language)
        )

    def has(self, name: str) -> bool:
        """Whether the catalogue holds `name`."""
        return name in self._replies

    def names(self) -> set[str]:
        """Every reply name in the catalogue."""
        return set(self._replies)
