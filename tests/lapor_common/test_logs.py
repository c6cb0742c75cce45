"""Log lines as JSON, and the request ID that follows a turn from the gateway to the backend."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from backend.request_ids import RequestIdMiddleware
from bot.rasa import RasaClient
from bot.reachability import ReachabilityRegistry
from bot.relay import ConversationRelay, InboundMessage
from bot.replies import ReplyCatalogue
from bot.shared_state import MemoryState
from lapor_common.logs import (
    JsonFormatter,
    RequestIdFilter,
    accepted_request_id,
    attach_request_id,
    configure_logging,
    log_format,
    request_id_var,
)
from tests.bot.fakes import FakeOutbox

logger = logging.getLogger("tests.request_ids")


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Every log line of the test, as our JSON handler writes it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter("test"))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_json_line_has_time_level_message_request_id_and_extras(json_lines: io.StringIO) -> None:
    token = request_id_var.set("abc123")
    try:
        logger.info("filed %s", "TNG-2026-000001", extra={"channel": "telegram"})
    finally:
        request_id_var.reset(token)
    logger.warning("outside a request")
    first, second = lines(json_lines)
    assert first["message"] == "filed TNG-2026-000001"
    assert first["request_id"] == "abc123"
    assert first["level"] == "INFO"
    assert first["service"] == "test"
    assert first["channel"] == "telegram"
    assert str(first["time"]).endswith("+00:00")
    assert second["request_id"] == "-"


def test_an_exception_is_one_json_line(json_lines: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    (line,) = lines(json_lines)
    assert "ValueError: boom" in str(line["exception"])


def test_log_format_is_text_or_json() -> None:
    assert log_format({}) == "text"
    assert log_format({"LOG_FORMAT": "JSON"}) == "json"
    with pytest.raises(SystemExit, match="LOG_FORMAT"):
        log_format({"LOG_FORMAT": "xml"})


def test_configure_logging_json_replaces_the_root_handlers() -> None:
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    try:
        handler = configure_logging("gateway", environ={"LOG_FORMAT": "json"})
        assert root.handlers == [handler]
        assert isinstance(handler.formatter, JsonFormatter)
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in saved:
            root.addHandler(h)
        root.setLevel(level)


@pytest.mark.parametrize("value", ["", "x" * 65, "a b", "a\nb", "ünï", None, 12])
def test_odd_request_ids_from_outside_are_not_taken(value: object) -> None:
    assert accepted_request_id(value) is None


async def test_the_backend_logs_and_echoes_the_callers_request_id(
    json_lines: io.StringIO,
) -> None:
    def endpoint(request: Request) -> PlainTextResponse:  # sync: runs in a worker thread
        logger.info("handling")
        return PlainTextResponse("ok")

    app = RequestIdMiddleware(Starlette(routes=[Route("/x", endpoint)]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://backend.test") as client:
        given = await client.get("/x", headers={"X-Request-ID": "turn-42"})
        made = await client.get("/x", headers={"X-Request-ID": "bad value with spaces"})
    assert given.headers["X-Request-ID"] == "turn-42"
    assert made.headers["X-Request-ID"] != "bad value with spaces"
    ours = [line for line in lines(json_lines) if line["logger"] == logger.name]
    assert [line["request_id"] for line in ours] == [
        "turn-42",
        made.headers["X-Request-ID"],
    ]


async def test_the_gateway_gives_each_turn_an_id_that_reaches_rasa_and_the_next_hop() -> None:
    sent: list[dict[str, object]] = []

    def rasa(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json=[{"text": "Baik."}])

    state = MemoryState()
    async with httpx.AsyncClient(transport=httpx.MockTransport(rasa)) as http:
        relay = ConversationRelay(
            RasaClient(http, "http://rasa.test"),
            ReplyCatalogue.from_domain(),
            state,
            ReachabilityRegistry(state),
        )
        for _ in range(2):
            await relay.relay(InboundMessage("telegram", "42", "jalan rusak"), FakeOutbox())
    ids = [body["metadata"]["request_id"] for body in sent]  # type: ignore[index]
    assert all(accepted_request_id(i) for i in ids)
    assert ids[0] != ids[1]  # one per turn
    assert request_id_var.get() is None  # and none left behind after the turn


async def test_the_request_hook_sends_the_current_id_on() -> None:
    seen: list[str | None] = []

    def backend(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("X-Request-ID"))
        return httpx.Response(204)

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(backend), event_hooks={"request": [attach_request_id]}
    ) as http:
        token = request_id_var.set("turn-7")
        try:
            await http.get("http://backend.test/a")
        finally:
            request_id_var.reset(token)
        await http.get("http://backend.test/b")
    assert seen == ["turn-7", None]
