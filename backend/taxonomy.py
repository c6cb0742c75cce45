"""The category taxonomy and kecamatan list, loaded from editable YAML files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

#: The agency code in the taxonomy meaning "the office of the kecamatan where it happened".
KECAMATAN_AGENCY = "KECAMATAN"
#: Where a report goes when it cannot be routed automatically.
TRIAGE_AGENCY = "DISKOMINFO"


@dataclass(frozen=True)
class Category:
    """One complaint category."""

    code: str
    label_id: str
    label_en: str
    agency: str
    scope: str


@dataclass(frozen=True)
class Taxonomy:
    """Categories, agencies and kecamatan names, with routing."""

    categories: dict[str, Category]
    agencies: dict[str, str]
    kecamatan: tuple[str, ...]

    def route(self, category: str, kecamatan: str | None) -> str:
        """The agency code responsible for `category` at `kecamatan`.

        Village and kecamatan office services go to the office of the kecamatan where
        it happened; without a known kecamatan they go to the triage desk.
        """
        agency = self.categories[category].agency
        if agency != KECAMATAN_AGENCY:
            return agency
        if kecamatan and kecamatan in self.kecamatan:
            return kecamatan_agency_code(kecamatan)
        return TRIAGE_AGENCY

    def agency_name(self, code: str) -> str:
        """A readable name for an agency code, kecamatan offices included."""
        if code in self.agencies:
            return self.agencies[code]
        for name in self.kecamatan:
            if kecamatan_agency_code(name) == code:
                return f"Kantor Kecamatan {name}"
        return code

    def canonical_kecamatan(self, name: str) -> str | None:
        """The official spelling of a kecamatan name given in any case, or None."""
        wanted = " ".join(name.split()).casefold()
        for official in self.kecamatan:
            if official.casefold() == wanted:
                return official
        return None


def kecamatan_agency_code(kecamatan: str) -> str:
    """The agency code of a kecamatan office, e.g. `KECAMATAN_PASAR_KEMIS`."""
    return KECAMATAN_AGENCY + "_" + re.sub(r"[^A-Z0-9]+", "_", kecamatan.upper()).strip("_")


def load_taxonomy(categories_file: Path, kecamatan_file: Path) -> Taxonomy:
    """Read and check the taxonomy files; raise ValueError naming what is wrong."""
    raw = yaml.safe_load(categories_file.read_text(encoding="utf-8")) or {}
    agencies = {str(k): str(v) for k, v in (raw.get("agencies") or {}).items()}
    categories: dict[str, Category] = {}
    for item in raw.get("categories") or []:
        category = Category(
            code=str(item["code"]),
            label_id=str(item["label_id"]),
            label_en=str(item["label_en"]),
            agency=str(item["agency"]),
            scope=str(item.get("scope", "")),
        )
        if category.agency not in agencies:
            raise ValueError(
                f"{categories_file}: category {category.code!r} names unknown agency "
                f"{category.agency!r}; add it under 'agencies'."
            )
        categories[category.code] = category
    if not categories:
        raise ValueError(f"{categories_file}: no categories found")
    kec_raw = yaml.safe_load(kecamatan_file.read_text(encoding="utf-8")) or {}
    kecamatan = tuple(str(k["name"]) for k in kec_raw.get("kecamatan") or [])
    if not kecamatan:
        raise ValueError(f"{kecamatan_file}: no kecamatan found")
    return Taxonomy(categories=categories, agencies=agencies, kecamatan=kecamatan)
