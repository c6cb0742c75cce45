"""`X-Hub-Signature-256`: the HMAC of the raw bytes, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from bot.whatsapp.signature import sign, signature_matches

SECRET = "0a1b2c3d4e5f-app-secret"


def reference(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


BODIES = [
    b"",
    b'{"object":"whatsapp_business_account","entry":[]}',
    json.dumps({"text": "Jalan rusak 🚧 @Cikupa"}).encode(),  # escaped: \ud83d\udea7
    json.dumps({"text": "Jalan rusak 🚧 @Cikupa"}, ensure_ascii=False).encode(),  # raw UTF-8
    "Pak RT bilang “sabar” — ñ 中文 \u0000 @@".encode(),
    b"\xff\xfe not even UTF-8 \x80",
    b'{"a":"\\/\\u0040"}',
]


@pytest.mark.parametrize("body", BODIES)
def test_sign_is_sha256_hmac_of_the_raw_bytes(body: bytes) -> None:
    assert sign(body, SECRET) == reference(body)
    assert signature_matches(body, reference(body), SECRET)


def test_the_escaped_and_the_raw_form_of_one_text_have_different_signatures() -> None:
    escaped, raw = BODIES[2], BODIES[3]
    assert json.loads(escaped) == json.loads(raw)
    assert not signature_matches(raw, reference(escaped), SECRET)
    assert not signature_matches(escaped, reference(raw), SECRET)


def test_an_at_sign_escaped_differently_does_not_match() -> None:
    assert not signature_matches(b'{"a":"@"}', reference(b'{"a":"\\u0040"}'), SECRET)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        "sha256",
        "sha256=",
        "sha1=" + hashlib.sha1(b"x").hexdigest(),  # noqa: S324 - the algorithm Meta retired
        "sha256=" + "g" * 64,
        "sha256=" + "0" * 63,
        "sha256=" + "0" * 65,
        "md5=" + "0" * 64,
    ],
)
def test_missing_or_odd_headers_never_match(header: str | None) -> None:
    assert not signature_matches(b"{}", header, SECRET)


def test_case_and_surrounding_space_of_a_right_signature_are_tolerated() -> None:
    body = BODIES[1]
    digest = reference(body).removeprefix("sha256=")
    assert signature_matches(body, f"SHA256={digest.upper()}", SECRET)
    assert signature_matches(body, f"  sha256={digest}\t", SECRET)


def test_one_changed_byte_or_another_secret_never_matches() -> None:
    body = bytearray(BODIES[3])
    header = reference(bytes(body))
    for index in range(len(body)):
        changed = bytearray(body)
        changed[index] ^= 0x01
        assert not signature_matches(bytes(changed), header, SECRET)
    assert not signature_matches(bytes(body), header, SECRET + "x")
    assert not signature_matches(bytes(body), header, "")
