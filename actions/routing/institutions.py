"""Which national institution, if any, a complaint names (BPJS, PLN, Pertamina, ...).

A complaint about a national service is still routed by its topic (a BPJS Kesehatan
card refused at a puskesmas is `kesehatan`), but the bot should tell the citizen honestly
that the body responsible is national. This module finds such bodies by name or by a
service only they provide (``jht`` -> BPJS Ketenagakerjaan, ``paspor`` -> Imigrasi).

Everything here is pure and works on text already passed through
`actions.routing.normalise.normalise` (lower case, no punctuation, abbreviations expanded).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

#: The generic name used when a text says only "BPJS" and nothing tells which one.
BPJS_GENERIC: Final = "BPJS"
BPJS_HEALTH: Final = "BPJS Kesehatan"
BPJS_EMPLOYMENT: Final = "BPJS Ketenagakerjaan"


@dataclass(frozen=True)
class Institution:
    """A national body or state company and the words that name it.

    Attributes:
        name: The name to show the citizen, e.g. ``"PLN"``.
        pattern: A regex over normalised text that names the body or its service.
        categories: Complaint categories it is usually about (breaks ties when a text
            names several bodies).
    """

    name: str
    pattern: re.Pattern[str]
    categories: frozenset[str]


def _institution(name: str, words: Sequence[str], *categories: str) -> Institution:
    """An `Institution` whose pattern matches any of `words` as whole words."""
    alternatives = "|".join(sorted(words, key=len, reverse=True))
    return Institution(name, re.compile(rf"\b(?:{alternatives})\b"), frozenset(categories))


#: The national bodies the detector knows, each with its naming words (regex pieces).
INSTITUTIONS: Final[tuple[Institution, ...]] = (
    _institution(
        BPJS_HEALTH,
        [
            r"bpjs kesehatan",
            r"bpjs kes",
            r"jkn",
            r"jkn kis",
            r"kis",
            r"kartu indonesia sehat",
            r"jaminan kesehatan nasional",
            r"askes",
            r"jamkesmas",
            r"bpjs pbi",
            r"faskes",
            r"denda pelayanan",
        ],
        "kesehatan",
    ),
    _institution(
        BPJS_EMPLOYMENT,
        [
            r"bpjs ketenagakerjaan",
            r"bpjs tenaga kerja",
            r"bpjs tk",
            r"bpjstk",
            r"bpjamsostek",
            r"bp jamsostek",
            r"jamsostek",
            r"jht",
            r"jaminan hari tua",
            r"jkk",
            r"jaminan kehilangan pekerjaan",
        ],
        "ketenagakerjaan",
    ),
    _institution(BPJS_GENERIC, [r"bpjs"], "kesehatan", "ketenagakerjaan"),
    _institution(
        "PLN",
        [
            r"pln",
            r"listrik",
            r"token listrik",
            r"kwh meter",
            r"meteran listrik",
        ],
        "lainnya",
    ),
    _institution(
        "Pertamina",
        [
            r"pertamina",
            r"elpiji",
            r"lpg",
            r"gas melon",
            r"gas 3 kg",
            r"gas 3 kilo",
            r"tabung gas 3",
            r"pertalite",
            r"bbm subsidi",
            r"solar subsidi",
        ],
        "lainnya",
    ),
    _institution(
        "Pos Indonesia",
        [
            r"pos indonesia",
            r"kantor pos",
            r"paket pos",
            r"kiriman pos",
            r"jasa pos",
            r"layanan pos",
            r"wesel pos",
            r"ems",
        ],
        "lainnya",
    ),
    _institution(
        "PT KAI",
        [
            r"kai",
            r"kereta api",
            r"krl",
            r"commuter line",
            r"kereta commuter",
            r"commuterline",
            r"stasiun kereta",
        ],
        "lalu_lintas",
    ),
    _institution(
        "Pengelola jalan tol",
        [r"jalan tol", r"gerbang tol", r"pintu tol", r"gardu tol", r"jasa marga", r"tarif tol"],
        "lalu_lintas",
        "jalan_jembatan",
    ),
    _institution(
        "Kepolisian (Polri)",
        [
            r"polisi(?! tidur)",
            r"kepolisian",
            r"polsek",
            r"polres",
            r"polresta",
            r"polda",
            r"polri",
            r"satlantas",
            r"skck",
            r"bpkb",
            r"stnk",
            r"samsat",
            r"tilang",
            r"satpas",
        ],
        "lalu_lintas",
        "ketertiban",
        "lainnya",
    ),
    _institution(
        "Imigrasi",
        [r"imigrasi", r"paspor", r"e paspor", r"epaspor", r"kitas"],
        "lainnya",
    ),
    _institution(
        "Direktorat Jenderal Pajak",
        [
            r"npwp",
            r"djp",
            r"dirjen pajak",
            r"direktorat jenderal pajak",
            r"kantor pajak",
            r"kpp pratama",
            r"efiling",
            r"e filing",
            r"spt tahunan",
            r"pph",
        ],
        "lainnya",
    ),
    _institution(
        "Kementerian Agama",
        [
            r"kemenag",
            r"kementerian agama",
            r"kementrian agama",
            r"kua",
            r"depag",
            r"ibadah haji",
            r"jemaah haji",
            r"calon haji",
            r"porsi haji",
        ],
        "lainnya",
        "pendidikan",
        "pungli_aparatur",
    ),
    _institution(
        "Kemendikbudristek",
        [
            r"kemendikbud",
            r"kemdikbud",
            r"kemendikbudristek",
            r"kemenristekdikti",
            r"dikti",
            r"pddikti",
            r"forlap",
            r"lldikti",
            r"kopertis",
            r"bidikmisi",
            r"kip kuliah",
            r"nuptk",
            r"program indonesia pintar",
            r"pip",
            r"kip",
            r"kartu indonesia pintar",
            r"beasiswa ppa",
        ],
        "pendidikan",
    ),
    _institution(
        "Kementerian Sosial",
        [r"kemensos", r"kementerian sosial", r"kementrian sosial", r"mensos"],
        "sosial",
    ),
    _institution(
        "Kementerian Ketenagakerjaan",
        [r"kemnaker", r"kemenaker", r"kementerian ketenagakerjaan", r"prakerja"],
        "ketenagakerjaan",
    ),
    _institution(
        "Telkom Indonesia",
        [r"telkom", r"indihome", r"telkomsel"],
        "lainnya",
    ),
    _institution(
        "Badan Pertanahan Nasional",
        [r"bpn", r"badan pertanahan", r"kantor pertanahan", r"atr bpn", r"ptsl"],
        "lainnya",
        "tata_ruang",
    ),
    _institution("Bulog", [r"bulog"], "sosial", "lainnya"),
)

#: Words that tell a bare "BPJS" is about employment rather than health insurance.
_EMPLOYMENT_CUES: Final = re.compile(
    r"\b(?:klaim|eklaim|pencairan|dicairkan|mencairkan|cair|saldo|kpj|phk|resign"
    r"|berhenti bekerja|perusahaan|pekerja|karyawan|buruh|pensiun)\b"
)
#: Words that tell a bare "BPJS" is about health insurance.
_HEALTH_CUES: Final = re.compile(
    r"\b(?:berobat|rumah sakit|rs|rsud|puskesmas|faskes|klinik|dokter|pasien|rawat"
    r"|rujukan|obat|iuran|denda|kelas|kartu|peserta|kepesertaan|pbi|mandiri)\b"
)


#: Words before a name that make it a place, not the subject (``dekat pln``, ``kolong tol``).
_LOCATIVE_WORDS: Final = frozenset(
    {
        "dekat",
        "dkt",
        "depan",
        "samping",
        "sebelah",
        "seberang",
        "belakang",
        "kolong",
        "bawah",
        "atas",
        "arah",
        "menuju",
        "sekitar",
        "non",
        "exit",
        "keluar",
        "masuk",
    }
)


#: Buildings that may stand between a word of place and a name (``dekat kantor pln``).
_BUILDING_WORDS: Final = frozenset({"kantor", "gedung", "gardu", "stasiun", "gerbang", "pintu"})


def _is_place(before: Sequence[str]) -> bool:
    """Whether the words before a name make it a place (``depan``, ``dekat kantor``)."""
    if before and before[-1] in _LOCATIVE_WORDS:
        return True
    return len(before) >= 2 and before[-1] in _BUILDING_WORDS and before[-2] in _LOCATIVE_WORDS


def _first_mention(institution: Institution, normalised: str) -> int | None:
    """Where `institution` is first named as a subject, or None (places are skipped)."""
    for match in institution.pattern.finditer(normalised):
        if not _is_place(normalised[: match.start()].split()[-2:]):
            return match.start()
    return None


def mentioned(normalised: str) -> list[Institution]:
    """The institutions a normalised text names, in the order of their first mention.

    A name right after a word of place (``dekat``, ``depan``, ``kolong`` ..., also
    ``dekat kantor``) only locates the problem and does not count.

    Args:
        normalised: Output of `normalise`.

    Returns:
        Every matching institution once, earliest first.
    """
    found: list[tuple[int, int, Institution]] = []
    for rank, institution in enumerate(INSTITUTIONS):
        start = _first_mention(institution, normalised)
        if start is not None:
            found.append((start, rank, institution))
    return [institution for _, _, institution in sorted(found, key=lambda item: item[:2])]


def _resolve_bpjs(normalised: str, category: str) -> str:
    """Which BPJS a text that says only "BPJS" means."""
    if category == "kesehatan":
        return BPJS_HEALTH
    if category == "ketenagakerjaan":
        return BPJS_EMPLOYMENT
    employment = len(_EMPLOYMENT_CUES.findall(normalised))
    health = len(_HEALTH_CUES.findall(normalised))
    if employment > health:
        return BPJS_EMPLOYMENT
    if health > employment:
        return BPJS_HEALTH
    return BPJS_GENERIC


def national_institution(normalised: str, category: str) -> str | None:
    """The national institution a complaint names, to tell the citizen who handles it.

    When several are named, the first one whose usual categories include `category`
    wins, else the first one mentioned. A bare "BPJS" is resolved to BPJS Kesehatan or
    BPJS Ketenagakerjaan from the category or the surrounding words.

    Args:
        normalised: The complaint after `normalise`.
        category: The category the classifier chose.

    Returns:
        The institution's name, or None when the text names no national body.
    """
    candidates = mentioned(normalised)
    if not candidates:
        return None
    specific = [c for c in candidates if c.name != BPJS_GENERIC]
    fitting = [c for c in candidates if category in c.categories]
    chosen = (fitting or candidates)[0]
    if chosen.name == BPJS_GENERIC:
        bpjs_specific = [c for c in specific if c.name in (BPJS_HEALTH, BPJS_EMPLOYMENT)]
        if bpjs_specific:
            return bpjs_specific[0].name
        return _resolve_bpjs(normalised, category)
    return chosen.name
