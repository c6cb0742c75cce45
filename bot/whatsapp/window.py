"""The 24-hour customer-service window.

WhatsApp lets a business send free-form messages only within 24 hours of the
citizen's last message; outside it only an approved template message may open the
conversation again. The gateway keeps a margin so a message queued a moment before
the window closes is not refused on arrival.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

CUSTOMER_SERVICE_WINDOW = dt.timedelta(hours=24)

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.timezone.utc)


def window_closes_at(last_inbound: dt.datetime) -> dt.datetime:
    """When free-form messages stop being allowed after a citizen's message."""
    return last_inbound + CUSTOMER_SERVICE_WINDOW


def within_window(
    last_inbound: dt.datetime | None,
    now: dt.datetime,
    margin: dt.timedelta = dt.timedelta(0),
) -> bool:
    """Whether a free-form message may be sent `now` (with `margin` to spare).

    Args:
        last_inbound: When the citizen last wrote; None when they never did.
        now: The current time (timezone-aware).
        margin: How long before the window closes to stop using it.
    """
    if last_inbound is None:
        return False
    return now < window_closes_at(last_inbound) - margin
