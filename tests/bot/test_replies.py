"""The gateway's own replies, read from `domain.yml`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.replies import DOMAIN_FILE, Reply, ReplyCatalogue

BOT_DIR = Path(__file__).resolve().parents[2] / "bot"
MAX_REPLY_CHARS = 300


def names_used_in_bot_source() -> set[str]:
    """Every `"utter_gateway_..."` string literal in bot/ (the prefix constant aside)."""
    names: set[str] = set()
    for path in BOT_DIR.rglob("*.py"):
        names.update(re.findall(r"[\"'](utter_gateway_[a-z0-9_]+)[\"']", path.read_text()))
    return names


@pytest.fixture(scope="module")
def catalogue() -> ReplyCatalogue:
    return ReplyCatalogue.from_domain()


def test_the_source_uses_gateway_replies() -> None:
    used = names_used_in_bot_source()
    # A sanity check on the scan itself: the replies the relay and handlers need.
    assert {"utter_gateway_unavailable", "utter_gateway_unsupported"} <= used
    assert len(used) >= 7


def test_every_reply_the_source_uses_is_in_the_domain(catalogue: ReplyCatalogue) -> None:
    missing = names_used_in_bot_source() - catalogue.names()
    assert not missing, f"not in domain.yml: {sorted(missing)}"


def test_catalogue_holds_only_gateway_replies(catalogue: ReplyCatalogue) -> None:
    assert catalogue.names()
    assert all(name.startswith("utter_gateway_") for name in catalogue.names())


@pytest.mark.parametrize("name", sorted(names_used_in_bot_source()))
def test_reply_has_both_languages(catalogue: ReplyCatalogue, name: str) -> None:
    indonesian = catalogue.text(name, "id")
    english = catalogue.text(name, "en")
    assert indonesian.strip() and english.strip()
    assert indonesian != english, "the English variation is missing (it fell back)"


def test_domain_has_an_explicit_english_variation_for_each_reply() -> None:
    domain = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))
    for name, variations in domain["responses"].items():
        if not name.startswith("utter_gateway_"):
            continue
        conditions = [v.get("condition") for v in variations]
        assert any(
            c and any(x.get("name") == "language" and x.get("value") == "en" for x in c)
            for c in conditions
        ), name
        assert any(not c for c in conditions), name


_POLITE = re.compile(r"\b(Bapak/Ibu|Mohon|Silakan|Terima kasih|Maaf)\b", re.IGNORECASE)
_ENGLISH_WORDS = re.compile(r"\b(please|sorry|the|your|you)\b", re.IGNORECASE)


#: Pieces of a message, not messages: the message they go into is checked whole.
FRAGMENTS = {"utter_gateway_note_line"}


@pytest.mark.parametrize("name", sorted(names_used_in_bot_source() - FRAGMENTS))
def test_indonesian_text_is_polite(catalogue: ReplyCatalogue, name: str) -> None:
    text = catalogue.text(name, "id")
    assert _POLITE.search(text), f"{name}: {text!r} neither addresses Bapak/Ibu nor is polite"
    assert not _ENGLISH_WORDS.search(text), f"{name}: English in the Indonesian text {text!r}"
    assert not re.search(r"\b(kamu|lu|lo|elo|anda)\b", text, re.IGNORECASE), text


@pytest.mark.parametrize("name", sorted(names_used_in_bot_source()))
def test_texts_are_short(catalogue: ReplyCatalogue, name: str) -> None:
    for language in ("id", "en"):
        text = catalogue.text(name, language)
        assert len(text) <= MAX_REPLY_CHARS, (name, language, len(text))


def test_unknown_language_falls_back_to_indonesian(catalogue: ReplyCatalogue) -> None:
    name = "utter_gateway_unavailable"
    assert catalogue.text(name, "jv") == catalogue.text(name, "id")
    assert catalogue.text(name) == catalogue.text(name, "id")


def test_unknown_reply_name_raises(catalogue: ReplyCatalogue) -> None:
    with pytest.raises(KeyError):
        catalogue.text("utter_gateway_does_not_exist", "id")


def test_reply_in_language() -> None:
    reply = Reply(indonesian="Halo", english="Hello")
    assert reply.in_language("en") == "Hello"
    assert reply.in_language("id") == "Halo"


def write_domain(tmp_path: Path, responses: dict[str, object]) -> Path:
    path = tmp_path / "domain.yml"
    path.write_text(yaml.safe_dump({"version": "3.1", "responses": responses}), encoding="utf-8")
    return path


EN = [{"type": "slot", "name": "language", "value": "en"}]


def test_catalogue_from_a_temporary_domain(tmp_path: Path) -> None:
    path = write_domain(
        tmp_path,
        {
            "utter_gateway_x": [{"condition": EN, "text": "Hello"}, {"text": "Halo"}],
            "utter_gateway_only_id": [{"text": "Hanya Indonesia"}],
            "utter_greet": [{"text": "Bukan milik gateway"}],
        },
    )
    catalogue = ReplyCatalogue.from_domain(path)
    assert catalogue.names() == {"utter_gateway_x", "utter_gateway_only_id"}
    assert catalogue.text("utter_gateway_x", "en") == "Hello"
    assert catalogue.text("utter_gateway_x", "id") == "Halo"
    # Without an English variation the Indonesian text is used for everyone.
    assert catalogue.text("utter_gateway_only_id", "en") == "Hanya Indonesia"


def test_missing_indonesian_variation_raises(tmp_path: Path) -> None:
    path = write_domain(
        tmp_path, {"utter_gateway_broken": [{"condition": EN, "text": "English only"}]}
    )
    with pytest.raises(ValueError, match="utter_gateway_broken"):
        ReplyCatalogue.from_domain(path)


def test_domain_without_responses_gives_an_empty_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "domain.yml"
    path.write_text("version: '3.1'\n", encoding="utf-8")
    assert ReplyCatalogue.from_domain(path).names() == set()
