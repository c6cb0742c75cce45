"""Fast JSON responses for pydantic models.

Returning a `Response` skips FastAPI's second validation of the returned model (done
in a worker thread for sync endpoints); the route's `response_model` still documents
the shape in the OpenAPI document.
"""

from __future__ import annotations

from pydantic import BaseModel
from starlette.responses import Response


def model_response(
    model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Serialise `model` straight to a JSON response."""
    return Response(
        content=model.json(),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )
