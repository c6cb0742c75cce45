"""The NLU training data under `nlu/`: intents, entities, synonyms and the ID regex.

Plain checks on the YAML as Rasa loads it; no model is trained.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

NLU_DIR = Path(__file__).resolve().parents[2] / "nlu"
#: Only the YAML files: `nlu/` also holds Python (custom components), which
#: `load_data("nlu")` would reject as an unknown data format.
NLU_FILES = sorted(NLU_DIR.glob("*.yml"))

#: The intents domain.yml relies on, with the minimum number of examples each.
MIN_EXAMPLES = {
    "greet": 25,
    "goodbye": 25,
    "thank": 25,
    "affirm": 25,
    "deny": 25,
    "bot_challenge": 25,
    "start_report": 25,
    "report_problem": 120,
    "inform_report_type": 25,
    "check_status": 25,
    "my_reports": 25,
    "cancel": 25,
    "help": 25,
    "ask_duration": 25,
    "ask_process": 25,
    "ask_cost": 25,
    "ask_privacy": 25,
    "ask_why_location": 25,
    "ask_why_data": 25,
    "ask_about_lapor": 25,
    "emergency": 25,
    "out_of_scope": 25,
    "skip": 25,
    "inform_privacy": 25,
    "change_field": 25,
    "inform": 80,
    "resume_report": 15,
    "share_location": 10,
    "send_attachment": 10,
    # Answers to a status update; the buttons send these with the tracking ID.
    "confirm_resolved": 15,
    "reject_resolution": 15,
    "rate_service": 12,
    "stop_notifications": 12,
    "resume_notifications": 12,
    # Issue 17: adding information to a report, ending it, and the report picked by
    # button (the buttons send choose_thread_report with the tracking ID).
    "add_info": 15,
    "thread_done": 12,
    "choose_thread_report": 3,
}

#: The canonical values each entity may take (after synonym mapping).
ALLOWED_VALUES = {
    "report_type": {"complaint", "aspiration", "information"},
    "privacy": {"public", "anonymous", "confidential"},
    "field": {
        "complaint_description",
        "complaint_category",
        "complaint_location",
        "incident_date",
        "privacy",
        "attachments",
    },
    "rating": {"1", "2", "3", "4", "5"},
}

#: The intents in which each entity is annotated.
ENTITY_INTENTS = {
    "report_type": {"inform_report_type", "start_report"},
    "privacy": {"inform_privacy", "change_field"},
    "field": {"change_field"},
    "tracking_id": {"check_status", "add_info", "choose_thread_report"},
    "rating": {"rate_service"},
}

KECAMATAN = [
    "balaraja", "cikupa", "cisauk", "cisoka", "curug", "gunung kaler", "jambe", "jayanti",
    "kelapa dua", "kemiri", "kosambi", "kresek", "kronjo", "legok", "mauk", "mekar baru",
    "pagedangan", "pakuhaji", "panongan", "pasar kemis", "rajeg", "sepatan",
    "sepatan timur", "sindang jaya", "solear", "sukadiri", "sukamulya", "teluknaga",
    "tigaraksa",
]  # fmt: skip

#: Common English words that do not occur in Indonesian chat (so not "stop", "skip",
#: "ok", "menu", "status": citizens use those in Indonesian sentences too).
_ENGLISH_WORD_LIST = [
    "i", "i'm", "i'd", "i'll", "me", "my", "you", "your", "we", "our", "us", "it", "it's", "is",
    "are", "am", "was", "were", "be", "been", "the", "a", "an", "this", "that", "there",
    "there's", "what", "what's", "how", "who", "where", "why", "when", "do", "does", "don't",
    "did", "have", "has", "can", "will", "would", "to", "of", "for", "on", "in", "at", "with",
    "from", "and", "but", "not", "please", "thanks", "thank", "yes", "yeah", "yep", "nope",
    "sure", "correct", "right", "wrong", "hello", "hi", "hey", "good", "bye", "goodbye", "see",
    "later", "night", "morning", "report", "reports", "complaint", "complaints", "someone",
    "help", "need", "want", "yesterday", "last", "ago", "week", "month", "near", "next",
    "about", "change", "fix", "never", "mind", "forget", "nothing", "photo", "photos", "public",
    "private", "anonymous", "confidential", "information", "suggestion", "aspiration",
    "appreciate", "many", "much", "anyone", "talk", "real", "person"
]  # fmt: skip
ENGLISH_WORDS = frozenset(_ENGLISH_WORD_LIST)
_WORD = re.compile(r"\b[a-z']+\b")


def _load_all() -> TrainingData:
    parts = [load_data(str(path)) for path in NLU_FILES]
    return parts[0].merge(*parts[1:])


@pytest.fixture(scope="module")
def training_data() -> TrainingData:
    return _load_all()


@pytest.fixture(scope="module")
def by_intent(training_data: TrainingData) -> dict[str, list[Message]]:
    grouped: dict[str, list[Message]] = defaultdict(list)
    for example in training_data.intent_examples:
        grouped[example.get("intent")].append(example)
    return grouped


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _raw_examples() -> list[tuple[str, str, str]]:
    """(file, intent, example line) for every example as written, before Rasa dedupes."""
    rows = []
    for path in NLU_FILES:
        document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in document.get("nlu", []):
            if "intent" not in item:
                continue
            for line in item["examples"].splitlines():
                if line.strip():
                    assert line.startswith("- "), f"{path.name}: bad example line {line!r}"
                    rows.append((path.name, item["intent"], line[2:]))
    return rows


def _is_englishish(text: str) -> bool:
    return any(word in ENGLISH_WORDS for word in _WORD.findall(text.lower()))


def test_files_are_rasa_3_1_yaml() -> None:
    assert NLU_FILES, "no NLU YAML files found"
    for path in NLU_FILES:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert document.get("version") == "3.1", path.name
        assert "nlu" in document, path.name


def test_every_intent_has_enough_examples(by_intent: dict[str, list[Message]]) -> None:
    counts = {intent: len(examples) for intent, examples in by_intent.items()}
    too_few = {
        intent: counts.get(intent, 0)
        for intent, minimum in MIN_EXAMPLES.items()
        if counts.get(intent, 0) < minimum
    }
    assert not too_few, f"intents below their minimum: {too_few}"


def test_no_unexpected_intents(by_intent: dict[str, list[Message]]) -> None:
    extra = set(by_intent) - set(MIN_EXAMPLES)
    assert not extra, f"intents not agreed with domain.yml: {sorted(extra)}"


def test_no_duplicate_examples_within_an_intent() -> None:
    seen: Counter[tuple[str, str]] = Counter(
        (intent, _normalise(text)) for _, intent, text in _raw_examples()
    )
    duplicates = sorted(key for key, count in seen.items() if count > 1)
    assert not duplicates, f"duplicate examples: {duplicates}"


def test_no_example_under_two_intents(training_data: TrainingData) -> None:
    intents_of: dict[str, set[str]] = defaultdict(set)
    for example in training_data.intent_examples:
        intents_of[_normalise(example.get("text"))].add(example.get("intent"))
    clashes = {text: sorted(intents) for text, intents in intents_of.items() if len(intents) > 1}
    assert not clashes, f"examples under more than one intent: {clashes}"


def test_entity_values_map_to_allowed_values(training_data: TrainingData) -> None:
    synonyms = {text.lower(): value for text, value in training_data.entity_synonyms.items()}
    bad = []
    for example in training_data.entity_examples:
        for entity in example.get("entities"):
            name = entity["entity"]
            if name == "tracking_id":
                continue
            assert name in ALLOWED_VALUES, f"unknown entity {name!r} in {example.get('text')!r}"
            value = str(entity["value"]).lower()
            canonical = synonyms.get(value, value)
            if canonical not in ALLOWED_VALUES[name]:
                bad.append((example.get("text"), name, entity["value"]))
    assert not bad, f"entity values without an allowed canonical value: {bad}"


def test_synonyms_only_name_allowed_values(training_data: TrainingData) -> None:
    allowed = set().union(*ALLOWED_VALUES.values())
    targets = set(training_data.entity_synonyms.values())
    assert targets <= allowed, f"synonyms to unknown values: {sorted(targets - allowed)}"


def test_entities_appear_only_in_their_intents(training_data: TrainingData) -> None:
    misplaced = [
        (example.get("intent"), entity["entity"], example.get("text"))
        for example in training_data.entity_examples
        for entity in example.get("entities")
        if example.get("intent") not in ENTITY_INTENTS.get(entity["entity"], set())
    ]
    assert not misplaced, f"entities annotated in unexpected intents: {misplaced}"


def test_entity_annotations_cover_whole_words(training_data: TrainingData) -> None:
    """A span cut inside a word ("[tanggal](field)nya") misaligns with the tokens."""
    misaligned = []
    for example in training_data.entity_examples:
        text = example.get("text")
        for entity in example.get("entities"):
            start, end = entity["start"], entity["end"]
            if (start > 0 and text[start - 1].isalnum()) or (
                end < len(text) and text[end].isalnum()
            ):
                misaligned.append((text, text[start:end]))
    assert not misaligned, f"entity spans inside words: {misaligned}"


@pytest.fixture(scope="module")
def tracking_id_regex(training_data: TrainingData) -> re.Pattern[str]:
    patterns = [r["pattern"] for r in training_data.regex_features if r["name"] == "tracking_id"]
    assert len(patterns) == 1, "exactly one tracking_id regex expected"
    return re.compile(patterns[0])


@pytest.mark.parametrize(
    "text",
    ["TNG-2026-000123", "tng2026000123", "TNG 2026 000123", "tng-2026-12", "TNG2026-000045"],
)
def test_tracking_id_regex_matches_ids(tracking_id_regex: re.Pattern[str], text: str) -> None:
    assert tracking_id_regex.fullmatch(text)
    assert tracking_id_regex.search(f"status {text} dong")


@pytest.mark.parametrize(
    "text", ["2026", "halo", "12 mei 2026", "tng", "rt 03 rw 05", "TNG-000123", "km 20"]
)
def test_tracking_id_regex_ignores_other_text(
    tracking_id_regex: re.Pattern[str], text: str
) -> None:
    assert not tracking_id_regex.search(text)


def test_tracking_ids_are_annotated_exactly(
    training_data: TrainingData, tracking_id_regex: re.Pattern[str]
) -> None:
    """Every ID in the examples is annotated, and every annotation is a whole ID."""
    problems = []
    for example in training_data.intent_examples:
        text = example.get("text")
        annotated = {
            (e["start"], e["end"])
            for e in example.get("entities") or []
            if e["entity"] == "tracking_id"
        }
        found = {m.span() for m in tracking_id_regex.finditer(text)}
        if annotated != found:
            problems.append((text, sorted(annotated), sorted(found)))
    assert not problems, f"tracking IDs annotated differently from the regex: {problems}"


def test_status_examples_with_and_without_ids(by_intent: dict[str, list[Message]]) -> None:
    with_id = [e for e in by_intent["check_status"] if e.get("entities")]
    assert len(with_id) >= 15
    assert len(by_intent["check_status"]) - len(with_id) >= 10
    assert len({e.get("entities")[0]["value"].lower() for e in with_id}) >= 15


def test_place_examples_name_every_kecamatan(by_intent: dict[str, list[Message]]) -> None:
    texts = " | ".join(_normalise(e.get("text")) for e in by_intent["inform"])
    missing = [k for k in KECAMATAN if not re.search(rf"\b{k}\b", texts)]
    assert not missing, f"kecamatan without an inform example: {missing}"


@pytest.mark.parametrize("intent", sorted(MIN_EXAMPLES))
def test_intent_has_some_english(by_intent: dict[str, list[Message]], intent: str) -> None:
    """About a fifth of each intent is English; the rough word check asks 10-45%."""
    examples = by_intent[intent]
    share = sum(_is_englishish(e.get("text")) for e in examples) / len(examples)
    assert 0.10 <= share <= 0.45, f"{intent}: {share:.0%} English-ish examples"
