"""Meta's webhook signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.

The HMAC is computed over the raw request bytes exactly as received, with the app
secret as key. Parsing and re-serialising the JSON first would change the bytes
(Meta escapes non-ASCII text as `\\uXXXX`, emoji as surrogate pairs, and "@" may be
escaped too), so the check never looks at anything but the raw body.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="
_HEX_DIGITS = frozenset("0123456789abcdef")


def sign(raw_body: bytes, app_secret: str) -> str:
    """The header value Meta sends for `raw_body`: `sha256=<64 hex digits>`."""
    digest = hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def signature_matches(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether `header` is the signature of `raw_body` under `app_secret` (constant time).

    A missing header, another algorithm, a malformed digest or an empty secret never
    match.
    """
    if not header or not app_secret:
        return False
    value = header.strip()
    if value[: len(_PREFIX)].lower() != _PREFIX:
        return False
    received = value[len(_PREFIX) :].lower()
    if len(received) != 64 or not set(received) <= _HEX_DIGITS:
        return False
    expected = sign(raw_body, app_secret)[len(_PREFIX) :]
    return hmac.compare_digest(received.encode("ascii"), expected.encode("ascii"))
