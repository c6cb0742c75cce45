"""Is someone in danger right now? The check behind the "call 112" alert.

An emergency is danger to PEOPLE, now: a fire, someone drowning, trapped, unconscious
or being attacked, a crime in progress. A collapsed bamboo bridge or school roof with
nobody hurt or in danger is an ordinary (urgent) report, not a 112 call, so damage
words count only together with a person at risk, and "tidak ada korban" (nobody hurt)
takes the alarm away from damage words (never from fire, drowning or violence), as
does "sering" (accidents that keep happening at a spot are a report about the spot).

A second message right after the alert ("112 gk nyambung", "udah telpon gak
diangkat") asks for other numbers: `asks_other_numbers`.
"""

from __future__ import annotations

import re

_FLAGS = re.IGNORECASE

# Danger to people in itself: fire, drowning, medical, violence, crime in progress.
_ALWAYS = re.compile(
    r"\b("
    r"kebakaran|terbakar|api (?:besar|membesar|menyebar)|asap tebal|"
    r"tenggelam|hanyut|terseret arus|kelelep|"
    r"pingsan|tidak sadarkan diri|gak sadar|ga sadar|nggak sadar|sesak napas|sesak nafas|"
    r"kejang|serangan jantung|pendarahan|berdarah|sekarat|"
    r"korban jiwa|meninggal di tempat|"
    r"begal|dibegal|perampok\w*|dirampok|penjambretan|dijambret|"
    r"(?:ada )?maling (?:masuk|lagi|sedang|di dalam)|pencurian sedang|"
    r"ditusuk|dibacok|penusukan|pembacokan|tawuran|dianiaya|penganiayaan|dipukuli|"
    r"penculikan|diculik|sandera|bunuh diri|mau loncat|"
    r"terjebak|tertimbun|tertimpa|terjepit|"
    r"fire|on fire|drowning|unconscious|not breathing|heart attack|bleeding|"
    r"robbery|being robbed|being attacked|stabbed|kidnapp\w*|trapped|"
    r"darurat|emergency"
    r")\b",
    _FLAGS,
)
# Damage words: an emergency only with someone at risk in the same message.
_DAMAGE = re.compile(
    r"\b(ambruk|roboh|runtuh|rubuh|longsor|amblas|ambles|jebol|jembatan putus|"
    r"kabel (?:listrik )?putus|collapsed?|"
    r"banjir bandang|banjir setinggi|air naik|meluap|kecelakaan|tabrakan|ketabrak|tertabrak|"
    r"accident|crash)\b",
    _FLAGS,
)
_PEOPLE_AT_RISK = re.compile(
    r"\b(korban|luka|terluka|cedera|tertimpa|menimpa|terjebak|tertimbun|orang di dalam|"
    r"warga terjebak|nyawa|meninggal|tewas|kritis|"
    r"tidak bergerak|gak bergerak|injured|hurt|people inside)\b",
    _FLAGS,
)
# "Nobody hurt", "no one in danger", "sudah dikosongkan".
_NOBODY = re.compile(
    r"\b(tidak ada|tdk ada|gak ada|ga ada|gk ada|nggak ada|ngga ada|belum ada|tanpa|no|"
    r"nobody|no one)\s+(?:yang\s+|yg\s+)?(korban|luka|terluka|cedera|orang|yang terluka|"
    r"yg terluka|yang celaka|hurt|injured|victims?|one)\b"
    r"|\b(alhamdulillah|untung(?:nya)?)\b"
    r"|\b(kosong|dikosongkan|sedang libur|lagi libur|nobody was)\b"
    r"|\b(sering|rawan|tiap hari|setiap hari|often|frequent\w*)\b",
    _FLAGS,
)
# "112 doesn't connect", "nobody picks up": the first number did not help.
_OTHER_NUMBERS = re.compile(
    r"\b112\b.*\b(gk|ga|gak|nggak|ngga|tidak|tdk|blm|belum|gabisa|susah|sibuk|mati|ditolak|"
    r"not|isn'?t|doesn'?t|no answer|busy)\b"
    r"|\b(gk|ga|gak|nggak|ngga|tidak|tdk|gabisa|susah|can'?t|cannot|doesn'?t|not)\s*"
    r"(bisa\s*)?(nyambung|tersambung|terhubung|diangkat|angkat|dihubungi|connect\w*|"
    r"get through|answer\w*|pick\w* up)\b"
    r"|\b(nomor|no|number)\s+(lain|lainnya|other|another|else)\b"
    r"|\b(other|another)\s+number\b",
    _FLAGS,
)


def in_danger_now(text: str) -> bool:
    """True when `text` says someone is in danger now (tell them to call 112 first)."""
    if _ALWAYS.search(text):
        return True
    if not _DAMAGE.search(text):
        return False
    return bool(_PEOPLE_AT_RISK.search(text)) and not _NOBODY.search(text)


def nobody_in_danger(text: str) -> bool:
    """True when the message says nobody is hurt or at risk ("tidak ada korban")."""
    return bool(_NOBODY.search(text)) and not _ALWAYS.search(text)


def asks_other_numbers(text: str) -> bool:
    """True when the citizen says 112 did not help or asks for another number."""
    return bool(_OTHER_NUMBERS.search(text))


def looks_like_emergency(text: str) -> bool:
    """Alias kept for callers of the former keyword check."""
    return in_danger_now(text)
