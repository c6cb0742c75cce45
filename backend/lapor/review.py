"""What an administrator does with a forward parked for review or failed.

`review` means LAPOR! may already hold the report (an interrupted or unanswered
create). The administrator looks for our tracking ID in LAPOR! (it is the report's
`tags_raw` and the last line of its content) and then either records the complaint id
found there, or, when LAPOR! has no such report, sends it again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db import utcnow
from backend.errors import ConflictError, NotFoundError
from backend.lapor.forwarder import ForwardState
from backend.models import LaporForward, Report
from backend.tracking import normalise_tracking_id

#: States a person may act on.
ACTIONABLE = frozenset({ForwardState.REVIEW.value, ForwardState.FAILED.value})


def resolve_forward(
    session: Session,
    tracking_id: str,
    complaint_id: str | None,
    poll_seconds: float,
    now: dt.datetime | None = None,
) -> Report:
    """Record LAPOR!'s `complaint_id` for the report, or (None) queue it to be sent again."""
    now = now or utcnow()
    canonical = normalise_tracking_id(tracking_id)
    row = None
    if canonical:
        row = session.execute(
            select(LaporForward)
            .join(Report, Report.id == LaporForward.report_id)
            .where(Report.tracking_id == canonical)
            .with_for_update(of=LaporForward)
        ).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"No report {tracking_id!r} is to be forwarded to LAPOR!.")
    if row.state not in ACTIONABLE:
        raise ConflictError(
            f"The LAPOR! forward of {canonical} is {row.state}; only a forward in review "
            "or failed can be resolved or sent again."
        )
    row.updated_at = now
    row.sending_since = None
    if complaint_id is None:
        row.state = ForwardState.PENDING.value
        row.next_attempt_at = now
        row.uploaded = None  # upload again: a failed forward may be about a missing file
    else:
        row.state = ForwardState.FORWARDED.value
        row.complaint_id = complaint_id
        row.error = None
        row.next_attempt_at = None
        row.next_poll_at = now + dt.timedelta(seconds=poll_seconds)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(
            f"LAPOR! complaint {complaint_id} is already recorded for another report."
        ) from exc
    report: Report = (
        session.execute(
            select(Report)
            .where(Report.id == row.report_id)
            .execution_options(populate_existing=True)
        )
        .unique()
        .scalar_one()
    )
    return report
