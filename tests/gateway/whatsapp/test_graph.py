"""The Graph API client against the fake: requests, typed errors, media with a size cap."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.whatsapp.errors import (
    GraphAPIError,
    GraphUnavailableError,
    InvalidTokenError,
    PairRateLimitError,
    ReengagementRequiredError,
    ThroughputLimitError,
    UndeliverableError,
)
from bot.whatsapp.graph import GraphClient, MediaTooLargeError, graph_http_client
from bot.whatsapp.messages import template_message, text_message
from tests.fakes.whatsapp_api import ACCESS_TOKEN, MEDIA_DOWNLOAD, READ, FakeGraphAPI

CITIZEN = "6281234567890"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = graph_http_client(5.0)
    yield client
    await client.aclose()


@pytest.fixture
def client(graph: FakeGraphAPI, http: httpx.AsyncClient) -> GraphClient:
    return GraphClient(http, graph.base_url, graph.phone_number_id, ACCESS_TOKEN)


async def test_send_returns_the_wamid_and_sends_the_token_as_a_header(
    client: GraphClient, graph: FakeGraphAPI
) -> None:
    wamid = await client.send(CITIZEN, text_message("halo"))
    assert wamid == graph.sent_ids(CITIZEN)[0]
    [request] = graph.requests()
    assert request.authorized
    assert ACCESS_TOKEN not in request.path


async def test_mark_read_with_typing(client: GraphClient, graph: FakeGraphAPI) -> None:
    await client.mark_read("wamid.ABC", typing=True)
    [receipt] = graph.read_receipts()
    assert receipt["typing_indicator"] == {"type": "text"}
    assert graph.requests(READ)[0].ok


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (190, InvalidTokenError),
        (130429, ThroughputLimitError),
        (131056, PairRateLimitError),
        (131047, ReengagementRequiredError),
        (131026, UndeliverableError),
        (131000, GraphUnavailableError),
        (131009, GraphAPIError),
    ],
)
async def test_errors_arrive_typed(
    code: int, cls: type[GraphAPIError], client: GraphClient, graph: FakeGraphAPI
) -> None:
    graph.fail_next(code)
    with pytest.raises(cls) as raised:
        await client.send(CITIZEN, text_message("halo"))
    assert type(raised.value) is cls and raised.value.code == code


async def test_a_wrong_token_is_an_invalid_token(
    graph: FakeGraphAPI, http: httpx.AsyncClient
) -> None:
    wrong = GraphClient(http, graph.base_url, graph.phone_number_id, "EAA-revoked")
    with pytest.raises(InvalidTokenError):
        await wrong.send(CITIZEN, text_message("halo"))


async def test_a_template_the_fake_does_not_know_is_a_plain_error(client: GraphClient) -> None:
    with pytest.raises(GraphAPIError) as raised:
        await client.send(CITIZEN, template_message("tidak_ada", "id"))
    assert raised.value.code == 132001


async def test_an_unreachable_api_is_unavailable(http: httpx.AsyncClient) -> None:
    client = GraphClient(http, "http://127.0.0.1:9/v21.0", "1", ACCESS_TOKEN)
    with pytest.raises(GraphUnavailableError):
        await client.send(CITIZEN, text_message("halo"))


async def test_an_answer_without_a_message_id_is_an_error(http: httpx.AsyncClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"messaging_product": "whatsapp", "messages": []})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as odd:
        client = GraphClient(odd, "https://graph.example/v21.0", "1", ACCESS_TOKEN)
        with pytest.raises(GraphAPIError, match="no message ID"):
            await client.send(CITIZEN, text_message("halo"))
        with pytest.raises(GraphAPIError, match="no media URL"):
            await client.media_info("123")


async def test_media_info_and_download(client: GraphClient, graph: FakeGraphAPI) -> None:
    content = b"\x89PNG" + b"\x01" * 500
    url = graph.add_media("555", content, "image/png")
    info = await client.media_info("555")
    assert (info.media_id, info.url, info.mime_type, info.file_size) == (
        "555",
        url,
        "image/png",
        504,
    )
    assert info.sha256 == hashlib.sha256(content).hexdigest()
    assert await client.download(info.url, 1000) == content
    assert graph.requests(MEDIA_DOWNLOAD)[0].authorized


async def test_a_download_over_the_cap_stops(client: GraphClient, graph: FakeGraphAPI) -> None:
    url = graph.add_media("556", b"\x00" * 5000, "video/mp4")
    with pytest.raises(MediaTooLargeError):
        await client.download(url, 4999)
    assert len(await client.download(url, 5000)) == 5000


async def test_download_errors_are_typed(client: GraphClient, graph: FakeGraphAPI) -> None:
    url = graph.add_media("557", b"x", "audio/ogg")
    graph.fail_next(190, endpoint=MEDIA_DOWNLOAD)
    with pytest.raises(InvalidTokenError):
        await client.download(url, 100)
    with pytest.raises(GraphAPIError) as raised:
        await client.download(url.replace("ext=", "ext=x"), 100)
    assert raised.value.http_status == 404


def test_the_http_client_has_explicit_timeouts_and_limits() -> None:
    client = graph_http_client(7.0)
    assert client.timeout.read == 7.0 and client.timeout.connect == 5.0
    assert client.follow_redirects is False


async def test_a_redirected_download_is_followed_and_keeps_the_cap() -> None:
    seen: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("authorization")))
        if request.url.path == "/media":
            return httpx.Response(302, headers={"location": "https://cdn.example/file"})
        return httpx.Response(200, content=b"jpeg-bytes")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = GraphClient(http, "https://graph.example/v21.0", "1", ACCESS_TOKEN)
        assert await client.download("https://lookaside.example/media", 100) == b"jpeg-bytes"
        with pytest.raises(MediaTooLargeError):
            await client.download("https://lookaside.example/media", 5)
    assert seen[0] == ("/media", f"Bearer {ACCESS_TOKEN}")
    assert seen[1] == ("/file", None), "the token followed the redirect to another host"
