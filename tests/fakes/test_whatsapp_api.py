"""The fake Graph API answers in Meta's wire format, checks bodies as Meta does, injects errors."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes import whatsapp_payloads as wp
from tests.fakes.whatsapp_api import (
    ACCESS_TOKEN,
    ERRORS,
    MEDIA_DOWNLOAD,
    MEDIA_INFO,
    MESSAGES,
    PHONE_NUMBER_ID,
    READ,
    FakeGraphAPI,
    error_body,
)

CITIZEN = "6281234567890"
AUTH = {"Authorization": f"Bearer {ACCESS_TOKEN}"}


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    """A running fake."""
    with FakeGraphAPI() as fake:
        yield fake


@pytest.fixture
def client(graph: FakeGraphAPI) -> Iterator[httpx.Client]:
    """A client on the fake's versioned base URL."""
    with httpx.Client(base_url=graph.base_url, timeout=5) as http:
        yield http


def send(client: httpx.Client, message: dict[str, Any], to: str = CITIZEN) -> httpx.Response:
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}
    return client.post(f"/{PHONE_NUMBER_ID}/messages", json=body, headers=AUTH)


def text(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"preview_url": False, "body": body}}


def buttons(titles: list[str], ids: list[str] | None = None, body: str = "Pilih") -> dict[str, Any]:
    ids = ids or [f"/choice{n}" for n in range(len(titles))]
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": i, "title": t}}
                    for i, t in zip(ids, titles, strict=True)
                ]
            },
        },
    }


def a_list(rows: list[dict[str, str]], sections: int = 1, label: str = "Pilihan") -> dict[str, Any]:
    per = max(1, len(rows) // sections)
    split = [rows[i : i + per] for i in range(0, len(rows), per)]
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Kategori?"},
            "action": {"button": label, "sections": [{"rows": part} for part in split]},
        },
    }


def rows(count: int, **overrides: str) -> list[dict[str, str]]:
    return [{"id": f"/row{n}", "title": f"Baris {n}", **overrides} for n in range(count)]


def template(name: str, language: str, params: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "language": {"code": language}}
    if params:
        body["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
        ]
    return {"type": "template", "template": body}


def error_of(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


# --- sending ---------------------------------------------------------------------------


def test_a_text_is_accepted_with_a_wamid_and_recorded(
    graph: FakeGraphAPI, client: httpx.Client
) -> None:
    response = send(client, text("Halo Bapak/Ibu 👋"))
    assert response.status_code == 200
    answer = response.json()
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": CITIZEN, "wa_id": CITIZEN}]
    [message] = answer["messages"]
    assert message["id"].startswith("wamid.")
    assert graph.sent_texts(CITIZEN) == ["Halo Bapak/Ibu 👋"]
    assert graph.sent_ids(CITIZEN) == [message["id"]]
    [record] = graph.requests(MESSAGES)
    assert record.authorized and record.ok and record.to == CITIZEN


def test_wamids_are_unique(client: httpx.Client) -> None:
    ids = {send(client, text(f"pesan {n}")).json()["messages"][0]["id"] for n in range(20)}
    assert len(ids) == 20


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Bearer {ACCESS_TOKEN}x", ACCESS_TOKEN])
def test_a_missing_or_wrong_token_is_401_code_190(
    header: str | None, graph: FakeGraphAPI, client: httpx.Client
) -> None:
    headers = {} if header is None else {"Authorization": header}
    body = {"messaging_product": "whatsapp", "to": CITIZEN, **text("halo")}
    response = client.post(f"/{PHONE_NUMBER_ID}/messages", json=body, headers=headers)
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == 190
    assert error["type"] == "OAuthException"
    assert error["error_subcode"] == 463
    assert error["fbtrace_id"]
    assert graph.sent() == []
    assert graph.requests(MESSAGES)[0].authorized is False


def test_a_read_receipt_with_typing_indicator_succeeds(
    graph: FakeGraphAPI, client: httpx.Client
) -> None:
    wamid = wp.new_wamid()
    body = {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": wamid,
        "typing_indicator": {"type": "text"},
    }
    response = client.post(f"/{PHONE_NUMBER_ID}/messages", json=body, headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert graph.read_receipts() == [body]
    assert graph.sent() == [], "a read receipt is not a sent message"


def test_a_read_receipt_needs_a_wamid(client: httpx.Client) -> None:
    body = {"messaging_product": "whatsapp", "status": "read", "message_id": "12345"}
    response = client.post(f"/{PHONE_NUMBER_ID}/messages", json=body, headers=AUTH)
    assert response.status_code == 400
    assert error_of(response)["code"] == 131009


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (text("x" * 4097), 131009),
        ({"type": "text", "text": {"body": ""}}, 131008),
        ({"type": "video", "video": {"id": "1"}}, 131009),
        ({"type": "text"}, 131008),
    ],
)
def test_invalid_messages_are_refused(
    message: dict[str, Any], code: int, client: httpx.Client
) -> None:
    response = send(client, message)
    assert response.status_code == 400
    assert error_of(response)["code"] == code


def test_the_longest_text_is_accepted(client: httpx.Client) -> None:
    assert send(client, text("x" * 4096)).status_code == 200


def test_wrong_phone_number_id_or_version_is_refused(graph: FakeGraphAPI) -> None:
    body = {"messaging_product": "whatsapp", "to": CITIZEN, **text("halo")}
    with httpx.Client(base_url=graph.server_url, timeout=5) as http:
        wrong_id = http.post("/v21.0/999/messages", json=body, headers=AUTH)
        wrong_version = http.post(f"/v1.0/{PHONE_NUMBER_ID}/messages", json=body, headers=AUTH)
    assert error_of(wrong_id)["code"] == 100
    assert error_of(wrong_version)["code"] == 100


# --- interactive -------------------------------------------------------------------------


def test_three_reply_buttons_are_accepted(client: httpx.Client) -> None:
    assert send(client, buttons(["Ya", "Tidak", "x" * 20])).status_code == 200


@pytest.mark.parametrize(
    "message",
    [
        buttons(["A", "B", "C", "D"]),
        buttons(["x" * 21]),
        buttons([""]),
        buttons(["A", "B"], ids=["/same", "/same"]),
        buttons(["A"], ids=["x" * 257]),
        buttons(["A"], body="x" * 1025),
        buttons(["A"], body=""),
    ],
    ids=["four", "long-title", "empty-title", "same-ids", "long-id", "long-body", "no-body"],
)
def test_reply_buttons_outside_the_limits_are_refused(
    message: dict[str, Any], client: httpx.Client
) -> None:
    response = send(client, message)
    assert response.status_code == 400
    assert error_of(response)["code"] in (131008, 131009)


def test_a_list_of_ten_rows_is_accepted(client: httpx.Client) -> None:
    long_rows = rows(10, description="d" * 72)
    long_rows[0]["title"] = "t" * 24
    long_rows[1]["id"] = "i" * 200
    assert send(client, a_list(long_rows)).status_code == 200


@pytest.mark.parametrize(
    ("message", "details"),
    [
        (a_list(rows(11)), "Total row count"),
        (a_list(rows(2, title="t" * 25)), "Row title"),
        (a_list(rows(2, description="d" * 73)), "Row description"),
        (a_list(rows(2, id="i" * 201)), "Row id"),
        (a_list(rows(4), sections=2), "Section title"),
        (a_list(rows(2), label="x" * 21), "List button"),
    ],
)
def test_lists_outside_the_limits_are_refused(
    message: dict[str, Any], details: str, client: httpx.Client
) -> None:
    response = send(client, message)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == 131009
    assert error["error_data"]["details"].startswith(details)


# --- templates ---------------------------------------------------------------------------


def test_a_known_template_is_accepted(graph: FakeGraphAPI, client: httpx.Client) -> None:
    graph.add_template("status_update", "en", parameters=2)
    assert send(client, template("status_update", "en", ["TNG-2026-000001", "Selesai"])).is_success
    assert send(client, template("status_laporan", "id", ["a", "b", "c"])).is_success
    [first, second] = graph.sent(CITIZEN, "template")
    assert first["template"]["name"] == "status_update"
    assert second["template"]["language"] == {"code": "id"}


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (template("nope", "id", []), 132001),
        (template("status_laporan", "en", []), 132001),
        (template("status_update", "en", ["only one"]), 132000),
        (template("status_laporan", "id", ["baris\nbaru"]), 132018),
    ],
)
def test_templates_are_checked(
    message: dict[str, Any], code: int, graph: FakeGraphAPI, client: httpx.Client
) -> None:
    graph.add_template("status_update", "en", parameters=2)
    response = send(client, message)
    assert response.status_code == 400
    assert error_of(response)["code"] == code


# --- faults ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_each_error_code_is_injected_in_metas_shape(
    code: int, graph: FakeGraphAPI, client: httpx.Client
) -> None:
    graph.fail_next(code)
    response = send(client, text("halo"))
    expected_status = ERRORS[code][0]
    assert response.status_code == expected_status
    error = error_of(response)
    assert error["code"] == code
    assert error["type"] == "OAuthException"
    assert error["message"]
    assert error["fbtrace_id"]
    if code != 190:
        assert error["error_data"]["messaging_product"] == "whatsapp"
        assert error["error_data"]["details"]
    assert send(client, text("lagi")).status_code == 200, "the fault is used once"


def test_a_fault_can_target_one_recipient_and_repeat(
    graph: FakeGraphAPI, client: httpx.Client
) -> None:
    graph.fail_next(130429, to="628999", times=2)
    assert send(client, text("a"), to="628111").status_code == 200
    assert error_of(send(client, text("b"), to="628999"))["code"] == 130429
    assert error_of(send(client, text("c"), to="628999"))["code"] == 130429
    assert send(client, text("d"), to="628999").status_code == 200
    assert [r.error_code for r in graph.requests(MESSAGES, to="628999")] == [130429, 130429, None]


def test_fault_details_can_be_replaced(graph: FakeGraphAPI, client: httpx.Client) -> None:
    graph.fail_next(131026, details="Receiver is incapable of receiving this message")
    error = error_of(send(client, text("x")))
    assert error["error_data"]["details"] == "Receiver is incapable of receiving this message"


def test_faults_on_read_receipts_spare_messages(graph: FakeGraphAPI, client: httpx.Client) -> None:
    graph.fail_next(131000, endpoint=READ)
    assert send(client, text("x")).status_code == 200
    body = {"messaging_product": "whatsapp", "status": "read", "message_id": wp.new_wamid()}
    response = client.post(f"/{PHONE_NUMBER_ID}/messages", json=body, headers=AUTH)
    assert response.status_code == 500


def test_fail_next_checks_its_arguments(graph: FakeGraphAPI) -> None:
    with pytest.raises(ValueError, match="unknown endpoint"):
        graph.fail_next(190, endpoint="nowhere")
    with pytest.raises(ValueError, match="times"):
        graph.fail_next(190, times=0)


def test_error_body_of_an_unlisted_code_is_generic() -> None:
    status, body = error_body(131999)
    assert status == 400
    assert body["error"]["code"] == 131999


# --- media -------------------------------------------------------------------------------


def test_media_info_then_download_with_the_token(graph: FakeGraphAPI, client: httpx.Client) -> None:
    content = b"\xff\xd8\xff\xe0" + b"\x00" * 100
    url = graph.add_media("1013859600285441", content, "image/jpeg")
    info = client.get("/1013859600285441", headers=AUTH).json()
    assert info == {
        "messaging_product": "whatsapp",
        "url": url,
        "mime_type": "image/jpeg",
        "sha256": hashlib.sha256(content).hexdigest(),
        "file_size": len(content),
        "id": "1013859600285441",
    }
    assert httpx.get(url).status_code == 401, "media URLs need the token"
    downloaded = httpx.get(url, headers=AUTH)
    assert downloaded.status_code == 200
    assert downloaded.content == content
    assert downloaded.headers["content-type"].startswith("image/jpeg")
    assert [r.endpoint for r in graph.requests()] == [MEDIA_INFO, MEDIA_DOWNLOAD, MEDIA_DOWNLOAD]


def test_declared_size_and_unknown_media(graph: FakeGraphAPI, client: httpx.Client) -> None:
    graph.add_media("42", b"%PDF-1.4", "application/pdf", declared_size=30_000_000)
    assert client.get("/42", headers=AUTH).json()["file_size"] == 30_000_000
    missing = client.get("/43", headers=AUTH)
    assert missing.status_code == 400
    assert error_of(missing)["code"] == 100


def test_download_faults_and_wrong_urls(graph: FakeGraphAPI) -> None:
    url = graph.add_media("7", b"data", "audio/ogg")
    graph.fail_next(131000, endpoint=MEDIA_DOWNLOAD)
    assert httpx.get(url, headers=AUTH).status_code == 500
    assert httpx.get(url, headers=AUTH).content == b"data"
    wrong = url.replace("ext=", "ext=0")
    assert httpx.get(wrong, headers=AUTH).status_code == 404


def test_phone_number_profile(client: httpx.Client) -> None:
    profile = client.get(f"/{PHONE_NUMBER_ID}", headers=AUTH).json()
    assert profile["id"] == PHONE_NUMBER_ID
    assert profile["quality_rating"] == "GREEN"


def test_wait_for_reports_on_timeout(graph: FakeGraphAPI, client: httpx.Client) -> None:
    send(client, text("halo"))
    graph.wait_for(lambda g: g.sent_texts(CITIZEN) == ["halo"], timeout=2)
    with pytest.raises(AssertionError, match="not met"):
        graph.wait_for(lambda g: len(g.sent()) == 2, timeout=0.2)


def test_a_body_that_is_not_json_is_refused(graph: FakeGraphAPI, client: httpx.Client) -> None:
    response = client.post(
        f"/{PHONE_NUMBER_ID}/messages",
        content=b"[1, 2",
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == 100


# --- payloads ----------------------------------------------------------------------------


def test_a_delivery_has_metas_envelope() -> None:
    factory = wp.WebhookFactory()
    factory.names["628111"] = "Siti"
    first = factory.text("628111", "halo")
    second = factory.image("628222", "99", caption="foto")
    delivery = factory.delivery([first, second])
    assert delivery["object"] == "whatsapp_business_account"
    [entry] = delivery["entry"]
    assert entry["id"] == wp.WABA_ID
    [change] = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {
        "display_phone_number": factory.display_phone_number,
        "phone_number_id": PHONE_NUMBER_ID,
    }
    assert value["contacts"] == [
        {"profile": {"name": "Siti"}, "wa_id": "628111"},
        {"profile": {"name": wp.DEFAULT_NAME}, "wa_id": "628222"},
    ]
    assert value["messages"] == [first, second]
    assert first["type"] == "text" and first["text"] == {"body": "halo"}
    assert second["image"]["caption"] == "foto"
    assert set(second["image"]) == {"caption", "mime_type", "sha256", "id"}
    assert first["id"].startswith("wamid.") and first["timestamp"].isdigit()


def test_interactive_and_status_shapes() -> None:
    factory = wp.WebhookFactory()
    tap = factory.button_reply("628111", "/affirm", "Ya")
    assert tap["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "/affirm", "title": "Ya"},
    }
    assert tap["context"]["from"] == factory.display_phone_number
    row = factory.list_reply("628111", "/inform", "Jalan", "Jalan rusak")
    assert row["interactive"]["list_reply"] == {
        "id": "/inform",
        "title": "Jalan",
        "description": "Jalan rusak",
    }
    delivered = factory.status("wamid.X", "delivered", "628111")
    assert delivered["conversation"]["origin"] == {"type": "service"}
    assert delivered["pricing"]["category"] == "service"
    failed = factory.failed("wamid.X", "628111", 131026)
    assert "conversation" not in failed
    [error] = failed["errors"]
    assert error["code"] == 131026
    assert error["error_data"]["details"] == "Message Undeliverable."
    only_statuses = factory.delivery(statuses=[delivered])
    assert "contacts" not in only_statuses["entry"][0]["changes"][0]["value"]


def test_encode_escapes_like_meta_and_sign_is_the_hmac_of_the_bytes() -> None:
    factory = wp.WebhookFactory()
    delivery = factory.delivery([factory.text("628111", "Jalan rusak 🚧 @Cikupa")])
    escaped = wp.encode(delivery)
    raw = wp.encode(delivery, escape_unicode=False)
    assert b"\\ud83d\\udea7" in escaped and "🚧".encode() in raw
    assert json.loads(escaped) == json.loads(raw) == delivery
    expected = hmac.new(b"app-secret", escaped, hashlib.sha256).hexdigest()
    assert wp.sign(escaped, "app-secret") == f"sha256={expected}"
    assert wp.sign(escaped, "app-secret") != wp.sign(raw, "app-secret")
