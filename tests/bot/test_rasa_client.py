"""The Rasa REST channel client, against a mock transport."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bot.rasa import BotReply, Button, RasaClient, RasaUnavailableError, parse_replies

BASE_URL = "http://rasa.test:5005/"
Handler = Callable[[httpx.Request], httpx.Response]


def client_with(handler: Handler) -> tuple[RasaClient, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return RasaClient(http, BASE_URL), http


async def test_posts_sender_message_and_metadata_and_parses_replies_in_order() -> None:
    seen: list[httpx.Request] = []
    answer = [
        {"recipient_id": "telegram:42", "text": "Halo Bapak/Ibu!"},
        {
            "recipient_id": "telegram:42",
            "text": "Pilih kategori:",
            "buttons": [
                {"title": "Jalan", "payload": '/choose_category{"category": "jalan"}'},
                {"payload": "/deny"},
                {"title": "Tanpa payload"},
            ],
        },
        {"recipient_id": "telegram:42", "image": "https://example.test/peta.png"},
        {"recipient_id": "telegram:42", "custom": {"kind": "receipt"}, "text": "Tanda terima"},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=answer)

    rasa, http = client_with(handler)
    async with http:
        metadata = {"channel": "telegram", "chat_id": "42", "display_name": "Siti"}
        replies = await rasa.send("telegram:42", "jalan rusak", metadata)

    assert len(seen) == 1
    request = seen[0]
    assert request.method == "POST"
    assert str(request.url) == "http://rasa.test:5005/webhooks/rest/webhook"
    assert json.loads(request.content) == {
        "sender": "telegram:42",
        "message": "jalan rusak",
        "metadata": metadata,
    }
    assert replies == [
        BotReply(text="Halo Bapak/Ibu!"),
        BotReply(
            text="Pilih kategori:",
            buttons=(
                Button("Jalan", '/choose_category{"category": "jalan"}'),
                Button("/deny", "/deny"),
            ),
        ),
        BotReply(image="https://example.test/peta.png"),
        BotReply(text="Tanda terima", custom={"kind": "receipt"}),
    ]


async def test_empty_answer_is_no_replies() -> None:
    rasa, http = client_with(lambda request: httpx.Response(200, json=[]))
    async with http:
        assert await rasa.send("telegram:1", "halo", {}) == []


def raise_connect_error(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def raise_read_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def raise_bare_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectTimeout("", request=request)


@pytest.mark.parametrize(
    "handler",
    [
        pytest.param(raise_connect_error, id="connection-error"),
        pytest.param(raise_read_timeout, id="read-timeout"),
        pytest.param(raise_bare_timeout, id="timeout-without-message"),
        pytest.param(lambda r: httpx.Response(500, json={"error": "boom"}), id="http-500"),
        pytest.param(lambda r: httpx.Response(503, text="maintenance"), id="http-503"),
        pytest.param(lambda r: httpx.Response(404, json=[]), id="http-404"),
        pytest.param(lambda r: httpx.Response(200, text="<html>proxy</html>"), id="not-json"),
        pytest.param(lambda r: httpx.Response(200, json={"error": "x"}), id="json-not-a-list"),
        pytest.param(lambda r: httpx.Response(200, json=None), id="json-null"),
    ],
)
async def test_failures_raise_rasa_unavailable(handler: Handler) -> None:
    rasa, http = client_with(handler)
    async with http:
        with pytest.raises(RasaUnavailableError) as caught:
            await rasa.send("telegram:42", "halo", {})
    assert str(caught.value)


def test_parse_replies_skips_what_is_not_a_message() -> None:
    data: list[Any] = ["text", 3, None, {"text": "ok"}, {"buttons": "not-a-list-of-dicts"}]
    replies = parse_replies(data)
    assert replies[0] == BotReply(text="ok")
    assert len(replies) == 2
    assert replies[1].buttons == ()


def test_parse_replies_ignores_custom_that_is_not_an_object() -> None:
    assert parse_replies([{"text": "a", "custom": ["x"]}]) == [BotReply(text="a")]


def test_parse_replies_rejects_non_lists() -> None:
    with pytest.raises(RasaUnavailableError):
        parse_replies({"text": "a"})
