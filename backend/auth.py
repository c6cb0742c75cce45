"""Who is calling: the service token, and signed tokens for console users."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from enum import Enum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from backend.errors import ForbiddenError, UnauthorizedError

_TOKEN_SALT = "lapor-console-token"  # noqa: S105 - a salt, not a secret


class Role(str, Enum):
    """What a caller may do."""

    SERVICE = "service"  # the bot, the action server, integrations
    ADMIN = "admin"  # sees and manages every report
    OFFICER = "officer"  # an agency officer: their agency's reports only
    VIEWER = "viewer"  # console statistics only


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    role: Role
    name: str
    agency: str | None = None

    @property
    def sees_all_agencies(self) -> bool:
        """Service callers and administrators are not limited to one agency."""
        return self.role in (Role.SERVICE, Role.ADMIN)

    def may_see_reporter(self, privacy: str) -> bool:
        """Officers never see who filed an anonymous report."""
        return self.role is not Role.OFFICER or privacy != "anonymous"

    def require(self, *roles: Role) -> None:
        """Raise ForbiddenError unless the caller has one of `roles`."""
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise ForbiddenError(f"This needs one of these roles: {allowed}.")


#: Argon2id with the library's recommended parameters (RFC 9106 low-memory profile).
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """An Argon2id hash of `password`, salted, in the standard PHC string format."""
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches a hash made by `hash_password`."""
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored: str) -> bool:
    """True when `stored` was made with weaker parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def spend_password_check_time(password: str) -> None:
    """Verify against a dummy hash: an unknown username costs as long as a wrong password."""
    verify_password(password, _dummy_hash())


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("not-a-real-password")


class TokenAuthority:
    """Checks bearer tokens: the shared service token or a signed console token."""

    def __init__(self, service_token: str, secret_key: str, ttl_seconds: int) -> None:
        self._service_token = service_token
        self._serializer = URLSafeTimedSerializer(
            secret_key or secrets.token_hex(32), salt=_TOKEN_SALT
        )
        self._ttl = ttl_seconds

    @property
    def ttl_seconds(self) -> int:
        """How long a console token stays valid."""
        return self._ttl

    def issue(self, username: str, role: Role, agency: str | None) -> str:
        """A signed, expiring token for a console user."""
        return str(self._serializer.dumps({"u": username, "r": role.value, "a": agency}))

    def authenticate(self, authorization: str | None) -> Principal:
        """The caller behind an `Authorization: Bearer ...` header, or UnauthorizedError."""
        if not authorization:
            raise UnauthorizedError("Missing credentials: send 'Authorization: Bearer <token>'.")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise UnauthorizedError("Use the Bearer scheme: 'Authorization: Bearer <token>'.")
        return self.principal_for(token)

    def principal_for(self, token: str) -> Principal:
        """The caller a raw token belongs to, or UnauthorizedError."""
        if self._service_token and hmac.compare_digest(
            token.encode(), self._service_token.encode()
        ):
            return Principal(role=Role.SERVICE, name="service")
        try:
            data = self._serializer.loads(token, max_age=self._ttl)
        except SignatureExpired as exc:
            raise UnauthorizedError("Your session has expired; please log in again.") from exc
        except BadSignature as exc:
            raise UnauthorizedError("The token is not valid.") from exc
        try:
            return Principal(role=Role(data["r"]), name=str(data["u"]), agency=data.get("a"))
        except (KeyError, ValueError, TypeError) as exc:
            raise UnauthorizedError("The token is not valid.") from exc
