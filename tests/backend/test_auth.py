"""Passwords and bearer tokens."""

from __future__ import annotations

import time

import itsdangerous
import pytest

from backend.auth import Principal, Role, TokenAuthority, hash_password, verify_password
from backend.errors import ForbiddenError, UnauthorizedError

SERVICE = "service-token-for-unit-tests"
SECRET = "secret-key-for-unit-tests-0123456789"


@pytest.fixture
def tokens() -> TokenAuthority:
    return TokenAuthority(SERVICE, SECRET, ttl_seconds=600)


def test_password_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("kata-sandi-rahasia")
    assert stored.startswith("$argon2id$")
    assert "kata-sandi-rahasia" not in stored
    assert verify_password("kata-sandi-rahasia", stored)
    assert not verify_password("kata-sandi-salah", stored)
    assert not verify_password("", stored)


def test_password_hashes_are_salted() -> None:
    first, second = hash_password("sama"), hash_password("sama")
    assert first != second
    assert verify_password("sama", first) and verify_password("sama", second)


def test_unicode_passwords_work() -> None:
    stored = hash_password("sandi-ñ-✓-😀")
    assert verify_password("sandi-ñ-✓-😀", stored)
    assert not verify_password("sandi-n-✓-😀", stored)


@pytest.mark.parametrize(
    "stored", ["", "plaintext", "bcrypt$1$2$3$abc$def", "scrypt$16384$8$1$onlyfive"]
)
def test_malformed_stored_hashes_never_verify(stored: str) -> None:
    assert not verify_password("anything", stored)


def test_issued_token_identifies_the_user(tokens: TokenAuthority) -> None:
    token = tokens.issue("ani", Role.OFFICER, "DBMSDA")
    principal = tokens.principal_for(token)
    assert principal == Principal(role=Role.OFFICER, name="ani", agency="DBMSDA")
    assert not principal.sees_all_agencies
    assert tokens.authenticate(f"Bearer {token}") == principal
    assert tokens.authenticate(f"bearer   {token}  ") == principal
    assert tokens.ttl_seconds == 600


def test_admin_token_sees_all_agencies(tokens: TokenAuthority) -> None:
    principal = tokens.principal_for(tokens.issue("root", Role.ADMIN, None))
    assert principal.role is Role.ADMIN
    assert principal.sees_all_agencies


def test_service_token(tokens: TokenAuthority) -> None:
    principal = tokens.authenticate(f"Bearer {SERVICE}")
    assert principal.role is Role.SERVICE
    assert principal.sees_all_agencies
    assert principal.may_see_reporter("anonymous")


def test_service_token_prefix_or_extension_is_rejected(tokens: TokenAuthority) -> None:
    for token in (SERVICE[:-1], SERVICE + "x", SERVICE.upper()):
        with pytest.raises(UnauthorizedError):
            tokens.principal_for(token)


def test_without_a_configured_service_token_no_token_is_the_service() -> None:
    tokens = TokenAuthority("", SECRET, ttl_seconds=600)
    with pytest.raises(UnauthorizedError):
        tokens.principal_for("")


def test_expired_token_is_rejected(tokens: TokenAuthority, monkeypatch: pytest.MonkeyPatch) -> None:
    issued_at = int(time.time()) - 601
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: issued_at)
        token = tokens.issue("ani", Role.OFFICER, "DBMSDA")
    with pytest.raises(UnauthorizedError, match="expired"):
        tokens.principal_for(token)


def test_token_just_inside_its_lifetime_is_accepted(
    tokens: TokenAuthority, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued_at = int(time.time()) - 590
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: issued_at)
        token = tokens.issue("ani", Role.OFFICER, "DBMSDA")
    assert tokens.principal_for(token).name == "ani"


def test_tampered_token_is_rejected(tokens: TokenAuthority) -> None:
    token = tokens.issue("ani", Role.OFFICER, "DBMSDA")
    _, _, rest = token.partition(".")
    # Claim the admin role while keeping the original signature.
    forged_payload = (
        itsdangerous.URLSafeSerializer("x")
        .dump_payload({"u": "ani", "r": "admin", "a": None})
        .decode()
    )
    for forged in (
        token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
        f"{forged_payload}.{rest}",
        token + "x",
    ):
        with pytest.raises(UnauthorizedError, match="not valid"):
            tokens.principal_for(forged)


def test_token_signed_with_another_secret_is_rejected(tokens: TokenAuthority) -> None:
    other = TokenAuthority(SERVICE, "a-different-secret-key-987654321", ttl_seconds=600)
    with pytest.raises(UnauthorizedError):
        tokens.principal_for(other.issue("ani", Role.ADMIN, None))


def test_signed_token_with_an_unknown_role_is_rejected(tokens: TokenAuthority) -> None:
    serializer = itsdangerous.URLSafeTimedSerializer(SECRET, salt="lapor-console-token")
    for data in ({"u": "x", "r": "superuser"}, {"u": "x"}, ["not", "a", "dict"]):
        with pytest.raises(UnauthorizedError):
            tokens.principal_for(serializer.dumps(data))


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", SERVICE]
)
def test_malformed_authorization_headers_are_rejected(
    tokens: TokenAuthority, header: str | None
) -> None:
    with pytest.raises(UnauthorizedError):
        tokens.authenticate(header)


def test_require_refuses_other_roles() -> None:
    officer = Principal(role=Role.OFFICER, name="ani", agency="DBMSDA")
    officer.require(Role.OFFICER)
    with pytest.raises(ForbiddenError, match="service, admin"):
        officer.require(Role.SERVICE, Role.ADMIN)


def test_officers_never_see_anonymous_reporters() -> None:
    officer = Principal(role=Role.OFFICER, name="ani", agency="DBMSDA")
    admin = Principal(role=Role.ADMIN, name="root")
    assert not officer.may_see_reporter("anonymous")
    assert officer.may_see_reporter("public")
    assert officer.may_see_reporter("confidential")
    assert admin.may_see_reporter("anonymous")
