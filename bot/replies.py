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

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"
PREFIX = "utter_gateway_"


@dataclass(frozen=True)
class Reply:
    """One response in Indonesian and English."""

    indonesian: str
    english: str

    def in_language(self, language: str) -> str:
        """The text for `language` ("en" or anything else for Indonesian)."""
        return self.english if language == "en" else self.indonesian


def _is_english(variation: dict[str, Any]) -> bool:
    return any(
        c.get("name") == "language" and c.get("value") == "en"
        for c in variation.get("condition") or []
    )


def _reply(name: str, variations: list[dict[str, Any]]) -> Reply:
    indonesian = next((v["text"] for v in variations if not _is_english(v)), None)
    english = next((v["text"] for v in variations if _is_english(v)), indonesian)
    if indonesian is None or english is None:
        raise ValueError(f"{name} in domain.yml needs an Indonesian text")
    return Reply(indonesian=str(indonesian), english=str(english))


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

    def text(self, name: str, language: str = "id") -> str:
        """The text of `name` in `language`."""
        return self._replies[name].in_language(language)

    def names(self) -> set[str]:
        """Every reply name in the catalogue."""
        return set(self._replies)
