"""Graph API error bodies mapped to typed exceptions."""

from __future__ import annotations

import httpx
import pytest

from bot.whatsapp.errors import (
    GraphAPIError,
    GraphUnavailableError,
    InvalidTokenError,
    PairRateLimitError,
    RateLimitError,
    ReengagementRequiredError,
    ThroughputLimitError,
    UndeliverableError,
    error_for,
    network_error,
    parse_error_body,
)
from tests.fakes.whatsapp_api import error_body


@pytest.mark.parametrize(
    ("code", "cls", "retryable"),
    [
        (190, InvalidTokenError, False),
        (130429, ThroughputLimitError, True),
        (131056, PairRateLimitError, True),
        (131047, ReengagementRequiredError, False),
        (131026, UndeliverableError, False),
        (131000, GraphUnavailableError, True),
        (131009, GraphAPIError, False),
        (100, GraphAPIError, False),
        (132001, GraphAPIError, False),
    ],
)
def test_meta_error_bodies_map_to_typed_errors(
    code: int, cls: type[GraphAPIError], retryable: bool
) -> None:
    status, body = error_body(code)
    error = error_for(status, body)
    assert type(error) is cls
    assert error.code == code
    assert error.http_status == status
    assert error.retryable is retryable
    assert error.error.fbtrace_id == body["error"]["fbtrace_id"]
    assert str(code) in str(error)


def test_rate_limits_share_a_base_class() -> None:
    assert issubclass(ThroughputLimitError, RateLimitError)
    assert issubclass(PairRateLimitError, RateLimitError)


def test_details_subcode_and_type_are_read() -> None:
    _, body = error_body(131047)
    details = parse_error_body(body)
    assert details is not None
    assert details.details.startswith("Message failed to send because more than 24 hours")
    assert details.type == "OAuthException"
    _, token = error_body(190)
    parsed = parse_error_body(token)
    assert parsed is not None and parsed.subcode == 463 and parsed.details == ""


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (500, None, GraphUnavailableError),
        (502, "<html>Bad Gateway</html>", GraphUnavailableError),
        (429, {}, ThroughputLimitError),
        (401, None, InvalidTokenError),
        (404, {"error": "not an object"}, GraphAPIError),
        (400, {"error": {"code": "131047", "message": "as a string"}}, ReengagementRequiredError),
        (400, {"error": {"code": True}}, GraphAPIError),
        (400, {"error": {"code": 131009, "error_data": "plain text details"}}, GraphAPIError),
    ],
)
def test_odd_answers_still_map_sensibly(
    status: int, body: object, cls: type[GraphAPIError]
) -> None:
    assert type(error_for(status, body)) is cls


def test_string_error_data_is_kept_as_details() -> None:
    details = parse_error_body({"error": {"code": 1, "error_data": "plain"}})
    assert details is not None and details.details == "plain"
    assert parse_error_body([1]) is None


def test_a_network_error_is_retryable_and_says_what_happened() -> None:
    error = network_error(httpx.ConnectError("connection refused"))
    assert isinstance(error, GraphUnavailableError) and error.retryable
    assert error.code == 0 and "connection refused" in str(error)
