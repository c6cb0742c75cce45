"""The institution list turned into the mapping file's institution section."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from backend.__main__ import main
from backend.lapor.client import Institution
from backend.lapor.institutions import match_institutions, render_section, replace_section
from backend.lapor.mapping import agency_codes, load_mapping
from backend.settings import PROJECT_ROOT, get_settings
from backend.taxonomy import Taxonomy, load_taxonomy
from tests.fakes.lapor_api import INSTITUTIONS, FakeLapor

TAXONOMY = load_taxonomy(
    PROJECT_ROOT / "data/categories.yaml", PROJECT_ROOT / "data/kecamatan.yaml"
)
LIST = [Institution(str(i["id"]), str(i["name"])) for i in INSTITUTIONS]


def by_code(taxonomy: Taxonomy = TAXONOMY) -> dict[str, str | None]:
    return {
        m.agency: m.institution.id if m.institution else None
        for m in match_institutions(taxonomy, LIST)
    }


def test_agencies_match_the_regency_s_institutions_only() -> None:
    codes = by_code()
    assert codes["DBMSDA"] == "101"
    assert codes["DINKES"] == "105"  # not Kota Tangerang's (106)
    assert codes["DINSOS"] is None  # the province's is not ours
    assert codes["KECAMATAN_PASAR_KEMIS"] == "108"
    assert codes["KECAMATAN_BALARAJA"] == "109"
    assert codes["KECAMATAN_CIKUPA"] is None
    assert set(codes) == set(agency_codes(TAXONOMY))


def test_section_replaces_the_old_one_and_keeps_the_rest(tmp_path: Path) -> None:
    shipped = (PROJECT_ROOT / "data/lapor_mapping.yaml").read_text(encoding="utf-8")
    section = render_section(match_institutions(TAXONOMY, LIST))
    updated = replace_section(shipped, section)
    path = tmp_path / "mapping.yaml"
    path.write_text(updated, encoding="utf-8")
    mapping = load_mapping(path)
    assert mapping.institution["DBMSDA"] == 101
    assert mapping.institution["DINSOS"] is None
    assert mapping.category == load_mapping(PROJECT_ROOT / "data/lapor_mapping.yaml").category
    assert updated.count("institution:") == 1
    assert "# to be confirmed (Dinas Bina Marga dan Sumber Daya Air Kabupaten Tangerang" in updated
    assert replace_section(updated, section) == updated  # idempotent


def test_the_shipped_mapping_lists_every_code_as_to_be_confirmed() -> None:
    path = PROJECT_ROOT / "data/lapor_mapping.yaml"
    mapping = load_mapping(path)
    assert mapping.missing(TAXONOMY) == []
    lines = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("  ") and ":" in line
    ]
    assert lines and all("# to be confirmed" in line for line in lines)
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["channel"]["telegram"] is None


def test_the_command_writes_the_section(
    tmp_path: Path,
    lapor: FakeLapor,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "mapping.yaml"
    target.write_text((PROJECT_ROOT / "data/lapor_mapping.yaml").read_text(), encoding="utf-8")
    for name, value in {
        "LAPOR_BASE_URL": lapor.base_url,
        "LAPOR_AUTH_SECRET": lapor.auth_secret,
        "LAPOR_TOKEN": lapor.token,
        "LAPOR_MAPPING_FILE": str(target),
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        main(["lapor-institutions"])
        printed = capsys.readouterr().out
        assert printed.startswith("# Our agency code")
        assert "  DBMSDA: 101  # to be confirmed" in printed
        main(["lapor-institutions", "--write"])
    finally:
        get_settings.cache_clear()
    assert "7 of 43 agencies matched" in capsys.readouterr().out
    assert load_mapping(target).institution["KECAMATAN_BALARAJA"] == 109
    (request,) = [r for r in lapor.requests if r.path == "/masters/institutions/external"][-1:]
    assert request.query == {"page_size": "1000"}
