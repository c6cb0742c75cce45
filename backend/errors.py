"""API errors: small typed exceptions and the JSON they become."""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lapor_common.sqlite import is_busy

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with an HTTP status, a machine-readable code and a readable message."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFoundError(ApiError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    status_code = 404
    code = "not_found"


class UnauthorizedError(ApiError):
    """No valid credentials."""

    status_code = 401
    code = "unauthorized"


class ForbiddenError(ApiError):
    """Valid credentials that may not do this."""

    status_code = 403
    code = "forbidden"


class ConflictError(ApiError):
    """The request conflicts with the current state (e.g. an invalid status change)."""

    status_code = 409
    code = "conflict"


class InvalidInputError(ApiError):
    """Well-formed input whose values are not acceptable."""

    status_code = 422
    code = "validation_error"


class PayloadTooLargeError(ApiError):
    """An upload over the size limit."""

    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaError(ApiError):
    """An upload of a type that is not accepted."""

    status_code = 415
    code = "unsupported_media_type"


def error_body(
    code: str, message: str, details: list[dict[str, str]] | None = None
) -> dict[str, object]:
    """The JSON body of an error response."""
    return {"error": code, "message": message, "details": details or []}


#: Seconds a client is asked to wait when the database is busy.
BUSY_RETRY_AFTER_SECONDS = 2
BUSY_MESSAGE = (
    "The database is busy right now and nothing was changed; "
    "please send the same request again in a few seconds."
)


def error_response(
    request: Request,
    status_code: int,
    code: str,
    message: str,
    details: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An error in the format of the API the request was for.

    Open311 GeoReport v2 clients expect a list of `{code, description}`; the JSON API
    returns `{error, message, details}`.
    """
    if status_code == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    if request.url.path.startswith("/open311/"):
        body: object = [{"code": status_code, "description": message}]
    else:
        body = error_body(code, message, details)
    return JSONResponse(body, status_code=status_code, headers=headers)


def _location(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "__root__")]
    return ".".join(parts) or "body"


def _validation_details(exc: RequestValidationError) -> list[dict[str, str]]:
    details = []
    for err in exc.errors():
        field = _location(tuple(err.get("loc", ())))
        message = str(err.get("msg", "invalid value"))
        if err.get("type") == "value_error.jsondecode":
            field, message = "body", "the body is not valid JSON"
        elif err.get("type") == "value_error.extra":
            message = "unknown field; remove it"
        details.append({"field": field, "message": message})
    return details


def install_error_handlers(app: FastAPI) -> None:
    """Make every error, expected or not, a JSON body with a readable message."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request, exc.status_code, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        message = f"Please correct the request: {summary}."
        return error_response(request, 422, "validation_error", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(request, exc.status_code, code, message)

    @app.exception_handler(SQLAlchemyError)
    async def _database_error(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        if not is_busy(exc):
            return await _unexpected(request, exc)
        logger.warning("database busy: %s %s answered 503", request.method, request.url.path)
        retry = {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}
        return error_response(request, 503, "database_busy", BUSY_MESSAGE, headers=retry)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error", exc_info=exc)
        message = "Something went wrong on our side; please try again."
        return error_response(request, 500, "internal_error", message)
