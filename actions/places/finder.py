"""`find_place`: the kecamatan, desa/kelurahan or place outside the regency a text names.

It combines the kecamatan matcher (`actions.places.kecamatan`) with the gazetteer
(`actions.places.gazetteer`) and postal codes:

* The desa names are found first; the kecamatan is then read from the rest of the text,
  so "di desa sukamulya kec sukamulya" is Desa Suka Mulya in Kec. Sukamulya.
* A desa in one kecamatan gives that kecamatan ("depan kantor desa Bojong Nangka" is Kelapa
  Dua). A desa name found in several kecamatan gives `choices`, unless the kecamatan is
  written too.
* A kecamatan written after "kecamatan"/"kec" beats a desa of another kecamatan; named
  without it, the two are offered as choices.
* A kelurahan of Kota Tangerang or Tangerang Selatan is outside.
* A postal code (15xxx) gives its desa/kecamatan when the text names nothing else; codes
  shared by several kecamatan give choices.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from actions.places import gazetteer
from actions.places.gazetteer import LANDMARK, Place, PlaceHit
from actions.places.kecamatan import (
    AMBIGUOUS_CONFIDENCE,
    KOTA_TANGERANG,
    MAX_CANDIDATES,
    MAX_WORDS,
    SURE,
    TANGERANG_SELATAN,
    KecamatanReading,
    LocationMatch,
    read_kecamatan,
)
from actions.places.words import normalise_segments

#: The location text kept is cut to this many characters.
MAX_TEXT_CHARS: Final = 300
#: At most this many choices are offered.
MAX_CHOICES: Final = 5

_CITY_NAMES: Final = {
    KOTA_TANGERANG: "Kota Tangerang",
    TANGERANG_SELATAN: "Kota Tangerang Selatan",
}


@dataclass(frozen=True)
class PlaceChoice:
    """One option to offer the citizen (a button) when the place is unsure.

    Attributes:
        kecamatan: Regency kecamatan, or None for a place outside.
        desa: Desa/kelurahan name, or None when the option is a whole kecamatan.
        outside: Outside code, or None inside the regency.
        label: Text for the button: "Bojong Nangka, Kec. Kelapa Dua", "Kec. Cikupa",
            "Cipete, Kota Tangerang".
    """

    kecamatan: str | None
    desa: str | None = None
    outside: str | None = None
    label: str = ""


@dataclass(frozen=True)
class PlaceMatch:
    """The place read from a citizen's answer.

    Attributes:
        kecamatan: Official name of the regency's kecamatan, or None.
        desa: Desa/kelurahan name (of the regency, or of the city when `outside`), or None.
        outside: "kota_tangerang", "tangerang_selatan" or "elsewhere", else None.
        confidence: 0..1; at least `SURE` (and no choices) means no need to ask.
        choices: Options to ask with buttons when unsure, in text order; empty when sure
            or when nothing looks like a place.
        text: The answer as the location text to keep (spaces tidied, cut to 300).
        postal_code: A postal code the text gave, if any.
        landmark: The landmark or housing estate named, if any ("Suvarna Sutera").
    """

    kecamatan: str | None
    desa: str | None
    outside: str | None
    confidence: float
    choices: list[PlaceChoice] = field(default_factory=list)
    text: str = ""
    postal_code: str | None = None
    landmark: str | None = None

    @property
    def sure(self) -> bool:
        """Whether the place can be taken without asking."""
        return (
            self.confidence >= SURE
            and not self.choices
            and (self.kecamatan is not None or self.outside is not None)
        )


def find_place(text: str) -> PlaceMatch:
    """Reads the kecamatan, desa/kelurahan or outside place from a citizen's text.

    Args:
        text: Free text such as "depan kantor desa Bojong Nangka" or "SDN Kemiri 2, Kemiri".

    Returns:
        The place, a confidence, and choices when unsure.
    """
    kept = " ".join(text.split())[:MAX_TEXT_CHARS]
    words, parts = normalise_segments(text)
    words, parts = words[:MAX_WORDS], parts[:MAX_WORDS]
    hits = gazetteer.find_places(words, parts)
    covered = {index for hit in hits for index in range(hit.start, hit.end)}
    rest = [index for index in range(len(words)) if index not in covered]
    reading = read_kecamatan([words[i] for i in rest], [parts[i] for i in rest])
    positions = {name: rest[index] for name, index in reading.positions.items()}
    codes = gazetteer.postal_codes_in(words)
    code = codes[0] if codes else None
    if hits:
        hit = _primary(hits)
        places = _with_postal_code(hit.places, code)
        match = _combine(places, hit, reading, positions)
    elif code and gazetteer.places_with_postal_code(code):
        match = _from_postal_code(gazetteer.places_with_postal_code(code), reading.match)
    else:
        match = _from_reading(reading.match)
    return PlaceMatch(
        kecamatan=match.kecamatan,
        desa=match.desa,
        outside=match.outside,
        confidence=match.confidence,
        choices=match.choices[:MAX_CHOICES],
        text=kept,
        postal_code=code,
        landmark=match.landmark,
    )


def to_location_match(match: PlaceMatch) -> LocationMatch:
    """The kecamatan-level view of a place match (what `match_location` returns).

    Args:
        match: A `find_place` result.

    Returns:
        The kecamatan, outside code, confidence and up to 3 candidate kecamatan.
    """
    names = _unique(c.kecamatan for c in match.choices if c.kecamatan and c.outside is None)
    return LocationMatch(match.kecamatan, match.outside, match.confidence, names[:MAX_CANDIDATES])


# --- combining -----------------------------------------------------------------------


def _primary(hits: Sequence[PlaceHit]) -> PlaceHit:
    """The hit to go by: after "desa"/"kelurahan" first, then the best, then the first."""
    return max(
        hits, key=lambda hit: (hit.after_desa_word, hit.score, hit.end - hit.start, -hit.start)
    )


def _with_postal_code(places: tuple[Place, ...], code: str | None) -> tuple[Place, ...]:
    """The places that also have the postal code written, when some do."""
    if code is None:
        return places
    matching = tuple(place for place in places if place.postal_code == code)
    return matching or places


def _combine(
    places: tuple[Place, ...], hit: PlaceHit, reading: KecamatanReading, positions: dict[str, int]
) -> PlaceMatch:
    """The answer from a desa/landmark hit and the kecamatan read from the rest."""
    written = reading.match
    if written.kecamatan is not None:
        inside = [place for place in places if written.kecamatan in place.kecamatan]
        if inside:
            place = inside[0]
            confidence = round(max(written.confidence, hit.score), 3)
            return _place_match(place, written.kecamatan, confidence)
        if reading.explicit:
            return _from_reading(written)
        kecamatan_choice = _kecamatan_choice(written.kecamatan)
        place_choices = _choices_of(places)
        ordered = (
            [kecamatan_choice, *place_choices]
            if positions.get(written.kecamatan, 0) <= hit.start
            else [*place_choices, kecamatan_choice]
        )
        return PlaceMatch(None, _common_name(places), None, AMBIGUOUS_CONFIDENCE, ordered)
    if written.outside is not None:
        same_city = [place for place in places if place.outside == written.outside]
        if same_city:
            return _place_match(same_city[0], None, round(max(written.confidence, hit.score), 3))
        if all(place.outside for place in places) or reading.explicit:
            return _from_reading(written)
        choices = [*_choices_of(places), _outside_choice(written.outside)]
        return PlaceMatch(None, _common_name(places), None, AMBIGUOUS_CONFIDENCE, choices)
    if written.candidates and hit.score < SURE:
        places = tuple(p for p in places if set(p.kecamatan) & set(written.candidates)) or places
    return _only_places(places, hit.score)


def _only_places(places: tuple[Place, ...], score: float) -> PlaceMatch:
    """The answer from places alone (no kecamatan written)."""
    choices = _choices_of(places)
    if len(choices) == 1:
        place = places[0]
        kecamatan = place.kecamatan[0] if place.kecamatan else None
        match = _place_match(place, kecamatan, round(score, 3))
        if score < SURE:
            return _replace_choices(match, choices)
        return match
    landmark = places[0].name if all(p.kind == LANDMARK for p in places) else None
    return PlaceMatch(
        None, _common_name(places), None, AMBIGUOUS_CONFIDENCE, choices, landmark=landmark
    )


def _from_postal_code(places: tuple[Place, ...], written: LocationMatch) -> PlaceMatch:
    """The answer from a postal code (and whatever kecamatan the text names)."""
    if written.kecamatan is not None or written.outside is not None:
        return _from_reading(written)  # the name written says more than the code
    kecamatan = _unique(k for place in places for k in place.kecamatan)
    cities = _unique(place.outside for place in places if place.outside)
    if len(kecamatan) == 1 and not cities:
        desa = places[0].name if len(places) == 1 else None
        return PlaceMatch(kecamatan[0], desa, None, SURE)
    if cities and not kecamatan and len(cities) == 1:
        desa = places[0].name if len(places) == 1 else None
        return PlaceMatch(None, desa, cities[0], SURE)
    choices = [_kecamatan_choice(name) for name in kecamatan]
    choices += [_outside_choice(city) for city in cities]
    return PlaceMatch(None, None, None, AMBIGUOUS_CONFIDENCE, choices)


def _from_reading(match: LocationMatch) -> PlaceMatch:
    """The answer from the kecamatan matcher alone."""
    choices = [_kecamatan_choice(name) for name in match.candidates]
    return PlaceMatch(match.kecamatan, None, match.outside, match.confidence, choices)


def _place_match(place: Place, kecamatan: str | None, confidence: float) -> PlaceMatch:
    """A sure-or-not match of one place."""
    if place.kind == LANDMARK:
        if kecamatan is None and len(place.kecamatan) > 1:
            return PlaceMatch(
                None, None, None, AMBIGUOUS_CONFIDENCE, _choices_of((place,)), landmark=place.name
            )
        chosen = kecamatan or place.kecamatan[0]
        desa = place.desa if chosen == place.kecamatan[0] else None
        return PlaceMatch(chosen, desa, None, confidence, landmark=place.name)
    if place.outside is not None:
        return PlaceMatch(None, place.name, place.outside, confidence)
    return PlaceMatch(kecamatan or place.kecamatan[0], place.name, None, confidence)


def _replace_choices(match: PlaceMatch, choices: list[PlaceChoice]) -> PlaceMatch:
    """The same match with other choices."""
    return PlaceMatch(
        match.kecamatan,
        match.desa,
        match.outside,
        match.confidence,
        choices,
        landmark=match.landmark,
    )


# --- choices -------------------------------------------------------------------------


def _choices_of(places: Iterable[Place]) -> list[PlaceChoice]:
    """One choice per place and kecamatan (a landmark over two kecamatan gives two)."""
    choices: list[PlaceChoice] = []
    for place in places:
        if place.outside is not None:
            city = place.city or _CITY_NAMES.get(place.outside, place.outside)
            label = f"{place.name}, {city}"
            choices.append(PlaceChoice(None, place.name, place.outside, label))
            continue
        for kecamatan in place.kecamatan:
            desa = place.name if place.kind != LANDMARK else place.desa
            label = f"{place.name}, Kec. {kecamatan}"
            choices.append(PlaceChoice(kecamatan, desa, None, label))
    return list({choice.label: choice for choice in choices}.values())


def _kecamatan_choice(kecamatan: str) -> PlaceChoice:
    """A whole kecamatan as a choice."""
    return PlaceChoice(kecamatan, None, None, f"Kec. {kecamatan}")


def _outside_choice(code: str) -> PlaceChoice:
    """A city outside the regency as a choice."""
    return PlaceChoice(None, None, code, _CITY_NAMES.get(code, code))


def _common_name(places: Sequence[Place]) -> str | None:
    """The desa name all places share, else None."""
    names = {place.name for place in places if place.kind != LANDMARK}
    return names.pop() if len(names) == 1 and all(p.kind != LANDMARK for p in places) else None


def _unique(items: Iterable[str | None]) -> list[str]:
    """The items without repeats or None, in their first order."""
    return [item for item in dict.fromkeys(items) if item is not None]
