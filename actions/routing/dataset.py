"""Loading the category taxonomy and the classifier's example texts."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

#: The repository root (``actions/routing/dataset.py`` -> three levels up).
PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
#: Default taxonomy file, overridable with the ``CATEGORIES_FILE`` environment variable.
DEFAULT_CATEGORIES_FILE: Final = PROJECT_ROOT / "data" / "categories.yaml"
#: Directory with the example texts: one YAML file per category plus the held-out set.
DATA_DIR: Final = Path(__file__).resolve().parent / "data"
#: The evaluation-only file inside `DATA_DIR`; never used for training.
HELDOUT_FILENAME: Final = "heldout.yaml"


class DatasetError(ValueError):
    """A taxonomy or example file is missing or malformed."""


@dataclass(frozen=True)
class CategoryInfo:
    """One category of the complaint taxonomy.

    Attributes:
        code: Stable category code, e.g. ``"jalan_jembatan"``.
        label_id: Indonesian label.
        label_en: English label.
        agency: Code of the agency that handles the category.
        scope: Free-text description of what belongs to the category.
    """

    code: str
    label_id: str
    label_en: str
    agency: str
    scope: str

    def label(self, language: str) -> str:
        """The label in `language` (`en`, or Indonesian for anything else)."""
        return self.label_en if language == "en" else self.label_id


@dataclass(frozen=True)
class Examples:
    """Labelled example texts.

    Attributes:
        texts: The complaint texts.
        labels: The category code of each text (same length as `texts`).
    """

    texts: tuple[str, ...]
    labels: tuple[str, ...]

    def __len__(self) -> int:
        """The number of examples."""
        return len(self.texts)

    def counts(self) -> dict[str, int]:
        """The number of examples per category code."""
        result: dict[str, int] = {}
        for label in self.labels:
            result[label] = result.get(label, 0) + 1
        return result


def categories_file() -> Path:
    """The taxonomy file: ``$CATEGORIES_FILE`` or ``<project>/data/categories.yaml``."""
    override = os.environ.get("CATEGORIES_FILE", "").strip()
    return Path(override) if override else DEFAULT_CATEGORIES_FILE


def _read_yaml(path: Path) -> Any:
    """Parse a YAML file, turning I/O and syntax problems into `DatasetError`."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DatasetError(f"cannot read {path}: {error}") from error
    except yaml.YAMLError as error:
        raise DatasetError(f"{path} is not valid YAML: {error}") from error


def load_categories(path: Path | None = None) -> dict[str, CategoryInfo]:
    """Read the category taxonomy.

    Args:
        path: The taxonomy file; defaults to `categories_file()`.

    Returns:
        Categories by code, in file order.

    Raises:
        DatasetError: The file is missing, malformed or has duplicate codes.
    """
    path = path or categories_file()
    raw = _read_yaml(path)
    items = raw.get("categories") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise DatasetError(f"{path}: expected a non-empty `categories` list")
    result: dict[str, CategoryInfo] = {}
    for item in items:
        if not isinstance(item, dict) or not item.get("code") or not item.get("agency"):
            raise DatasetError(f"{path}: every category needs a `code` and an `agency`")
        code = str(item["code"])
        if code in result:
            raise DatasetError(f"{path}: duplicate category code {code!r}")
        result[code] = CategoryInfo(
            code=code,
            label_id=str(item.get("label_id", code)),
            label_en=str(item.get("label_en", code)),
            agency=str(item["agency"]),
            scope=str(item.get("scope", "")),
        )
    return result


def agencies_by_category(categories: Mapping[str, CategoryInfo]) -> dict[str, str]:
    """Map each category code to its agency code."""
    return {code: info.agency for code, info in categories.items()}


def training_files(data_dir: Path | None = None) -> list[Path]:
    """The YAML files with training examples (every ``*.yaml`` but the held-out file).

    Args:
        data_dir: Directory to scan; defaults to `DATA_DIR`.

    Returns:
        The files, sorted by name.
    """
    directory = data_dir or DATA_DIR
    return sorted(path for path in directory.glob("*.yaml") if path.name != HELDOUT_FILENAME)


def fingerprint(paths: Sequence[Path]) -> str:
    """A SHA-256 hex digest of the names and contents of `paths` (order-independent).

    Args:
        paths: Files to fingerprint.

    Returns:
        The digest; it changes whenever a file is added, removed, renamed or edited.
    """
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        content = path.read_bytes()
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(str(len(content)).encode("ascii") + b"\0")
        digest.update(content)
    return digest.hexdigest()


def _examples_from_mapping(
    raw: Mapping[str, Any], source: Path, known: Mapping[str, CategoryInfo]
) -> list[tuple[str, str]]:
    """Pairs (text, code) from a ``{code: [text, ...]}`` mapping, validated."""
    pairs: list[tuple[str, str]] = []
    for code, texts in raw.items():
        if code not in known:
            raise DatasetError(f"{source}: unknown category code {code!r}")
        if not isinstance(texts, list):
            raise DatasetError(f"{source}: examples of {code!r} must be a list")
        for text in texts:
            if not isinstance(text, str) or not text.strip():
                raise DatasetError(f"{source}: empty or non-text example under {code!r}")
            pairs.append((" ".join(text.split()), str(code)))
    return pairs


def _read_examples_file(path: Path, known: Mapping[str, CategoryInfo]) -> list[tuple[str, str]]:
    """Read one example file.

    Two layouts are accepted: ``{category: code, examples: [...]}`` (one category per
    file) or ``{code: [...], code: [...]}`` (several categories).
    """
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise DatasetError(f"{path}: expected a mapping at the top level")
    if "category" in raw and "examples" in raw:
        return _examples_from_mapping({raw["category"]: raw["examples"]}, path, known)
    return _examples_from_mapping(raw, path, known)


def _to_examples(pairs: Sequence[tuple[str, str]]) -> Examples:
    return Examples(texts=tuple(t for t, _ in pairs), labels=tuple(c for _, c in pairs))


def load_examples(
    data_dir: Path | None = None, categories: Mapping[str, CategoryInfo] | None = None
) -> Examples:
    """Load the training examples.

    Args:
        data_dir: Directory with the example files; defaults to `DATA_DIR`.
        categories: Known categories; defaults to `load_categories()`.

    Returns:
        All training examples, file by file in name order.

    Raises:
        DatasetError: No files, a malformed file or an unknown category code.
    """
    known = categories if categories is not None else load_categories()
    files = training_files(data_dir)
    if not files:
        raise DatasetError(f"no training example files in {data_dir or DATA_DIR}")
    pairs: list[tuple[str, str]] = []
    for path in files:
        pairs.extend(_read_examples_file(path, known))
    return _to_examples(pairs)


def load_heldout(
    path: Path | None = None, categories: Mapping[str, CategoryInfo] | None = None
) -> Examples:
    """Load the held-out evaluation examples (``{code: [text, ...]}``).

    Args:
        path: The held-out file; defaults to ``DATA_DIR / HELDOUT_FILENAME``.
        categories: Known categories; defaults to `load_categories()`.

    Returns:
        The held-out examples.
    """
    known = categories if categories is not None else load_categories()
    return _to_examples(_read_examples_file(path or DATA_DIR / HELDOUT_FILENAME, known))


def load_jsonl(path: Path, categories: Mapping[str, CategoryInfo] | None = None) -> Examples:
    """Load labelled texts from a JSON-lines file (evaluation only, e.g. real reports).

    Every non-blank line is an object with a ``text`` and a ``category`` field; other
    fields are ignored.

    Args:
        path: The JSONL file.
        categories: Known categories; defaults to `load_categories()`.

    Returns:
        The examples, in file order.

    Raises:
        DatasetError: The file is unreadable, a line is malformed or a code is unknown.
    """
    known = categories if categories is not None else load_categories()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise DatasetError(f"cannot read {path}: {error}") from error
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise DatasetError(f"{path}:{number}: not valid JSON: {error.msg}") from None
        text = row.get("text") if isinstance(row, dict) else None
        code = row.get("category") if isinstance(row, dict) else None
        if not isinstance(text, str) or not text.strip() or not isinstance(code, str):
            raise DatasetError(f"{path}:{number}: expected a non-empty text and a category")
        if code not in known:
            raise DatasetError(f"{path}:{number}: unknown category code {code!r}")
        pairs.append((text, code))
    if not pairs:
        raise DatasetError(f"{path}: no examples")
    return _to_examples(pairs)
