"""Our codes -> LAPOR!'s numeric codes, read from `LAPOR_MAPPING_FILE`.

The file (data/lapor_mapping.yaml) has one section per kind of code: `channel`,
`classification` (by report type), `category`, `location` (by kecamatan, with a
`default`) and `institution` (by agency code). A value is a number or `null` (not
known yet, to be confirmed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from backend.taxonomy import KECAMATAN_AGENCY, Taxonomy, kecamatan_agency_code

SECTIONS: Final = ("channel", "classification", "category", "location", "institution")
REPORT_TYPES: Final = ("complaint", "aspiration", "information")
CHANNELS: Final = ("telegram", "whatsapp", "web", "open311", "api")
DEFAULT_LOCATION: Final = "default"

Codes = dict[str, int | None]


class MappingError(ValueError):
    """The mapping file is missing, unreadable or holds something that is not a code."""


@dataclass(frozen=True)
class LaporMapping:
    """Every LAPOR! code we send, by our own code."""

    channel: Codes
    classification: Codes
    category: Codes
    location: Codes
    institution: Codes

    def location_of(self, kecamatan: str | None) -> int | None:
        """The location code of a kecamatan, else the regency's default."""
        if kecamatan and self.location.get(kecamatan) is not None:
            return self.location[kecamatan]
        return self.location.get(DEFAULT_LOCATION)

    def missing(self, taxonomy: Taxonomy) -> list[str]:
        """Our codes the file does not list at all (`section.code`), for a check at startup."""
        expected = {
            "channel": CHANNELS,
            "classification": REPORT_TYPES,
            "category": tuple(taxonomy.categories),
            "location": (DEFAULT_LOCATION, *taxonomy.kecamatan),
            "institution": agency_codes(taxonomy),
        }
        return [
            f"{section}.{code}"
            for section, codes in expected.items()
            for code in codes
            if code not in getattr(self, section)
        ]


def agency_codes(taxonomy: Taxonomy) -> tuple[str, ...]:
    """Every agency a report can be routed to: the agencies and each kecamatan office."""
    agencies = [code for code in taxonomy.agencies if code != KECAMATAN_AGENCY]
    return (*agencies, *(kecamatan_agency_code(name) for name in taxonomy.kecamatan))


def load_mapping(path: Path) -> LaporMapping:
    """Read and check the mapping file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: cannot read the LAPOR! mapping: {exc}") from exc
    if not isinstance(raw, dict):
        raise MappingError(f"{path}: expected sections {', '.join(SECTIONS)}")
    sections: dict[str, Codes] = {}
    for section in SECTIONS:
        values = raw.get(section) or {}
        if not isinstance(values, dict):
            raise MappingError(f"{path}: '{section}' must map our codes to numbers")
        codes: Codes = {}
        for key, value in values.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise MappingError(
                    f"{path}: {section}.{key} is {value!r}; give LAPOR!'s number or null"
                )
            codes[str(key)] = value
        sections[section] = codes
    return LaporMapping(**sections)
