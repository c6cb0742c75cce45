"""How nearby open reports are shown to a citizen: one short entry each, with buttons.

An entry says what and where (the backend's summary: category, description, place),
how far from the citizen's pin, how old, and its status in words. A confidential
report (no summary) is only "a similar report": nothing of its content, and never
anyone's identity.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass
from typing import Any

#: At most this many reports are offered.
MAX_OFFERED = 3
SUMMARY_CHARS = 160
#: Button payloads: the entry's tracking ID, or "a new report".
NEW_REPORT_PAYLOAD = "/deny"
_SAME_BUTTON = {"id": "Ya, masalah yang sama", "en": "Yes, the same problem"}
_NEW_BUTTON = {"id": "Bukan, buat laporan baru", "en": "No, file a new report"}
#: WhatsApp cuts reply-button titles at 20 characters: shorter words there.
_SAME_SHORT = {"id": "Ya, sama", "en": "Yes, the same"}
_SAME_NUMBERED_SHORT = {"id": "Ya, sama no. {n}", "en": "Yes, same as no. {n}"}
_NEW_SHORT = {"id": "Bukan, laporan baru", "en": "No, a new report"}
#: A report's status in an entry, short ("menunggu verifikasi").
STATUS_WORDS = {
    "id": {
        "received": "menunggu verifikasi",
        "verified": "sudah diteruskan ke instansi",
        "in_progress": "sedang ditangani instansi",
    },
    "en": {
        "received": "awaiting verification",
        "verified": "forwarded to the agency",
        "in_progress": "being handled by the agency",
    },
}
_SIMILAR = {"id": "Laporan serupa", "en": "A similar report"}
_FROM_YOU = {"id": "±{distance} dari lokasi Bapak/Ibu", "en": "~{distance} from your place"}


@dataclass(frozen=True)
class Candidate:
    """One nearby open report, as the backend's nearby search returns it."""

    tracking_id: str
    category: str
    status: str
    distance_m: float | None
    created_at: dt.datetime | None
    summary: str | None

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Candidate | None:
        """The candidate in one search result (None when it has no tracking ID)."""
        tracking_id = str(item.get("tracking_id") or "").strip()
        if not tracking_id:
            return None
        distance = item.get("distance_m")
        summary = item.get("summary")
        return cls(
            tracking_id=tracking_id,
            category=str(item.get("category") or ""),
            status=str(item.get("status") or ""),
            distance_m=float(distance) if isinstance(distance, int | float) else None,
            created_at=_parse_time(item.get("created_at")),
            summary=str(summary).strip() or None if summary else None,
        )

    @property
    def confidential(self) -> bool:
        """Whether the report's content must not be shown (the backend sends no summary)."""
        return self.summary is None


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def candidates_from(items: list[dict[str, Any]]) -> list[Candidate]:
    """The first `MAX_OFFERED` readable results, in the backend's order (nearest first)."""
    found = [c for c in (Candidate.from_json(item) for item in items) if c is not None]
    return found[:MAX_OFFERED]


def age_words(created_at: dt.datetime | None, now: dt.datetime, language: str) -> str | None:
    """How old a report is, in words ("hari ini", "3 hari lalu", "2 minggu lalu")."""
    if created_at is None:
        return None
    days = max(0, (now.date() - created_at.astimezone(now.tzinfo).date()).days)
    english = language == "en"
    if days == 0:
        return "today" if english else "hari ini"
    if days == 1:
        return "yesterday" if english else "kemarin"
    if days < 14:
        return f"{days} days ago" if english else f"{days} hari lalu"
    if days < 60:
        weeks = days // 7
        return f"{weeks} weeks ago" if english else f"{weeks} minggu lalu"
    months = days // 30
    return f"{months} months ago" if english else f"{months} bulan lalu"


def distance_words(distance_m: float) -> str:
    """A distance rounded the way people say it: "50 m", "250 m", "1,2 km"."""
    if distance_m < 100:
        return f"{max(10, round(distance_m / 10) * 10)} m"
    if distance_m < 1000:
        return f"{round(distance_m / 50) * 50} m"
    return f"{distance_m / 1000:.1f} km".replace(".", ",")


def entry_text(candidate: Candidate, number: int, *, language: str, now: dt.datetime) -> str:
    """One numbered entry: the backend's summary (what and where), then how far, how old
    and the status in words; a confidential report is only "a similar report"."""
    if candidate.confidential:
        return f"{number}. {_SIMILAR[language]}"
    facts = []
    if candidate.distance_m is not None:
        facts.append(_FROM_YOU[language].format(distance=distance_words(candidate.distance_m)))
    age = age_words(candidate.created_at, now, language)
    if age:
        facts.append(age)
    if candidate.status:
        facts.append(STATUS_WORDS[language].get(candidate.status, candidate.status))
    summary = textwrap.shorten(candidate.summary or "", SUMMARY_CHARS, placeholder="…")
    return f"{number}. {summary}" + (f"\n   {' · '.join(facts)}" if facts else "")


def same_payload(tracking_id: str) -> str:
    """The payload of "yes, the same problem" for one report."""
    return f'/inform{{"tracking_id":"{tracking_id}"}}'


def offer_buttons(
    tracking_ids: list[str], language: str, short: bool = False
) -> list[dict[str, str]]:
    """One "yes, the same problem" per report (numbered when there are several) and
    "no, a new report"; `short`: titles of at most 20 characters (WhatsApp)."""
    buttons = [
        {
            "title": _same_title(number, len(tracking_ids), language, short),
            "payload": same_payload(tid),
        }
        for number, tid in enumerate(tracking_ids, start=1)
    ]
    new = (_NEW_SHORT if short else _NEW_BUTTON)[language]
    buttons.append({"title": new, "payload": NEW_REPORT_PAYLOAD})
    return buttons


def _same_title(number: int, count: int, language: str, short: bool) -> str:
    if short:
        return (
            _SAME_SHORT[language] if count == 1 else _SAME_NUMBERED_SHORT[language].format(n=number)
        )
    same = _SAME_BUTTON[language]
    return same if count == 1 else f"{same} ({number})"
