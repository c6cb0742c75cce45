"""`/health`: 200 once the backend can reach its database, within a second, always.

The check runs on threads of its own (never queued behind requests waiting for the
database) and in a transaction that takes no lock, and gives up after
`HEALTH_TIMEOUT` seconds: a load balancer always gets an answer, 503 when the
database does not answer in time.
"""

from __future__ import annotations

from typing import Final

import anyio
from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from backend.api.deps import app_limiter, app_state
from backend.lapor.worker import bridge_enabled, health_view
from backend.state import AppState

router = APIRouter(tags=["health"])

#: Seconds the database has to answer the health check.
HEALTH_TIMEOUT: Final = 0.8
#: Threads for health checks (a stuck check holds one; the next uses another).
HEALTH_THREADS: Final = 4


@router.get("/health")
async def health(request: Request, state: AppState = Depends(app_state)) -> JSONResponse:
    """Ready when the database answers."""
    limiter = app_limiter(request, "health_limiter", HEALTH_THREADS)
    with anyio.move_on_after(HEALTH_TIMEOUT):
        try:
            await to_thread.run_sync(_ping, state, limiter=limiter, abandon_on_cancel=True)
            # The SP4N-LAPOR! bridge, when on: last success, waiting, failed, in review.
            bridge = None
            if bridge_enabled(request.app.state):
                bridge = await to_thread.run_sync(
                    health_view, request.app.state, limiter=limiter, abandon_on_cancel=True
                )
        except SQLAlchemyError:
            return _unavailable("unreachable")
        body: dict[str, object] = {"status": "ok", "database": state.engine.dialect.name}
        if bridge is not None:
            body["lapor"] = bridge
        return JSONResponse(body)
    return _unavailable("not answering in time")


def _ping(state: AppState) -> None:
    with state.read_sessions() as session:
        session.execute(text("SELECT 1"))


def _unavailable(reason: str) -> JSONResponse:
    return JSONResponse(
        {"status": "unavailable", "database": reason},
        status_code=503,
        headers={"Retry-After": "5"},
    )
