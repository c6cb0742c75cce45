"""What can go wrong talking to LAPOR!, as a small exception tree.

`LaporError` > `LaporUnavailable` (5xx, timeouts, connection trouble), `LaporRejected`
(4xx, with the message of the answer) > `LaporAuthError` (401/403), `LaporMalformed`
(an answer that is not the JSON shape expected).

`maybe_processed` tells the forwarder whether LAPOR! may have acted on the request
although we got no usable answer: a report created then could be created twice by a
blind retry, so such an outcome is parked for review instead (docs/lapor_bridge.md).
"""

from __future__ import annotations


class LaporError(Exception):
    """Any failed call to LAPOR!."""

    #: Whether LAPOR! may have carried the request out despite the failure.
    maybe_processed: bool = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class LaporUnavailable(LaporError):  # noqa: N818 - the names issue 16 specifies
    """LAPOR! (or the SPLP gateway) is down, slow or answered 5xx: try again later."""

    def __init__(
        self, message: str, *, status: int | None = None, maybe_processed: bool = False
    ) -> None:
        super().__init__(message, status=status)
        self.maybe_processed = maybe_processed


class LaporRejected(LaporError):  # noqa: N818 - the names issue 16 specifies
    """LAPOR! refused the request (4xx); sending it again unchanged will not help."""


class LaporAuthError(LaporRejected):
    """LAPOR! refused our credentials (401/403): `LAPOR_AUTH_SECRET` / `LAPOR_TOKEN`."""


class LaporMalformed(LaporError):  # noqa: N818 - the names issue 16 specifies
    """A 2xx answer that is not JSON, or lacks what the call must return."""

    maybe_processed = True
