"""What the report pages show: deadline badges and the reporter as a viewer may see them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from backend.console.masking import mask_chat_id, mask_email, mask_name, mask_phone
from backend.deadlines import working_days_between
from backend.models import Report
from backend.workflow import Status


@dataclass(frozen=True)
class Badge:
    """A deadline badge: a CSS class (`overdue`, `due`, `ok`, `none`) and its text key."""

    kind: str
    key: str
    days: int = 0


@dataclass(frozen=True)
class ReporterView:
    """The reporter's details as shown to one viewer."""

    hidden: bool  # anonymous report seen by an officer: nothing at all
    masked: bool
    name: str
    phone: str
    email: str
    chat_id: str


def current_deadline(report: Report) -> dt.date | None:
    """The deadline the report is running against in its status, if any."""
    if report.status == Status.RECEIVED.value:
        return report.verify_due  # type: ignore[no-any-return]
    if report.status == Status.VERIFIED.value:
        return report.followup_due  # type: ignore[no-any-return]
    return None


def deadline_badge(report: Report, today: dt.date) -> Badge:
    """Overdue, due within 1 working day, later, or no running deadline."""
    due = current_deadline(report)
    if due is None:
        return Badge("none", "no_deadline")
    if due < today:
        return Badge("overdue", "overdue_by", working_days_between(due, today))
    if due == today:
        return Badge("due", "due_today")
    days = working_days_between(today, due)
    return Badge("due" if days <= 1 else "ok", "due_in", days)


def reporter_view(report: Report, may_see_identity: bool, masked: bool) -> ReporterView:
    """The reporter for a viewer: hidden on anonymous reports for officers, else maybe masked."""
    reporter = report.reporter
    if reporter is None or not may_see_identity:
        return ReporterView(hidden=True, masked=True, name="", phone="", email="", chat_id="")
    if masked:
        return ReporterView(
            hidden=False,
            masked=True,
            name=mask_name(reporter.name),
            phone=mask_phone(reporter.phone),
            email=mask_email(reporter.email),
            chat_id=mask_chat_id(reporter.chat_id),
        )
    return ReporterView(
        hidden=False,
        masked=False,
        name=reporter.name or "",
        phone=reporter.phone or "",
        email=reporter.email or "",
        chat_id=reporter.chat_id or "",
    )


def has_identity(report: Report) -> bool:
    """True when the report's reporter left any personal data."""
    reporter = report.reporter
    return reporter is not None and any(
        (reporter.name, reporter.phone, reporter.email, reporter.chat_id)
    )


def map_link(latitude: float | None, longitude: float | None) -> str | None:
    """An OpenStreetMap link for a coordinate (a link only: nothing is loaded from it)."""
    if latitude is None or longitude is None:
        return None
    return (
        f"https://www.openstreetmap.org/?mlat={latitude:.6f}&mlon={longitude:.6f}"
        f"#map=17/{latitude:.6f}/{longitude:.6f}"
    )
