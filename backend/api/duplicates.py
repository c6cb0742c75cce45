"""Same problem, several reports: the nearby search, followers, merging duplicates."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session
from starlette.responses import Response

from backend.api.deps import app_state, current_principal, db_session, read_only_session
from backend.api.responses import model_response
from backend.auth import Principal, Role
from backend.db import utcnow
from backend.errors import InvalidInputError
from backend.followers import follow, follower_view
from backend.merging import merge, unmerge
from backend.nearby import NearbyQuery, find_nearby
from backend.presenters import complaint_out
from backend.schemas import ComplaintOut, DuplicateOfIn, ErrorOut, FollowIn, NearbyOut
from backend.state import AppState
from backend.workflow import Status

router = APIRouter(prefix="/api/v1/complaints", tags=["duplicates"])

_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Missing or invalid token"},
    403: {"model": ErrorOut, "description": "Not allowed for this caller"},
    404: {"model": ErrorOut, "description": "No such report"},
    409: {"model": ErrorOut, "description": "Not possible in the report's state"},
    422: {"model": ErrorOut, "description": "Invalid input"},
}


def _problem(field: str, message: str) -> InvalidInputError:
    return InvalidInputError(
        f"Please correct the request: {field}: {message}.", [{"field": field, "message": message}]
    )


@router.get("/nearby", response_model=list[NearbyOut], responses=_ERRORS)
def nearby(
    category: str = Query(..., min_length=1, max_length=50),
    lat: float | None = Query(None, ge=-90, le=90),
    lon: float | None = Query(None, ge=-180, le=180),
    radius_m: float | None = Query(
        None, gt=0, le=5000, description="Metres around the pin (NEARBY_RADIUS_METERS)"
    ),
    desa: str | None = Query(None, min_length=1, max_length=100),
    kecamatan: str | None = Query(None, min_length=1, max_length=60),
    text: str | None = Query(None, max_length=2000, description="The new description"),
    limit: int = Query(3, ge=1, le=10),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(read_only_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Open reports of the category near a pin (or in a desa), best match first.

    Ranked by `0.5 * text similarity + 0.5 * (1 - distance / radius)` with a pin, by
    text similarity without one (newer first on ties). Never anything of a reporter;
    a confidential report has no summary.
    """
    principal.require(Role.SERVICE, Role.OFFICER, Role.ADMIN)
    if (lat is None) != (lon is None):
        raise _problem("lon", "give lat and lon together, or neither")
    if lat is None and not desa:
        raise _problem("desa", "give lat and lon, or desa (and kecamatan)")
    if category not in state.taxonomy.categories:
        raise _problem("category", f"unknown category {category!r}")
    canonical_kecamatan = None
    if kecamatan:
        canonical_kecamatan = state.taxonomy.canonical_kecamatan(kecamatan)
        if canonical_kecamatan is None:
            raise _problem("kecamatan", f"{kecamatan!r} is not a kecamatan of Kabupaten Tangerang")
    query = NearbyQuery(
        category=category,
        latitude=lat,
        longitude=lon,
        radius_m=radius_m or state.settings.nearby_radius_meters,
        desa=desa.strip() if desa else None,
        kecamatan=canonical_kecamatan,
        text=text,
        limit=limit,
    )
    labels = {key: c.label_id for key, c in state.taxonomy.categories.items()}
    found = find_nearby(session, query, principal, labels)
    items = [
        NearbyOut(
            tracking_id=r.tracking_id,
            category=r.category,
            status=Status(r.status),
            distance_m=r.distance_m,
            created_at=r.created_at,
            summary=r.summary,
        ).json()
        for r in found
    ]
    return Response(content=f"[{','.join(items)}]", media_type="application/json")


@router.post(
    "/{tracking_id}/followers",
    status_code=201,
    response_model=ComplaintOut,
    responses={**_ERRORS, 200: {"model": ComplaintOut, "description": "Already a follower"}},
)
def add_follower(
    tracking_id: str,
    body: FollowIn,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Make a citizen's chat a follower ("the same problem"): 201, or 200 when it was.

    Their description, photos and place are added to the report's thread.
    """
    principal.require(Role.SERVICE)
    report, created = follow(session, tracking_id, body)
    out = complaint_out(report, state.taxonomy, principal, state.policy.local_date(utcnow()))
    return model_response(follower_view(out, report), status_code=201 if created else 200)


@router.post("/{tracking_id}/duplicate-of", response_model=ComplaintOut, responses=_ERRORS)
def mark_duplicate(
    tracking_id: str,
    body: DuplicateOfIn,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Merge this report into the original `tracking_id` (an officer of the agency, an
    admin): its reporter and followers follow the original and are told once."""
    report = merge(session, tracking_id, body.tracking_id, principal)
    out = complaint_out(report, state.taxonomy, principal, state.policy.local_date(utcnow()))
    return model_response(out)


@router.delete("/{tracking_id}/duplicate-of", response_model=ComplaintOut, responses=_ERRORS)
def undo_duplicate(
    tracking_id: str,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Undo a merge (administrators): the duplicate reopens with its previous status."""
    report = unmerge(session, tracking_id, principal)
    out = complaint_out(report, state.taxonomy, principal, state.policy.local_date(utcnow()))
    return model_response(out)
