"""Which kecamatan of Kabupaten Tangerang (or which place outside it) a text names.

`read_kecamatan` is the matcher behind `actions.validators.location.match_location`: fuzzy,
typo tolerant, pure; data/kecamatan.yaml is read once, on first use.

Behaviour for ambiguous text (pinned by the tests):

* Words that are also ordinary words (kemiri = candlenut, jambe, kresek = plastic bag,
  curug = waterfall, dadap, bitung, jayanti; outside: benda, larangan, pinang, periuk, setu)
  count only when they look like a place: after a place word ("di", "kec", "daerah",
  "desa", "pasar", "raya", ...), before "tangerang"/"kabupaten"/"banten", or when the text
  is little more than the name. Otherwise ("beli kemiri di pasar") the kecamatan is only
  offered as a candidate, with a low confidence. They are also matched exactly, never
  fuzzily ("kemari" is not Kemiri), like short names ("mauk") and names one typo away
  from a common word ("solear"/"solar", "bogor"/"bocor", "depok"/"depot").
* The longest, most specific name wins: "sepatan timur" over "sepatan", "gading serpong"
  (Kelapa Dua) over "serpong" (Tangerang Selatan), "lippo karawaci" (Kelapa Dua) over
  "karawaci" (Kota Tangerang), "bsd cisauk" over "bsd" (Pagedangan).
* A name right after "kecamatan"/"kec" beats the others; an official kecamatan name beats
  a landmark alias ("gading serpong pagedangan" is Pagedangan). Two different kecamatan
  named equally strongly ("dari cikupa ke balaraja") give no kecamatan, confidence 0.5
  and both as candidates, so the bot asks.
* A regency kecamatan together with a place outside ("bsd serpong") gives the kecamatan
  with the confidence capped at 0.6 (the bot should confirm).
* "serang" alone is not a place (Jl. Raya Serang runs through the regency): only "kota
  serang", "serang kota" or "kabupaten serang" are elsewhere. "tangerang" alone is
  neither inside nor outside; "kota tangerang" is outside. "tgr" is Tigaraksa (as in
  data/kecamatan.yaml) except after "kota"/"kab", where it is Tangerang.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from rapidfuzz.distance import OSA

from actions.places import data
from actions.places.data import read_yaml
from actions.places.words import SpellingIndex, normalise_segments, normalise_words

#: Outside codes.
KOTA_TANGERANG: Final = "kota_tangerang"
TANGERANG_SELATAN: Final = "tangerang_selatan"
ELSEWHERE: Final = "elsewhere"

#: A match at or above this confidence needs no confirmation (no candidates are given).
SURE: Final = 0.9
#: Confidence given to a place word that did not look like a place ("beli kemiri").
WEAK_CONFIDENCE: Final = 0.3
#: Confidence when two kecamatan are named equally strongly.
AMBIGUOUS_CONFIDENCE: Final = 0.5
#: Cap on the confidence when a place outside the regency is named too.
MIXED_CONFIDENCE: Final = 0.6
#: A kecamatan at least this similar to a word of the text is offered as a candidate.
CANDIDATE_SIMILARITY: Final = 0.7
MAX_CANDIDATES: Final = 3
#: In a text of more words, a name read with a typo needs a place word before it.
LONG_TEXT_WORDS: Final = 10
#: Only the first words of a very long answer are searched.
MAX_WORDS: Final = 60

_PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
_DEFAULT_KECAMATAN_FILE: Final = _PROJECT_ROOT / "data" / "kecamatan.yaml"

# Cue levels: how much context a name needs before it counts.
_NO_CUE: Final = "none"
_PLACE_CUE: Final = "place"
_ALONE_CUE: Final = "alone"

#: Kecamatan names and aliases that are also ordinary words.
_COMMON_WORD_NAMES: Final = frozenset(
    {"jambe", "kemiri", "kresek", "curug", "dadap", "bitung", "jayanti"}
)
#: Regencies and cities elsewhere whose names are ordinary words or ours in another sense.
_ORDINARY_CITIES: Final = frozenset(
    {"kuningan", "ketapang", "karanganyar", "jombang", "kotabaru", "pematangsiantar",
     "sawahlunto", "belitung", "batanghari", "banjarbaru", "pariaman", "sukamara"}
)  # fmt: skip
#: City names never read as a place elsewhere ("serang": Jl. Raya Serang; see above).
_NOT_CITIES: Final = frozenset({"serang", "tangerang", "tangerangselatan", "jakarta"})
#: Names one typo away from a common word: matched exactly only.
_EXACT_ONLY_NAMES: Final = frozenset({"solear", "bogor", "depok", "benda", "setu", "lebak"})

#: Words before a name that say "this is a place".
_PLACE_WORDS_BEFORE: Final = frozenset(
    {
        "di", "ke", "dari", "daerah", "wilayah", "kawasan", "area", "sekitar", "dekat",
        "kecamatan", "desa", "kelurahan", "kel", "kampung", "perumahan", "pasar", "raya",
        "arah", "lokasi", "alamat", "kota", "kabupaten", "in", "at", "near", "simpang",
        "pertigaan", "perempatan", "bundaran", "stasiun", "terminal", "puskesmas",
    }
)  # fmt: skip
#: Words after a name that say "this is a place".
_PLACE_WORDS_AFTER: Final = frozenset({"tangerang", "kabupaten", "banten", "kecamatan"})
#: Words that may surround a name that is given "alone".
_FILLER_WORDS: Final = (
    _PLACE_WORDS_BEFORE
    | _PLACE_WORDS_AFTER
    | frozenset({"saya", "aku", "rumah", "tinggal", "ya", "kak", "pak", "bu", "min", "nya"})
)
#: Words before a name that make it a village or street name (weaker evidence); also
#: "jalan raya X".
_MINOR_PLACE_WORDS: Final = frozenset(
    {"desa", "kelurahan", "kampung", "jalan", "gang", "perumahan"}
)

#: (spelling, outside code, cue level). Matched like kecamatan names.
_OUTSIDE_PLACES: Final[tuple[tuple[str, str, str], ...]] = (
    # Kota Tangerang: its 13 kecamatan, the city and landmarks.
    ("kota tangerang", KOTA_TANGERANG, _NO_CUE),
    ("kecamatan tangerang", KOTA_TANGERANG, _NO_CUE),
    ("batuceper", KOTA_TANGERANG, _NO_CUE),
    ("batu ceper", KOTA_TANGERANG, _NO_CUE),
    ("benda", KOTA_TANGERANG, _PLACE_CUE),
    ("cibodas", KOTA_TANGERANG, _NO_CUE),
    ("ciledug", KOTA_TANGERANG, _NO_CUE),
    ("cileduk", KOTA_TANGERANG, _NO_CUE),
    ("cipondoh", KOTA_TANGERANG, _NO_CUE),
    ("jatiuwung", KOTA_TANGERANG, _NO_CUE),
    ("karang tengah", KOTA_TANGERANG, _NO_CUE),
    ("karawaci", KOTA_TANGERANG, _NO_CUE),
    ("larangan", KOTA_TANGERANG, _PLACE_CUE),
    ("neglasari", KOTA_TANGERANG, _NO_CUE),
    ("periuk", KOTA_TANGERANG, _PLACE_CUE),
    ("pinang", KOTA_TANGERANG, _PLACE_CUE),
    ("bandara soetta", KOTA_TANGERANG, _NO_CUE),
    ("soetta", KOTA_TANGERANG, _NO_CUE),
    ("soekarno hatta", KOTA_TANGERANG, _NO_CUE),
    ("bandara soekarno hatta", KOTA_TANGERANG, _NO_CUE),
    ("poris", KOTA_TANGERANG, _NO_CUE),
    ("cikokol", KOTA_TANGERANG, _NO_CUE),
    # Kota Tangerang Selatan: its 7 kecamatan, the city and Bintaro.
    ("tangerang selatan", TANGERANG_SELATAN, _NO_CUE),
    ("kota tangerang selatan", TANGERANG_SELATAN, _NO_CUE),
    ("tangsel", TANGERANG_SELATAN, _NO_CUE),
    ("ciputat", TANGERANG_SELATAN, _NO_CUE),
    ("ciputat timur", TANGERANG_SELATAN, _NO_CUE),
    ("pamulang", TANGERANG_SELATAN, _NO_CUE),
    ("pondok aren", TANGERANG_SELATAN, _NO_CUE),
    ("serpong", TANGERANG_SELATAN, _NO_CUE),
    ("serpong utara", TANGERANG_SELATAN, _NO_CUE),
    ("setu", TANGERANG_SELATAN, _PLACE_CUE),
    ("bintaro", TANGERANG_SELATAN, _NO_CUE),
    # Other cities and regencies.
    ("jakarta", ELSEWHERE, _NO_CUE),
    ("dki", ELSEWHERE, _NO_CUE),
    ("jakbar", ELSEWHERE, _NO_CUE),
    ("jakut", ELSEWHERE, _NO_CUE),
    ("jaksel", ELSEWHERE, _NO_CUE),
    ("jaktim", ELSEWHERE, _NO_CUE),
    ("jakpus", ELSEWHERE, _NO_CUE),
    ("cengkareng", ELSEWHERE, _NO_CUE),
    ("kalideres", ELSEWHERE, _NO_CUE),
    ("bekasi", ELSEWHERE, _NO_CUE),
    ("bogor", ELSEWHERE, _NO_CUE),
    ("depok", ELSEWHERE, _NO_CUE),
    ("kota serang", ELSEWHERE, _NO_CUE),
    ("serang kota", ELSEWHERE, _NO_CUE),
    ("kabupaten serang", ELSEWHERE, _NO_CUE),
    ("cilegon", ELSEWHERE, _NO_CUE),
    ("lebak", ELSEWHERE, _ALONE_CUE),
    ("kabupaten lebak", ELSEWHERE, _NO_CUE),
    ("rangkasbitung", ELSEWHERE, _NO_CUE),
    ("pandeglang", ELSEWHERE, _NO_CUE),
    ("bandung", ELSEWHERE, _NO_CUE),
)


@dataclass(frozen=True)
class LocationMatch:
    """The place read from a citizen's answer.

    Attributes:
        kecamatan: Official name of the regency's kecamatan, or None.
        outside: "kota_tangerang", "tangerang_selatan" or "elsewhere" when the place is
            outside the regency's authority, else None.
        confidence: 0..1; 1.0 for an exact name, less for a typo or an ambiguity.
        candidates: Up to 3 kecamatan names to offer when unsure (confidence below
            `SURE`), best first; empty when sure or when nothing looks like a kecamatan.
    """

    kecamatan: str | None
    outside: str | None
    confidence: float
    candidates: list[str]


@dataclass(frozen=True)
class KecamatanReading:
    """What `read_kecamatan` found, with where, for combining with a desa.

    Attributes:
        match: The answer as `match_location` gives it.
        explicit: Whether the kecamatan was written right after "kecamatan"/"kec".
        positions: Word index of each kecamatan or outside code read convincingly.
    """

    match: LocationMatch
    explicit: bool = False
    positions: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Pattern:
    """One spelling of a place, normalised."""

    words: tuple[str, ...]
    target: str  # kecamatan name, or outside code
    outside: bool
    official: bool  # the kecamatan's own name (not an alias or landmark)
    fuzzy: bool
    cue: str

    @property
    def joined(self) -> str:
        """The spelling without spaces ("pasarkemis")."""
        return "".join(self.words)


@dataclass(frozen=True)
class _Hit:
    """A pattern found in the text."""

    pattern: _Pattern
    start: int
    end: int
    score: float
    strong: bool  # the context says it is a place
    tier: int  # 2 after "kecamatan", 0 after "desa"/"jalan"/..., else 1

    @property
    def size(self) -> int:
        """Number of words covered."""
        return self.end - self.start

    def inside(self, other: _Hit) -> bool:
        """Whether a more specific `other` hit covers this one ("sepatan" in "sepatan timur").

        The other spelling must be longer: "20 balaraja" read fuzzily as "balaraja" does
        not hide the exact "balaraja" inside it.
        """
        return (
            other.start <= self.start
            and self.end <= other.end
            and len(other.pattern.joined) > len(self.pattern.joined)
            and other.score >= self.score
        )


# --- public API ----------------------------------------------------------------------


def match_kecamatan(text: str) -> LocationMatch:
    """Finds the kecamatan (or the place outside the regency) a citizen wrote.

    Args:
        text: Free text such as "depan pasar curug" or "jl raya serang km 20 balaraja".

    Returns:
        The kecamatan or the outside code, a confidence and, when unsure, candidates.
    """
    words, segments = normalise_segments(text)
    return read_kecamatan(words, segments).match


def read_kecamatan(words: list[str], segments: list[int] | None = None) -> KecamatanReading:
    """The kecamatan-level reading of normalised words (see the module docstring).

    Args:
        words: Normalised words (`normalise_segments`); only the first `MAX_WORDS` count.
        segments: The comma-separated part of each word; a name that fills its part is
            read as a place. None: the words are one part.

    Returns:
        The match, whether it was explicit, and where the names were.
    """
    words = words[:MAX_WORDS]
    parts = (segments or [0] * len(words))[: len(words)]
    hits = _drop_contained(_find_hits(words, parts))
    strong = [hit for hit in hits if hit.strong]
    inside = [hit for hit in strong if not hit.pattern.outside]
    outside = [hit for hit in strong if hit.pattern.outside]
    positions: dict[str, int] = {}
    for hit in sorted(strong, key=lambda hit: hit.start):
        positions.setdefault(hit.pattern.target, hit.start)
    if inside:
        match, explicit = _inside_match(inside, outside, words)
        return KecamatanReading(match, explicit, positions)
    if outside:
        best = max(outside, key=lambda hit: (hit.tier, hit.score, hit.size, -hit.start))
        match = LocationMatch(None, best.pattern.target, round(best.score, 3), [])
        return KecamatanReading(match, best.tier == 2, positions)
    weak = [hit.pattern.target for hit in hits if not hit.pattern.outside]
    candidates = _unique([*weak, *_near_names(words)])[:MAX_CANDIDATES]
    confidence = WEAK_CONFIDENCE if weak else 0.0
    return KecamatanReading(LocationMatch(None, None, confidence, candidates), False, positions)


def kecamatan_names() -> tuple[str, ...]:
    """The official names of the regency's kecamatan, in the data file's order.

    Returns:
        The 29 names.
    """
    return tuple(name for name, _ in _kecamatan_data())


def kecamatan_spellings() -> frozenset[str]:
    """Every spelling of a kecamatan or of a place outside, joined ("pasarkemis")."""
    return frozenset(pattern.joined for pattern in _patterns())


def clear_caches() -> None:
    """Forgets the kecamatan file read so far (for tests that set ``KECAMATAN_FILE``)."""
    _kecamatan_data.cache_clear()
    _patterns.cache_clear()
    _index.cache_clear()
    _names_elsewhere.cache_clear()
    _our_desa_spellings.cache_clear()


# --- text matching -------------------------------------------------------------------


def _allowed_edits(pattern: _Pattern) -> int:
    """How many typos a spelling tolerates (none for short or common-word names)."""
    length = len(pattern.joined)
    if not pattern.fuzzy or length <= 4:
        return 0
    if length <= 7:
        return 1
    if length <= 11:
        return 2
    return 3


def _find_hits(words: list[str], parts: list[int]) -> list[_Hit]:
    """Every pattern found in the words, exactly or with a few typos."""
    hits: list[_Hit] = []
    for pattern, start, n, candidate in _index().candidates(words):
        allowed = _allowed_edits(pattern)
        target = pattern.joined
        distance = OSA.distance(candidate, target, score_cutoff=allowed)
        if distance and is_name_elsewhere(words[start : start + n]):
            continue  # "lamongan" is a regency, not a typo of Panongan
        if distance <= allowed:
            score = 1.0 - distance / max(len(candidate), len(target))
            hits.append(_make_hit(pattern, words, parts, (start, start + n), score))
    return hits


@functools.cache
def _index() -> SpellingIndex[_Pattern]:
    """The patterns, indexed by shape."""
    return SpellingIndex([(p.words, _allowed_edits(p), p) for p in _patterns()])


def _make_hit(
    pattern: _Pattern, words: list[str], parts: list[int], span: tuple[int, int], score: float
) -> _Hit:
    """A hit with its context judged."""
    start, end = span
    before = words[start - 1] if start > 0 else ""
    before2 = words[start - 2] if start > 1 else ""
    minor = before in _MINOR_PLACE_WORDS or (before == "raya" and before2 == "jalan")
    tier = 2 if before == "kecamatan" else 0 if minor else 1
    fills_part = _fills_its_part(pattern.cue, words, parts, start, end)
    strong = _context_ok(pattern.cue, words, start, end) or fills_part
    if score < 1.0 and len(words) > LONG_TEXT_WORDS:
        # In a long text a near miss is more often another word ("sepatah", "semarang
        # timur") than a typo: it needs a place word before it.
        strong = strong and (before in _PLACE_WORDS_BEFORE or fills_part)
    return _Hit(pattern, start, end, score, strong, tier)


def _context_ok(cue: str, words: list[str], start: int, end: int) -> bool:
    """Whether the words around a name make it a place, for the name's cue level."""
    if cue == _NO_CUE:
        return True
    rest = words[:start] + words[end:]
    if all(word in _FILLER_WORDS for word in rest):
        return True  # the name alone, give or take "kec", "di", "tangerang"
    before = words[start - 1] if start > 0 else ""
    if cue == _ALONE_CUE:
        return before in {"kabupaten", "kota"}
    after = words[end] if end < len(words) else ""
    return before in _PLACE_WORDS_BEFORE or after in _PLACE_WORDS_AFTER


def _fills_its_part(cue: str, words: list[str], parts: list[int], start: int, end: int) -> bool:
    """Whether a name (not one needing "kabupaten"/"kota") fills its comma-separated part.

    "SDN Kemiri 2, Kemiri": the second "Kemiri" is written as an address part.
    """
    if cue == _ALONE_CUE or len(set(parts)) < 2:
        return False
    part = parts[start]
    if parts[end - 1] != part:
        return False
    rest = [w for i, w in enumerate(words) if parts[i] == part and not start <= i < end]
    return all(word in _FILLER_WORDS for word in rest)


def _drop_contained(hits: list[_Hit]) -> list[_Hit]:
    """Hits not covered by a longer (or same-span, better) strong hit."""
    strong = [hit for hit in hits if hit.strong]
    return [hit for hit in hits if not any(hit.inside(other) for other in strong)]


def _inside_match(
    inside: list[_Hit], outside: list[_Hit], words: list[str]
) -> tuple[LocationMatch, bool]:
    """The answer when at least one regency kecamatan was named convincingly.

    Returns:
        The match, and whether its kecamatan was written after "kecamatan".
    """
    top_tier = max(hit.tier for hit in inside)
    best_by_target: dict[str, _Hit] = {}
    for hit in sorted(inside, key=lambda hit: hit.start):
        if hit.tier != top_tier:
            continue
        current = best_by_target.get(hit.pattern.target)
        if current is None or _rank(hit) > _rank(current):
            best_by_target[hit.pattern.target] = hit
    top_score = max(hit.score for hit in best_by_target.values())
    rivals = [hit for hit in best_by_target.values() if hit.score >= top_score - 0.05]
    if any(hit.pattern.official for hit in rivals):
        rivals = [hit for hit in rivals if hit.pattern.official]
    if len(rivals) > 1:
        names = [hit.pattern.target for hit in sorted(rivals, key=lambda hit: hit.start)]
        return LocationMatch(None, None, AMBIGUOUS_CONFIDENCE, names[:MAX_CANDIDATES]), False
    best = max(rivals, key=_rank)
    confidence = round(best.score, 3)
    if outside:
        confidence = min(confidence, MIXED_CONFIDENCE)
    candidates: list[str] = []
    if confidence < SURE:
        candidates = _unique([best.pattern.target, *_near_names(words)])[:MAX_CANDIDATES]
    return LocationMatch(best.pattern.target, None, confidence, candidates), best.tier == 2


def _rank(hit: _Hit) -> tuple[float, bool, int]:
    """Ordering of hits for one place: score, then official name, then length."""
    return (hit.score, hit.pattern.official, hit.size)


def _near_names(words: list[str]) -> list[str]:
    """Kecamatan whose spellings resemble some words of the text, most similar first."""
    best: dict[str, float] = {}
    for pattern in _patterns():
        if pattern.outside or len(pattern.joined) < 5:
            continue
        size = len(pattern.words)
        for n in range(max(1, size - 1), min(size + 1, len(words)) + 1):
            for start in range(len(words) - n + 1):
                candidate = "".join(words[start : start + n])
                similarity = OSA.normalized_similarity(candidate, pattern.joined)
                if similarity >= CANDIDATE_SIMILARITY:
                    best[pattern.target] = max(best.get(pattern.target, 0.0), similarity)
    return sorted(best, key=lambda name: -best[name])


def _unique(items: Iterable[str]) -> list[str]:
    """The items without repeats, in their first order."""
    return list(dict.fromkeys(items))


# --- data ----------------------------------------------------------------------------


def _kecamatan_file() -> Path:
    """Path of the kecamatan list ($KECAMATAN_FILE or data/kecamatan.yaml)."""
    return Path(os.environ.get("KECAMATAN_FILE") or _DEFAULT_KECAMATAN_FILE)


@functools.lru_cache(maxsize=1)
def _kecamatan_data() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(name, aliases) of every kecamatan, read once.

    Raises:
        ValueError: When the file does not list kecamatan with string names and aliases.
    """
    path = _kecamatan_file()
    entries = read_yaml(path).get("kecamatan")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: expected a non-empty 'kecamatan' list")
    data: list[tuple[str, tuple[str, ...]]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: bad kecamatan entry {entry!r}")
        name, aliases = entry.get("name"), entry.get("aliases") or []
        if not isinstance(name, str) or not isinstance(aliases, list):
            raise ValueError(f"{path}: bad kecamatan entry {entry!r}")
        data.append((name, tuple(str(alias) for alias in aliases)))
    return tuple(data)


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[_Pattern, ...]:
    """Every spelling to look for: kecamatan names and aliases, then outside places."""
    patterns: dict[tuple[str, str], _Pattern] = {}
    for name, aliases in _kecamatan_data():
        for index, spelling in enumerate((name, *aliases)):
            pattern = _pattern(spelling, name, outside=False, official=index == 0)
            patterns.setdefault((pattern.joined, name), pattern)
    for spelling, code, cue in _OUTSIDE_PLACES:
        pattern = _pattern(spelling, code, outside=True, official=False, cue=cue)
        patterns.setdefault((pattern.joined, code), pattern)
    ours = {joined for joined, _ in patterns} | _our_desa_spellings()
    for city in data.elsewhere_names()[0]:
        pattern = _city_pattern(city)
        if pattern.joined not in ours and pattern.joined not in _NOT_CITIES:
            patterns.setdefault((pattern.joined, ELSEWHERE), pattern)
    return tuple(patterns.values())


def _city_pattern(city: str) -> _Pattern:
    """A regency or city elsewhere in Indonesia: exact only; short names need a place cue.

    "Purwakarta", "Lamongan" count anywhere; "Malang", "Batu", "Tegal", "Padang" (also
    ordinary words) and names of several words only after "di", "kota", ... or alone.
    """
    words = tuple(normalise_words(city))
    joined = "".join(words)
    anywhere = len(words) == 1 and len(joined) >= 7 and joined not in _ORDINARY_CITIES
    cue = _NO_CUE if anywhere else _PLACE_CUE
    return _Pattern(words, ELSEWHERE, outside=True, official=False, fuzzy=False, cue=cue)


def is_name_elsewhere(words: Sequence[str]) -> bool:
    """Whether words are the name of a regency, city or kecamatan elsewhere in Indonesia.

    A typo-tolerant match never reads such a name as one of ours. Also true when one of
    several words (of 5 letters or more) is such a name ("kota semarang").

    Args:
        words: Normalised words.

    Returns:
        Whether they name a place elsewhere.
    """
    names = _names_elsewhere()
    if "".join(words) in names:
        return True
    return len(words) > 1 and any(len(word) >= 5 and word in names for word in words)


@functools.lru_cache(maxsize=1)
def _names_elsewhere() -> frozenset[str]:
    """Joined names of every regency, city and kecamatan elsewhere, less ours."""
    cities, kecamatan = data.elsewhere_names()
    names = {"".join(normalise_words(name)) for name in (*cities, *kecamatan)}
    ours = {"".join(normalise_words(name)) for name in kecamatan_names()}
    return frozenset(names - ours - _our_desa_spellings())


@functools.lru_cache(maxsize=1)
def _our_desa_spellings() -> frozenset[str]:
    """Joined names of the desa/kelurahan of the regency and the two cities (data/places.yaml)."""
    document = data.places_document()
    cities = [document.get("regency") or {}, *(document.get("outside") or [])]
    return frozenset(
        "".join(normalise_words(str(desa["name"])))
        for city in cities
        if city.get("code") != ELSEWHERE
        for kecamatan in city.get("kecamatan") or []
        for desa in kecamatan.get("desa") or []
    )


def _pattern(
    spelling: str, target: str, *, outside: bool, official: bool, cue: str = _NO_CUE
) -> _Pattern:
    """A normalised pattern; common-word spellings get a place cue and no fuzziness."""
    words = tuple(normalise_words(spelling))
    joined = "".join(words)
    common = joined in _COMMON_WORD_NAMES
    fuzzy = not common and joined not in _EXACT_ONLY_NAMES and (not outside or len(joined) >= 7)
    return _Pattern(
        words=words,
        target=target,
        outside=outside,
        official=official,
        fuzzy=fuzzy,
        cue=_PLACE_CUE if common and cue == _NO_CUE else cue,
    )
