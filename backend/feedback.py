"""The reporter's word on a resolved report: fixed (closed), not fixed (reopened), rating.

As in SP4N-LAPOR!, a reporter who says the problem is not fixed within 10 working days
of its resolution sends the report back to the agency; officers see why in its history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.auth import Principal, Role
from backend.complaints import Policy, change_status, get_complaint
from backend.db import utcnow
from backend.deadlines import working_days_between
from backend.errors import ConflictError, ForbiddenError
from backend.models import Report
from backend.notifications import REPORTER_ACTOR
from backend.workflow import Status

REOPEN_WORKING_DAYS = 10
CONFIRMED_NOTE = "Pelapor mengonfirmasi masalah sudah selesai."
REOPENED_NOTE = "Pelapor menyatakan masalah belum selesai; laporan dibuka kembali."
#: How the reporter appears in a report's history.
REPORTER = Principal(role=Role.SERVICE, name=REPORTER_ACTOR)


@dataclass(frozen=True)
class Feedback:
    """What the reporter said (any part may be missing)."""

    chat_id: str
    fixed: bool | None = None
    rating: int | None = None


def resolved_day(report: Report, policy: Policy) -> dt.date | None:
    """The local date the report last became `resolved`."""
    moments = [h.at for h in report.history if h.status == Status.RESOLVED.value]
    return policy.local_date(moments[-1]) if moments else None


def may_reopen(report: Report, today: dt.date, policy: Policy) -> bool:
    """Resolved no more than 10 working days ago."""
    day = resolved_day(report, policy)
    if report.status != Status.RESOLVED.value or day is None:
        return False
    return working_days_between(day, today) <= REOPEN_WORKING_DAYS


def give_feedback(
    session: Session,
    tracking_id: str,
    feedback: Feedback,
    policy: Policy,
    viewer: Principal,
    now: dt.datetime | None = None,
) -> tuple[Report, bool]:
    """Apply the reporter's feedback; returns the report and whether it was reopened.

    Raises:
        ForbiddenError: the feedback does not come from the reporter's chat.
        ConflictError: a "not fixed" for a report not resolved, or too late.
    """
    now = now or utcnow()
    report = get_complaint(session, tracking_id, viewer)
    if report.reporter is None or report.reporter.chat_id != feedback.chat_id:
        raise ForbiddenError("Only the reporter's own chat can give feedback on this report.")
    reopened = False
    if feedback.fixed is False:
        if not may_reopen(report, policy.local_date(now), policy):
            raise ConflictError(
                f"Report {report.tracking_id} can only be reopened within "
                f"{REOPEN_WORKING_DAYS} working days of being resolved."
            )
        report = change_status(
            session,
            tracking_id,
            Status.IN_PROGRESS,
            REOPENED_NOTE,
            policy,
            REPORTER,
            now,
            notify_citizen=False,
        )
        reopened = True
    elif feedback.fixed is True and report.status == Status.RESOLVED.value:
        report = change_status(
            session,
            tracking_id,
            Status.CLOSED,
            CONFIRMED_NOTE,
            policy,
            REPORTER,
            now,
            notify_citizen=False,
        )
    if feedback.rating is not None:
        report.satisfaction_rating = feedback.rating
        report.rated_at = now
        session.commit()
    return report, reopened
