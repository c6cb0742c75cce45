"""Graph API errors as exceptions the channel can act on, mapped from Meta's error codes.

Error body: `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id",
"error_data": {"messaging_product", "details"}}}`. Meta recommends acting on `code`
(and reading `details`), never on the message text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The access token expired, was revoked or is wrong.
INVALID_TOKEN = 190
#: The business number's throughput (messages per second) was exceeded.
THROUGHPUT_LIMIT = 130429
#: Too many messages to one citizen in a short time (pair rate limit).
PAIR_RATE_LIMIT = 131056
#: Free-form message outside the 24-hour customer-service window.
REENGAGEMENT_REQUIRED = 131047
#: The message could not be delivered (not on WhatsApp, old app, blocked, ...).
UNDELIVERABLE = 131026
#: Meta's generic "something went wrong" family: worth another try.
TEMPORARY_CODES = frozenset({1, 2, 131000, 131016, 133004})


@dataclass(frozen=True)
class ErrorDetails:
    """The fields of a Graph API error body."""

    code: int
    message: str = ""
    type: str = ""
    subcode: int | None = None
    details: str = ""
    fbtrace_id: str = ""


class GraphAPIError(Exception):
    """The Graph API refused a request (or could not be reached).

    Attributes:
        code: Meta's error code (0 when there was none, e.g. a network error).
        http_status: The HTTP status (0 when there was no answer).
        error: The parsed error body.
    """

    retryable = False

    def __init__(self, error: ErrorDetails, http_status: int = 0) -> None:
        text = error.details or error.message or "no details"
        super().__init__(f"Graph API error {error.code} (HTTP {http_status}): {text}")
        self.error = error
        self.code = error.code
        self.http_status = http_status


class InvalidTokenError(GraphAPIError):
    """Code 190: the access token is invalid; nothing works until it is replaced."""


class RateLimitError(GraphAPIError):
    """A sending limit was hit: back off and try again."""

    retryable = True


class ThroughputLimitError(RateLimitError):
    """Code 130429: the business number's messages per second were exceeded."""


class PairRateLimitError(RateLimitError):
    """Code 131056: too many messages to one citizen in a short time."""


class ReengagementRequiredError(GraphAPIError):
    """Code 131047: outside the 24-hour window only a template message may be sent."""


class UndeliverableError(GraphAPIError):
    """Code 131026: the message cannot be delivered to this citizen."""


class GraphUnavailableError(GraphAPIError):
    """A network error, a 5xx or one of Meta's temporary errors: try again later."""

    retryable = True


_BY_CODE: dict[int, type[GraphAPIError]] = {
    INVALID_TOKEN: InvalidTokenError,
    THROUGHPUT_LIMIT: ThroughputLimitError,
    PAIR_RATE_LIMIT: PairRateLimitError,
    REENGAGEMENT_REQUIRED: ReengagementRequiredError,
    UNDELIVERABLE: UndeliverableError,
}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_error_body(body: Any) -> ErrorDetails | None:
    """The `error` object of a Graph API answer, or None when there is none."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else data
    return ErrorDetails(
        code=_int(error.get("code")) or 0,
        message=str(error.get("message") or ""),
        type=str(error.get("type") or ""),
        subcode=_int(error.get("error_subcode")),
        details=str(details or ""),
        fbtrace_id=str(error.get("fbtrace_id") or ""),
    )


def error_for(http_status: int, body: Any) -> GraphAPIError:
    """The exception for an error answer: by Meta's code first, then by HTTP status."""
    error = parse_error_body(body) or ErrorDetails(code=0, message=f"HTTP {http_status}")
    cls = _BY_CODE.get(error.code)
    if cls is None:
        if error.code in TEMPORARY_CODES or http_status >= 500 or http_status == 429:
            cls = GraphUnavailableError if http_status != 429 else ThroughputLimitError
        elif http_status == 401 or (error.type == "OAuthException" and error.code in (0, 102)):
            cls = InvalidTokenError
        else:
            cls = GraphAPIError
    return cls(error, http_status)


def network_error(exc: Exception) -> GraphUnavailableError:
    """The exception for a request that got no answer."""
    return GraphUnavailableError(ErrorDetails(code=0, message=str(exc) or type(exc).__name__))
