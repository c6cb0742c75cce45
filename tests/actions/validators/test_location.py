"""Kecamatan from free text and from GPS points; places outside Kabupaten Tangerang."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from actions.validators import location
from actions.validators.location import (
    ELSEWHERE,
    KOTA_TANGERANG,
    TANGERANG_SELATAN,
    LocationMatch,
    PointMatch,
    haversine_km,
    kecamatan_names,
    locate_point,
    match_location,
    normalise_words,
    point_in_polygon,
)

PROJECT_ROOT = Path(__file__).resolve().parents[3]
KECAMATAN_YAML = PROJECT_ROOT / "data" / "kecamatan.yaml"
GEO_YAML = PROJECT_ROOT / "data" / "regency_geo.yaml"
OFFICIAL_NAMES = [
    entry["name"] for entry in yaml.safe_load(KECAMATAN_YAML.read_text())["kecamatan"]
]


@pytest.fixture(autouse=True, scope="module")
def _project_data() -> Iterator[None]:
    """The tests read the project's data files, whatever the environment says."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("KECAMATAN_FILE", raising=False)
        patch.delenv("REGENCY_GEO_FILE", raising=False)
        location.clear_caches()
        yield
    location.clear_caches()


@pytest.fixture
def other_kecamatan_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """$KECAMATAN_FILE pointing at an empty temporary file, for the test to fill in."""
    path = tmp_path / "kecamatan.yaml"
    monkeypatch.setenv("KECAMATAN_FILE", str(path))
    location.clear_caches()
    yield path
    monkeypatch.delenv("KECAMATAN_FILE")
    location.clear_caches()


def test_the_data_file_lists_29_kecamatan() -> None:
    assert len(OFFICIAL_NAMES) == 29
    assert kecamatan_names() == tuple(OFFICIAL_NAMES)


@pytest.mark.parametrize("name", OFFICIAL_NAMES)
def test_every_official_name_matches_itself(name: str) -> None:
    assert match_location(name) == LocationMatch(name, None, 1.0, [])
    assert match_location(name.upper()).kecamatan == name
    assert match_location(f"Kec. {name}, Kab. Tangerang").kecamatan == name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ps kemis", "Pasar Kemis"),
        ("pasarkemis", "Pasar Kemis"),
        ("Pasar Kemis", "Pasar Kemis"),
        ("psr kemis", "Pasar Kemis"),
        ("tiga raksa", "Tigaraksa"),
        ("kel. dua", "Kelapa Dua"),
        ("kelapa 2", "Kelapa Dua"),
        ("klp dua", "Kelapa Dua"),
        ("gading serpong", "Kelapa Dua"),
        ("lippo karawaci", "Kelapa Dua"),
        ("bsd", "Pagedangan"),
        ("BSD City", "Pagedangan"),
        ("bsd cisauk", "Cisauk"),
        ("citra raya", "Cikupa"),
        ("perumahan citra raya blok b", "Cikupa"),
        ("jl raya serang km 20 balaraja", "Balaraja"),
        ("Jln. Raya Serang KM 25 Kec. Balaraja Kab. Tangerang", "Balaraja"),
        ("depan pasar curug", "Curug"),
        ("teluk naga", "Teluknaga"),
        ("sepatan timur", "Sepatan Timur"),
        ("septim", "Sepatan Timur"),
        ("sepatan tim", "Sepatan Timur"),
        ("sepatan", "Sepatan"),
        ("sukamulya", "Sukamulya"),
        ("suka mulya", "Sukamulya"),
        ("sukadiri", "Sukadiri"),
        ("suka diri", "Sukadiri"),
        ("mekarbaru", "Mekar Baru"),
        ("gn kaler", "Gunung Kaler"),
        ("paku haji", "Pakuhaji"),
        ("dadap", "Kosambi"),
        ("dekat bandara, kosambi", "Kosambi"),
        ("puspemkab", "Tigaraksa"),
        ("tgr", "Tigaraksa"),  # the data file's alias; "kota tgr" is Kota Tangerang
        ("lampu jalan mati di gang mawar, cikupa", "Cikupa"),
        ("rt 02 rw 05 desa kemiri kec. mauk", "Mauk"),  # "kecamatan" beats "desa"
        ("gading serpong pagedangan", "Pagedangan"),  # official name beats alias
        ("citra raya panongan", "Panongan"),
        ("jalan rusak di kp. bitung curug", "Curug"),
    ],
)
def test_spellings_and_landmarks(text: str, expected: str) -> None:
    match = match_location(text)
    assert match == LocationMatch(expected, None, 1.0, [])


@pytest.mark.parametrize(
    ("text", "expected", "confidence"),
    [
        ("perumahan di daerah cikupaa", "Cikupa", 0.857),
        ("tigaraska", "Tigaraksa", 0.889),
        ("blaraja", "Balaraja", 0.875),
        ("cikpua", "Cikupa", 0.833),
        ("pagedanga", "Pagedangan", 0.9),
    ],
)
def test_typos_match_with_less_confidence(text: str, expected: str, confidence: float) -> None:
    match = match_location(text)
    assert match.kecamatan == expected
    assert match.outside is None
    assert match.confidence == pytest.approx(confidence, abs=0.001)
    if confidence < location.SURE:
        assert match.candidates[0] == expected
        assert len(match.candidates) <= 3


def test_sepatan_timur_never_becomes_sepatan() -> None:
    for text in ("sepatan timur", "SEPATAN TIMUR", "kec. sepatan timur", "di sepatan timur ya"):
        assert match_location(text).kecamatan == "Sepatan Timur", text


def test_sukamulya_and_sukadiri_are_distinct() -> None:
    assert match_location("sukamulya").kecamatan == "Sukamulya"
    assert match_location("sukadiri").kecamatan == "Sukadiri"


@pytest.mark.parametrize(
    ("text", "candidate"),
    [
        ("beli kemiri di pasar", "Kemiri"),  # candlenut, not the kecamatan
        ("kantong kresek", "Kresek"),  # plastic bag
        ("jalan curug", "Curug"),  # a street name could be anywhere
    ],
)
def test_common_words_are_only_candidates_without_place_context(text: str, candidate: str) -> None:
    assert match_location(text) == LocationMatch(None, None, location.WEAK_CONFIDENCE, [candidate])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kemiri", "Kemiri"),
        ("kec kemiri", "Kemiri"),
        ("di kemiri", "Kemiri"),
        ("daerah kemiri", "Kemiri"),
        ("kemiri tangerang", "Kemiri"),
        ("di jambe", "Jambe"),
        ("jambe", "Jambe"),
        ("kec. kresek", "Kresek"),
        ("rumah saya di curug", "Curug"),
    ],
)
def test_common_words_match_when_they_look_like_places(text: str, expected: str) -> None:
    assert match_location(text) == LocationMatch(expected, None, 1.0, [])


def test_common_word_names_are_not_matched_fuzzily() -> None:
    assert match_location("kemari").kecamatan is None  # "come here", not Kemiri
    assert match_location("antri solar").kecamatan is None  # diesel, not Solear


@pytest.mark.parametrize(
    ("text", "outside"),
    [
        # Kota Tangerang: its kecamatan, the city and the airport
        ("batuceper", KOTA_TANGERANG),
        ("di benda", KOTA_TANGERANG),
        ("cibodas", KOTA_TANGERANG),
        ("ciledug", KOTA_TANGERANG),
        ("cipondoh", KOTA_TANGERANG),
        ("jatiuwung", KOTA_TANGERANG),
        ("karang tengah", KOTA_TANGERANG),
        ("karawaci", KOTA_TANGERANG),
        ("kec. larangan", KOTA_TANGERANG),
        ("rumah saya di larangan", KOTA_TANGERANG),
        ("neglasari", KOTA_TANGERANG),
        ("daerah periuk", KOTA_TANGERANG),
        ("di pinang", KOTA_TANGERANG),
        ("kecamatan tangerang", KOTA_TANGERANG),
        ("kota tangerang", KOTA_TANGERANG),
        ("Kota Tgr", KOTA_TANGERANG),
        ("bandara soetta", KOTA_TANGERANG),
        ("terminal 3 soekarno hatta", KOTA_TANGERANG),
        # Tangerang Selatan
        ("ciputat", TANGERANG_SELATAN),
        ("ciputat timur", TANGERANG_SELATAN),
        ("pamulang", TANGERANG_SELATAN),
        ("pondok aren", TANGERANG_SELATAN),
        ("serpong", TANGERANG_SELATAN),
        ("serpong utara", TANGERANG_SELATAN),
        ("di setu", TANGERANG_SELATAN),
        ("tangsel", TANGERANG_SELATAN),
        ("tangerang selatan", TANGERANG_SELATAN),
        ("kota tangerang selatan", TANGERANG_SELATAN),
        ("bintaro sektor 9", TANGERANG_SELATAN),
        # elsewhere
        ("jakarta", ELSEWHERE),
        ("jakarta barat", ELSEWHERE),
        ("bekasi", ELSEWHERE),
        ("bogor", ELSEWHERE),
        ("depok", ELSEWHERE),
        ("serang kota", ELSEWHERE),
        ("kota serang", ELSEWHERE),
        ("kab. serang", ELSEWHERE),
        ("cilegon", ELSEWHERE),
        ("lebak", ELSEWHERE),
        ("pandeglang", ELSEWHERE),
    ],
)
def test_places_outside_the_regency(text: str, outside: str) -> None:
    assert match_location(text) == LocationMatch(None, outside, 1.0, [])


@pytest.mark.parametrize(
    "text",
    [
        "jl raya serang",  # a road through the regency, not Kota Serang
        "tangerang",  # regency or city: the bot must ask
        "kabupaten tangerang",
        "ada larangan parkir",  # "prohibition", not Larangan
        "pipa bocor di depan rumah",  # "bocor" is not Bogor
        "depot air minum",  # "depot" is not Depok
        "ada benda aneh",
    ],
)
def test_words_that_only_look_like_places_outside(text: str) -> None:
    match = match_location(text)
    assert match.outside is None
    assert match.kecamatan is None


@pytest.mark.parametrize("text", ["dekat rumah saya", "", "   ", "gak tau", "di sini"])
def test_no_place_at_all(text: str) -> None:
    assert match_location(text) == LocationMatch(None, None, 0.0, [])


def test_two_kecamatan_named_equally_are_ambiguous() -> None:
    assert match_location("dari cikupa ke balaraja") == LocationMatch(
        None, None, location.AMBIGUOUS_CONFIDENCE, ["Cikupa", "Balaraja"]
    )
    assert match_location("jalan raya legok, desa cikupa").candidates == ["Legok", "Cikupa"]


def test_the_explicit_kecamatan_wins_over_a_village_name() -> None:
    assert match_location("desa sukamulya kecamatan cikupa").kecamatan == "Cikupa"


def test_a_kecamatan_with_a_place_outside_needs_confirming() -> None:
    match = match_location("bsd serpong")
    assert match.kecamatan == "Pagedangan"
    assert match.outside is None
    assert match.confidence == location.MIXED_CONFIDENCE
    assert match.candidates[0] == "Pagedangan"


def test_a_kecamatan_beats_an_ordinary_word_that_names_a_place_outside() -> None:
    assert match_location("ada benda aneh di jalan raya legok") == LocationMatch(
        "Legok", None, 1.0, []
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Kec. Ps Kemis", ["kecamatan", "pasar", "kemis"]),
        ("kelapa 2", ["kelapa", "dua"]),
        ("3 raksa", ["tiga", "raksa"]),
        ("kota tgr", ["kota", "tangerang"]),
        ("Jl. Raya Serang, KM-20!", ["jalan", "raya", "serang", "km", "20"]),
    ],
)
def test_normalise_words(text: str, words: list[str]) -> None:
    assert normalise_words(text) == words


def test_the_kecamatan_file_comes_from_the_environment(other_kecamatan_file: Path) -> None:
    data = {"kecamatan": [{"name": "Cikupa", "aliases": ["ckp"]}, {"name": "Mauk"}]}
    other_kecamatan_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert kecamatan_names() == ("Cikupa", "Mauk")
    assert match_location("ckp").kecamatan == "Cikupa"
    assert match_location("balaraja").kecamatan is None


def test_a_malformed_kecamatan_file_is_reported(other_kecamatan_file: Path) -> None:
    other_kecamatan_file.write_text("kecamatan: nope\n", encoding="utf-8")
    with pytest.raises(ValueError, match="kecamatan"):
        match_location("cikupa")


# --- GPS points ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "kecamatan"),
    [
        (-6.27, 106.47, "Tigaraksa"),
        (-6.20, 106.45, "Balaraja"),
        (-6.23, 106.51, "Cikupa"),
        (-6.05, 106.63, "Teluknaga"),
        (-6.08, 106.70, "Kosambi"),
        (-6.23, 106.61, "Kelapa Dua"),
        (-6.226, 106.607, "Kelapa Dua"),  # Lippo Karawaci, south of Kota Tangerang
        (-6.30, 106.62, "Pagedangan"),
        (-6.33, 106.64, "Cisauk"),
        (-6.06, 106.51, "Mauk"),
        (-6.06, 106.42, "Kronjo"),
        (-6.16, 106.54, "Pasar Kemis"),
        (-6.26, 106.56, "Curug"),
    ],
)
def test_points_inside_the_regency(lat: float, lon: float, kecamatan: str) -> None:
    assert locate_point(lat, lon) == PointMatch(True, kecamatan, None)


@pytest.mark.parametrize(
    ("lat", "lon", "outside"),
    [
        (-5.95, 106.55, ELSEWHERE),  # Java Sea
        (-5.99, 106.70, ELSEWHERE),  # Java Sea, off Teluknaga
        (-6.20, 106.85, ELSEWHERE),  # Jakarta
        (-6.60, 106.80, ELSEWHERE),  # Bogor
        (-6.12, 106.15, ELSEWHERE),  # Kota Serang
        (-6.18, 106.63, KOTA_TANGERANG),
        (-6.125, 106.655, KOTA_TANGERANG),  # Soekarno-Hatta airport
        (-6.23, 106.71, KOTA_TANGERANG),  # Ciledug
        (-6.30, 106.70, TANGERANG_SELATAN),
        (-6.34, 106.73, TANGERANG_SELATAN),  # Pamulang
    ],
)
def test_points_outside_the_regency(lat: float, lon: float, outside: str) -> None:
    assert locate_point(lat, lon) == PointMatch(False, None, outside)


def test_every_centroid_is_inside_and_nearest_to_itself() -> None:
    centroids = yaml.safe_load(GEO_YAML.read_text())["kecamatan_centroids"]
    assert sorted(centroids) == sorted(OFFICIAL_NAMES)
    for name, (lat, lon) in centroids.items():
        assert locate_point(lat, lon) == PointMatch(True, name, None), name


@pytest.mark.parametrize(
    ("lat", "lon"), [(math.nan, 106.5), (-6.2, math.inf), (91.0, 106.5), (-6.2, 181.0)]
)
def test_invalid_coordinates_are_rejected(lat: float, lon: float) -> None:
    with pytest.raises(ValueError, match="coordinate"):
        locate_point(lat, lon)


def test_point_in_polygon_and_haversine() -> None:
    square = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)]
    assert point_in_polygon(0.5, 0.5, square)
    assert not point_in_polygon(1.5, 0.5, square)
    assert not point_in_polygon(0.5, -0.1, square)
    # Tigaraksa to Balaraja: about 8 km.
    assert haversine_km(-6.27, 106.47, -6.20, 106.45) == pytest.approx(8.1, abs=0.2)
    assert haversine_km(-6.2, 106.5, -6.2, 106.5) == 0.0
