"""Where a complaint happened: a kecamatan of Kabupaten Tangerang, or somewhere else.

`match_location` reads a place from free text (fuzzy, typo tolerant); `locate_point` places
a shared GPS location. Both are pure: the data files are read once, on first use.

The text matching lives in `actions.places` (see `actions.places.kecamatan` for how
ambiguous text is read, and `actions.places.finder.find_place` for the desa/kelurahan
level); `match_location` is its kecamatan-level answer, kept for the form.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from actions.places import gazetteer as _gazetteer
from actions.places import kecamatan as _kecamatan
from actions.places.data import read_yaml
from actions.places.finder import find_place, to_location_match
from actions.places.kecamatan import (
    AMBIGUOUS_CONFIDENCE,
    CANDIDATE_SIMILARITY,
    ELSEWHERE,
    KOTA_TANGERANG,
    MAX_CANDIDATES,
    MAX_WORDS,
    MIXED_CONFIDENCE,
    SURE,
    TANGERANG_SELATAN,
    WEAK_CONFIDENCE,
    LocationMatch,
    kecamatan_names,
)
from actions.places.words import normalise_words

__all__ = [
    "AMBIGUOUS_CONFIDENCE",
    "CANDIDATE_SIMILARITY",
    "ELSEWHERE",
    "KOTA_TANGERANG",
    "MAX_CANDIDATES",
    "MAX_WORDS",
    "MIXED_CONFIDENCE",
    "SURE",
    "TANGERANG_SELATAN",
    "WEAK_CONFIDENCE",
    "LocationMatch",
    "PointMatch",
    "clear_caches",
    "haversine_km",
    "kecamatan_names",
    "locate_point",
    "match_location",
    "normalise_words",
    "point_in_polygon",
]

_PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
_DEFAULT_GEO_FILE: Final = _PROJECT_ROOT / "data" / "regency_geo.yaml"


@dataclass(frozen=True)
class PointMatch:
    """Where a GPS point lies.

    Attributes:
        inside_regency: Whether the point is in Kabupaten Tangerang (approximately).
        kecamatan: The kecamatan with the nearest centre when inside, else None.
        outside: "kota_tangerang", "tangerang_selatan" or "elsewhere" when outside.
    """

    inside_regency: bool
    kecamatan: str | None
    outside: str | None


@dataclass(frozen=True)
class _Geo:
    """The approximate geography from data/regency_geo.yaml."""

    outline: tuple[tuple[float, float], ...]
    excluded: tuple[tuple[str, tuple[tuple[float, float], ...]], ...]
    centroids: tuple[tuple[str, tuple[float, float]], ...]


# --- public API ----------------------------------------------------------------------


def match_location(text: str) -> LocationMatch:
    """Finds the kecamatan (or the place outside the regency) a citizen wrote.

    Args:
        text: Free text such as "depan pasar curug" or "jl raya serang km 20 balaraja".

    It reads desa/kelurahan too (`actions.places.finder.find_place`, which also gives the
    desa and button choices): "depan kantor desa Bojong Nangka" is Kelapa Dua.

    Returns:
        The kecamatan or the outside code, a confidence and, when unsure, candidates.
    """
    return to_location_match(find_place(text))


def locate_point(lat: float, lon: float) -> PointMatch:
    """Places a GPS point: inside the regency (with the nearest kecamatan) or outside.

    Uses the approximate outlines in data/regency_geo.yaml: good for triage near the
    middle of a kecamatan, not for deciding cases at a border.

    Args:
        lat: Latitude in decimal degrees (south negative).
        lon: Longitude in decimal degrees.

    Returns:
        Where the point lies.

    Raises:
        ValueError: When the coordinates are not finite or out of range.
    """
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        raise ValueError(f"not a valid coordinate: ({lat}, {lon})")
    geo = _geo()
    for code, polygon in geo.excluded:
        if point_in_polygon(lat, lon, polygon):
            return PointMatch(inside_regency=False, kecamatan=None, outside=code)
    if not point_in_polygon(lat, lon, geo.outline):
        return PointMatch(inside_regency=False, kecamatan=None, outside=ELSEWHERE)
    nearest = min(geo.centroids, key=lambda item: haversine_km(lat, lon, *item[1]))
    return PointMatch(inside_regency=True, kecamatan=nearest[0], outside=None)


def clear_caches() -> None:
    """Forgets the data files read so far, so the next call reads them again.

    For tests that point ``KECAMATAN_FILE``, ``PLACES_FILE``, ``PLACE_ALIASES_FILE`` or
    ``REGENCY_GEO_FILE`` elsewhere.
    """
    _kecamatan.clear_caches()
    _gazetteer.clear_caches()
    _geo.cache_clear()


def point_in_polygon(lat: float, lon: float, polygon: Sequence[tuple[float, float]]) -> bool:
    """Ray casting: whether a point lies inside a polygon of (lat, lon) vertices.

    Args:
        lat: Latitude of the point.
        lon: Longitude of the point.
        polygon: Vertices in order; the last connects back to the first.

    Returns:
        True inside, False outside (points exactly on an edge may go either way).
    """
    inside = False
    count = len(polygon)
    for index in range(count):
        lat1, lon1 = polygon[index]
        lat2, lon2 = polygon[(index + 1) % count]
        if (lat1 > lat) != (lat2 > lat):
            crossing_lon = lon1 + (lat - lat1) * (lon2 - lon1) / (lat2 - lat1)
            if lon < crossing_lon:
                inside = not inside
    return inside


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points.

    Args:
        lat1: Latitude of the first point.
        lon1: Longitude of the first point.
        lat2: Latitude of the second point.
        lon2: Longitude of the second point.

    Returns:
        The distance in kilometres.
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


# --- data ----------------------------------------------------------------------------


def _geo_file() -> Path:
    """Path of the approximate geography ($REGENCY_GEO_FILE or data/regency_geo.yaml)."""
    return Path(os.environ.get("REGENCY_GEO_FILE") or _DEFAULT_GEO_FILE)


@functools.lru_cache(maxsize=1)
def _geo() -> _Geo:
    """The approximate outlines and centres, read once.

    Raises:
        ValueError: When the file lacks an outline, excluded areas or centres.
    """
    path = _geo_file()
    document = read_yaml(path)
    try:
        outline = _polygon(document["regency_outline"])
        excluded = tuple(
            (str(area["code"]), _polygon(area["outline"])) for area in document["excluded_areas"]
        )
        centroids = tuple(
            (str(name), _point(point)) for name, point in document["kecamatan_centroids"].items()
        )
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise ValueError(f"{path}: malformed geography ({error})") from error
    if not centroids:
        raise ValueError(f"{path}: no kecamatan centroids")
    return _Geo(outline, excluded, centroids)


def _polygon(vertices: Any) -> tuple[tuple[float, float], ...]:
    """A list of [lat, lon] pairs as a polygon of at least 3 vertices."""
    polygon = tuple(_point(vertex) for vertex in vertices)
    if len(polygon) < 3:
        raise ValueError("a polygon needs at least 3 vertices")
    return polygon


def _point(value: Any) -> tuple[float, float]:
    """A [lat, lon] pair as floats."""
    lat, lon = value
    return float(lat), float(lon)
