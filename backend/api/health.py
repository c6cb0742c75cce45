"""`/health`: 200 once the backend can reach its database."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from backend.api.deps import app_state
from backend.state import AppState

router = APIRouter(tags=["health"])


@router.get("/health")
def health(state: AppState = Depends(app_state)) -> JSONResponse:
    """Ready when the database answers."""
    try:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": state.engine.dialect.name})
