"""Open reports near a place: the duplicate offer before a citizen files a new one.

Mechanism: a bounding box on the indexed `(category, latitude, longitude)` columns
selects the few candidates around the pin in SQL (the same on SQLite and PostgreSQL,
no extension needed); the exact great-circle distance (haversine) is computed in
Python and candidates outside the radius are dropped. Without a pin, the reports of
the same category in the same desa (index `(category, desa)`) are the candidates.

Ranking: `score = 0.5 * similarity + 0.5 * closeness` with coordinates, where
`closeness = 1 - distance / radius` and `similarity` is the Dice coefficient of the
character trigrams of the new description and the report's (0 without a text);
without coordinates the score is the similarity alone. Ties: the newer report first.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth import Principal
from backend.console.masking import redact_text
from backend.models import Report
from backend.schemas import Privacy
from backend.workflow import Status

#: The mean Earth radius (IUGG), metres.
EARTH_RADIUS_M: Final = 6_371_008.8
#: Metres per degree of latitude on that sphere.
METRES_PER_DEGREE: Final = math.pi * EARTH_RADIUS_M / 180
#: Statuses of a report that may still be the same, unfixed problem.
NEARBY_STATUSES: Final = (Status.RECEIVED.value, Status.VERIFIED.value, Status.IN_PROGRESS.value)
#: At most this many candidates are ranked (newest first) per query.
MAX_CANDIDATES: Final = 300
SUMMARY_CHARS: Final = 80


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in metres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Box:
    """A latitude/longitude box that contains every point within a radius."""

    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float


def bounding_box(lat: float, lon: float, radius_m: float) -> Box:
    """The box around `(lat, lon)` holding the circle of `radius_m` (a little wider)."""
    dlat = radius_m / METRES_PER_DEGREE
    widest = min(89.0, abs(lat) + dlat)  # the circle is widest at its pole-side edge
    dlon = min(180.0, dlat / math.cos(math.radians(widest)))
    return Box(lat - dlat, lat + dlat, lon - dlon, lon + dlon)


_WORD = re.compile(r"[^\w]+", re.UNICODE)


def trigrams(text: str) -> frozenset[str]:
    """The character trigrams of the lower-cased words of `text` (padded)."""
    grams: set[str] = set()
    for word in _WORD.split(text.lower()):
        if len(word) < 2:
            continue
        padded = f" {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """The Dice coefficient of two trigram sets, 0..1."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


@dataclass(frozen=True)
class NearbyQuery:
    """What the nearby search looks for."""

    category: str
    latitude: float | None = None
    longitude: float | None = None
    radius_m: float = 300.0
    desa: str | None = None
    kecamatan: str | None = None
    text: str | None = None
    limit: int = 3


@dataclass(frozen=True)
class NearbyReport:
    """One report offered, with nothing of its reporter."""

    tracking_id: str
    category: str
    status: str
    distance_m: float | None
    created_at: dt.datetime
    summary: str | None
    score: float


#: What the search reads of a report.
_COLUMNS = (
    Report.tracking_id,
    Report.category,
    Report.status,
    Report.privacy,
    Report.description,
    Report.location_text,
    Report.desa,
    Report.kecamatan,
    Report.latitude,
    Report.longitude,
    Report.created_at,
)


def summary_of(report: Any, category_label: str) -> str | None:
    """What and where, short; None for a confidential report. Numbers and e-mail
    addresses typed in the description are masked."""
    if report.privacy == Privacy.CONFIDENTIAL.value:
        return None
    what = " ".join(report.description.split())
    if len(what) > SUMMARY_CHARS:
        what = what[: SUMMARY_CHARS - 1].rstrip() + "…"
    places = [report.location_text, report.desa, report.kecamatan]
    where = ", ".join(dict.fromkeys(p.strip() for p in places if p and p.strip()))
    text = f"{category_label}: {what}" + (f" ({where})" if where else "")
    return redact_text(text)


def find_nearby(
    session: Session,
    query: NearbyQuery,
    viewer: Principal,
    labels: dict[str, str],
) -> list[NearbyReport]:
    """Open, unmerged reports of the category near the pin (or in the desa), best first.

    `labels` maps category keys to their names (for the summary).
    """
    conditions = [
        Report.category == query.category,
        Report.status.in_(NEARBY_STATUSES),
        Report.duplicate_of_id.is_(None),
    ]
    if not viewer.sees_all_agencies:
        conditions.append(Report.agency == viewer.agency)
    pin = (
        (query.latitude, query.longitude)
        if query.latitude is not None and query.longitude is not None
        else None
    )
    if pin is not None:
        box = bounding_box(pin[0], pin[1], query.radius_m)
        conditions += [
            Report.latitude.between(box.min_lat, box.max_lat),
            Report.longitude.between(box.min_lon, box.max_lon),
        ]
    else:
        conditions.append(Report.desa == query.desa)
        if query.kecamatan:
            conditions.append(Report.kecamatan == query.kecamatan)
    rows: Sequence[Any] = session.execute(
        select(*_COLUMNS)  # columns only: no reporter, history or files are loaded
        .where(*conditions)
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(MAX_CANDIDATES)
    ).all()
    wanted = trigrams(query.text or "")
    found: list[NearbyReport] = []
    for report in rows:
        distance: float | None = None
        closeness = 0.0
        if pin is not None:
            distance = haversine_m(pin[0], pin[1], report.latitude, report.longitude)
            if distance > query.radius_m:
                continue
            closeness = 1 - distance / query.radius_m
        alike = similarity(wanted, trigrams(report.description)) if wanted else 0.0
        if report.privacy == Privacy.CONFIDENTIAL.value:
            alike = 0.0  # its details must not decide (nor be guessed from) the order
        score = 0.5 * alike + 0.5 * closeness if pin is not None else alike
        found.append(
            NearbyReport(
                tracking_id=report.tracking_id,
                category=report.category,
                status=report.status,
                distance_m=round(distance, 1) if distance is not None else None,
                created_at=report.created_at,
                summary=summary_of(report, labels.get(report.category, report.category)),
                score=score,
            )
        )
    found.sort(key=lambda r: (-r.score, r.distance_m or 0.0, -r.created_at.timestamp()))
    return found[: query.limit]
