"""Reading the place data files once: data/places.yaml (generated) and our aliases."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Final

import yaml

_PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
_DEFAULT_PLACES_FILE: Final = _PROJECT_ROOT / "data" / "places.yaml"
_DEFAULT_ALIASES_FILE: Final = _PROJECT_ROOT / "data" / "place_aliases.yaml"


def places_file() -> Path:
    """Path of the gazetteer ($PLACES_FILE or data/places.yaml)."""
    return Path(os.environ.get("PLACES_FILE") or _DEFAULT_PLACES_FILE)


def aliases_file() -> Path:
    """Path of our aliases ($PLACE_ALIASES_FILE or data/place_aliases.yaml)."""
    return Path(os.environ.get("PLACE_ALIASES_FILE") or _DEFAULT_ALIASES_FILE)


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML file whose top level is a mapping.

    Raises:
        ValueError: When the file is not such a YAML document.
    """
    with path.open(encoding="utf-8") as stream:
        if hasattr(yaml, "CSafeLoader"):  # libyaml: 10x faster on the 150 kB gazetteer
            document = yaml.load(stream, Loader=yaml.CSafeLoader)
        else:  # pragma: no cover - PyYAML built without libyaml
            document = yaml.safe_load(stream)
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return document


@functools.lru_cache(maxsize=1)
def places_document() -> dict[str, Any]:
    """data/places.yaml, read once."""
    return read_yaml(places_file())


@functools.lru_cache(maxsize=1)
def aliases_document() -> dict[str, Any]:
    """data/place_aliases.yaml, read once."""
    return read_yaml(aliases_file())


def elsewhere_names() -> tuple[list[str], list[str]]:
    """(regency/city names, kecamatan names) of the rest of Indonesia, from the gazetteer.

    Raises:
        ValueError: When the gazetteer has no such section.
    """
    section = places_document().get("elsewhere")
    if not isinstance(section, dict):
        raise ValueError(f"{places_file()}: no 'elsewhere' section")
    cities, kecamatan = section.get("cities") or [], section.get("kecamatan") or []
    return [str(name) for name in cities], [str(name) for name in kecamatan]


def clear_caches() -> None:
    """Forgets the files read so far."""
    places_document.cache_clear()
    aliases_document.cache_clear()
