"""A keyword safety net for emergencies the NLU model files as ordinary complaints."""

from __future__ import annotations

import re

# Immediate danger to people: fire, drowning, collapse, violence, crime in progress,
# medical emergencies. Matching errs on the side of safety: telling someone to call
# 112 when it was not needed costs little.
_EMERGENCY = re.compile(
    r"\b("
    r"kebakaran|terbakar|api (?:besar|membesar|menyebar)|"
    r"tenggelam|hanyut|terseret arus|"
    r"pingsan|tidak sadarkan diri|gak sadar|ga sadar|sesak napas|kejang|serangan jantung|"
    r"kecelakaan|tabrakan|ketabrak|tertabrak|korban jiwa|"
    r"begal|dibegal|perampok\w*|dirampok|maling|pencuri(?:an)? sedang|penjambretan|"
    r"ditusuk|dibacok|penusukan|pembacokan|tawuran|dianiaya|penganiayaan|berdarah|"
    r"penculikan|diculik|sandera|bunuh diri|"
    r"tertimpa|terjebak|tertimbun|longsor|ambruk|roboh menimpa|"
    r"darurat|emergency|"
    r"fire|on fire|drowning|unconscious|not breathing|heart attack|"
    r"robbery|being robbed|being attacked|stabbed|kidnapp\w*|trapped|collapsed"
    r")\b",
    re.IGNORECASE,
)


def looks_like_emergency(text: str) -> bool:
    """True when `text` mentions immediate danger to people (call 112 first)."""
    return bool(_EMERGENCY.search(text))
