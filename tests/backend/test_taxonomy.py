"""The category taxonomy: loading, checking and routing to agencies."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.settings import PROJECT_ROOT
from backend.taxonomy import (
    KECAMATAN_AGENCY,
    TRIAGE_AGENCY,
    Taxonomy,
    kecamatan_agency_code,
    load_taxonomy,
)

CATEGORIES_FILE = PROJECT_ROOT / "data" / "categories.yaml"
KECAMATAN_FILE = PROJECT_ROOT / "data" / "kecamatan.yaml"

#: The agency each category goes to (the kecamatan-office category is tested apart).
EXPECTED_AGENCY = {
    "jalan_jembatan": "DBMSDA",
    "banjir_drainase": "DBMSDA",
    "sampah": "DLHK",
    "pencemaran": "DLHK",
    "pju": "DISHUB",
    "lalu_lintas": "DISHUB",
    "adminduk": "DISDUKCAPIL",
    "kesehatan": "DINKES",
    "pendidikan": "DISDIK",
    "ketertiban": "SATPOLPP",
    "sosial": "DINSOS",
    "air_bersih": "PERUMDAM_TKR",
    "tata_ruang": "DTRB",
    "ketenagakerjaan": "DISNAKER",
    "pungli_aparatur": "INSPEKTORAT",
    "bencana": "BPBD",
    "lainnya": "DISKOMINFO",
}


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(CATEGORIES_FILE, KECAMATAN_FILE)


def test_the_real_files_load_18_categories_and_29_kecamatan(taxonomy: Taxonomy) -> None:
    assert len(taxonomy.categories) == 18
    assert set(taxonomy.categories) == set(EXPECTED_AGENCY) | {"pelayanan_desa_kecamatan"}
    assert len(taxonomy.kecamatan) == 29
    assert len(set(taxonomy.kecamatan)) == 29
    assert "Pasar Kemis" in taxonomy.kecamatan


def test_every_category_has_labels_and_a_known_agency(taxonomy: Taxonomy) -> None:
    for category in taxonomy.categories.values():
        assert category.label_id.strip() and category.label_en.strip()
        assert category.agency in taxonomy.agencies


@pytest.mark.parametrize(("code", "agency"), sorted(EXPECTED_AGENCY.items()))
def test_each_category_routes_to_its_agency(taxonomy: Taxonomy, code: str, agency: str) -> None:
    assert taxonomy.route(code, None) == agency
    # The kecamatan plays no part outside the village/kecamatan office category.
    assert taxonomy.route(code, "Pasar Kemis") == agency


def test_village_services_go_to_the_kecamatan_office(taxonomy: Taxonomy) -> None:
    assert taxonomy.categories["pelayanan_desa_kecamatan"].agency == KECAMATAN_AGENCY
    assert taxonomy.route("pelayanan_desa_kecamatan", "Pasar Kemis") == "KECAMATAN_PASAR_KEMIS"
    assert taxonomy.route("pelayanan_desa_kecamatan", "Balaraja") == "KECAMATAN_BALARAJA"


@pytest.mark.parametrize("kecamatan", [None, "", "Bogor", "pasar kemis"])
def test_village_services_without_a_known_kecamatan_go_to_triage(
    taxonomy: Taxonomy, kecamatan: str | None
) -> None:
    # `route` expects the canonical spelling; anything else is triaged by hand.
    assert taxonomy.route("pelayanan_desa_kecamatan", kecamatan) == TRIAGE_AGENCY == "DISKOMINFO"


def test_every_kecamatan_has_a_distinct_office_code(taxonomy: Taxonomy) -> None:
    codes = {kecamatan_agency_code(name) for name in taxonomy.kecamatan}
    assert len(codes) == 29
    for code in codes:
        assert code.startswith("KECAMATAN_")
        assert code.replace("_", "").isalnum() and code == code.upper()


def test_kecamatan_agency_code_replaces_spaces_and_punctuation() -> None:
    assert kecamatan_agency_code("Pasar Kemis") == "KECAMATAN_PASAR_KEMIS"
    assert kecamatan_agency_code("Sepatan Timur") == "KECAMATAN_SEPATAN_TIMUR"
    assert kecamatan_agency_code(" Teluk-Naga ") == "KECAMATAN_TELUK_NAGA"


def test_agency_names(taxonomy: Taxonomy) -> None:
    assert taxonomy.agency_name("DBMSDA") == "Dinas Bina Marga dan Sumber Daya Air"
    assert taxonomy.agency_name("KECAMATAN_PASAR_KEMIS") == "Kantor Kecamatan Pasar Kemis"
    assert taxonomy.agency_name("NO_SUCH_AGENCY") == "NO_SUCH_AGENCY"


@pytest.mark.parametrize(
    ("typed", "official"),
    [
        ("Pasar Kemis", "Pasar Kemis"),
        ("pasar kemis", "Pasar Kemis"),
        ("  PASAR   KEMIS ", "Pasar Kemis"),
        ("balaraja", "Balaraja"),
    ],
)
def test_canonical_kecamatan_ignores_case_and_spacing(
    taxonomy: Taxonomy, typed: str, official: str
) -> None:
    assert taxonomy.canonical_kecamatan(typed) == official


@pytest.mark.parametrize("typed", ["Bogor", "Pasarkemis", "", "Kota Tangerang"])
def test_canonical_kecamatan_of_an_unknown_name_is_none(taxonomy: Taxonomy, typed: str) -> None:
    assert taxonomy.canonical_kecamatan(typed) is None


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_category_naming_an_unknown_agency_is_refused(tmp_path: Path) -> None:
    categories = _write(
        tmp_path / "categories.yaml",
        """
categories:
  - code: jalan_jembatan
    label_id: Jalan
    label_en: Roads
    agency: DBMSDA
  - code: parkir
    label_id: Parkir
    label_en: Parking
    agency: DINAS_PARKIR
agencies:
  DBMSDA: Dinas Bina Marga dan Sumber Daya Air
""",
    )
    with pytest.raises(ValueError, match="DINAS_PARKIR") as info:
        load_taxonomy(categories, KECAMATAN_FILE)
    assert "'parkir'" in str(info.value)


def test_a_file_without_categories_is_refused(tmp_path: Path) -> None:
    categories = _write(tmp_path / "categories.yaml", "agencies:\n  DBMSDA: Bina Marga\n")
    with pytest.raises(ValueError, match="no categories"):
        load_taxonomy(categories, KECAMATAN_FILE)


def test_a_kecamatan_file_without_kecamatan_is_refused(tmp_path: Path) -> None:
    kecamatan = _write(tmp_path / "kecamatan.yaml", "regency: Kabupaten Tangerang\n")
    with pytest.raises(ValueError, match="no kecamatan"):
        load_taxonomy(CATEGORIES_FILE, kecamatan)


def test_a_small_valid_taxonomy_loads(tmp_path: Path) -> None:
    categories = _write(
        tmp_path / "categories.yaml",
        """
categories:
  - code: desa
    label_id: Desa
    label_en: Village
    agency: KECAMATAN
agencies:
  KECAMATAN: Kantor Kecamatan
  DISKOMINFO: Triage
""",
    )
    kecamatan = _write(tmp_path / "kecamatan.yaml", "kecamatan:\n  - name: Sindang Jaya\n")
    taxonomy = load_taxonomy(categories, kecamatan)
    assert taxonomy.categories["desa"].scope == ""
    assert taxonomy.route("desa", "Sindang Jaya") == "KECAMATAN_SINDANG_JAYA"
    assert taxonomy.route("desa", None) == "DISKOMINFO"
