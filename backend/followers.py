"""Followers of a report: citizens with the same problem ("me too").

A follower is told every later status change of the report, as its reporter is (the
fan-out is `backend.notifications.fan_out_to_followers`), and their own description,
photos and place are added to the report's thread as supporting information.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db import utcnow
from backend.errors import ConflictError, NotFoundError
from backend.models import Report, ReportFollower
from backend.nearby import NEARBY_STATUSES
from backend.schemas import ComplaintOut, FollowIn, LocationIn, Privacy
from backend.threads import SUPPORTING, add_citizen_entry
from backend.tracking import normalise_tracking_id

FOLLOW, MERGE = "follow", "merge"


def lock_report(session: Session, tracking_id: str) -> Report:
    """The report with `tracking_id`, locked for update (any agency), or NotFoundError."""
    canonical = normalise_tracking_id(tracking_id)
    report: Report | None = None
    if canonical:
        report = (
            session.execute(
                select(Report)
                .where(Report.tracking_id == canonical)
                .with_for_update(of=Report)
                .execution_options(populate_existing=True)
            )
            .unique()
            .scalar_one_or_none()
        )
    if report is None:
        raise NotFoundError(
            f"No report with tracking ID {tracking_id!r}. Check the ID and try again."
        )
    return report


def is_follower(session: Session, report: Report, chat_id: str) -> bool:
    """Whether `chat_id` follows `report`."""
    found = session.execute(
        select(ReportFollower.id).where(
            ReportFollower.report_id == report.id, ReportFollower.chat_id == chat_id
        )
    ).first()
    return found is not None


def place_text(location: LocationIn) -> str:
    """The follower's place in words, for the thread ("" when none was given)."""
    parts = [p for p in (location.text, location.desa, location.kecamatan) if p]
    if location.latitude is not None and location.longitude is not None:
        parts.append(f"{location.latitude:.6f}, {location.longitude:.6f}")
    return ", ".join(parts)


def supporting_text(body: FollowIn) -> str:
    """What the follower said, with their place, as one thread entry."""
    lines = [body.description or ""]
    place = place_text(body.location)
    if place:
        lines.append(f"Lokasi: {place}")
    return "\n".join(line for line in lines if line).strip()


def follow(
    session: Session, tracking_id: str, body: FollowIn, now: dt.datetime | None = None
) -> tuple[Report, bool]:
    """Make `body.chat_id` a follower of the report; return it and whether it is new.

    Following again changes nothing (and adds nothing to the thread). Commits.

    Raises:
        NotFoundError: no such report.
        ConflictError: the chat is the reporter, or the report is no longer open
            (merged, resolved or finished).
    """
    now = now or utcnow()
    report = lock_report(session, tracking_id)
    if is_follower(session, report, body.chat_id):
        return report, False
    if report.reporter is not None and report.reporter.chat_id == body.chat_id:
        raise ConflictError(
            f"This chat filed report {report.tracking_id} itself: it already gets its updates."
        )
    if report.duplicate_of is not None:
        raise ConflictError(
            f"Report {report.tracking_id} was merged into {report.duplicate_of.tracking_id}: "
            "follow that report instead."
        )
    if report.status not in NEARBY_STATUSES:
        raise ConflictError(
            f"Report {report.tracking_id} is '{report.status}': only a report still being "
            "handled can be followed."
        )
    session.add(
        ReportFollower(
            report_id=report.id,
            chat_id=body.chat_id,
            name=body.name,
            language=body.language,
            source=FOLLOW,
            created_at=now,
        )
    )
    report.followers_count = (report.followers_count or 0) + 1
    session.expire(report, ["followers"])
    text = supporting_text(body)
    if text or body.attachments:
        add_citizen_entry(
            session, report, body.chat_id, text, list(body.attachments), kind=SUPPORTING, now=now
        )
    try:
        session.commit()
    except IntegrityError:  # the same chat followed in a concurrent request
        session.rollback()
        return lock_report(session, tracking_id), False
    return report, True


def follower_chats(session: Session, report_ids: Sequence[int]) -> list[ReportFollower]:
    """The followers of the reports `report_ids`, oldest first."""
    if not report_ids:
        return []
    rows = session.execute(
        select(ReportFollower)
        .where(ReportFollower.report_id.in_(report_ids))
        .order_by(ReportFollower.id)
    ).scalars()
    return list(rows)


def follower_view(out: ComplaintOut, report: Report) -> ComplaintOut:
    """The report as a follower may see it: nothing of the reporter, of other citizens'
    files or deliveries; a confidential report without its description and place."""
    update: dict[str, object] = {
        "reporter": None,
        "notifications": [],
        "followers": None,
        "attachments": [],
        "attachment_files": [],
    }
    if report.privacy == Privacy.CONFIDENTIAL.value:
        update["description"] = ""
        update["location"] = out.location.copy(
            update={"text": None, "latitude": None, "longitude": None, "desa": None}
        )
    return out.copy(update=update)
