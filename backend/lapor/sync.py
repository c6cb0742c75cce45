"""Sync back: LAPOR!'s status and follow-ups of forwarded, open reports.

A forwarded report is polled when its `next_poll_at` is due: every
`LAPOR_POLL_SECONDS` while LAPOR! has not verified it, three times that afterwards,
sooner after an error, and never again once our report is final. Each poll reads the
detail and every follow-up page:

- each follow-up not seen before (and not one of ours, see `backend.lapor.outgoing`)
  becomes a history entry with `source` "lapor" and an outbox event, in the
  transaction that advances the row's `followups_seen`: the citizen hears it once;
- LAPOR!'s status moves ours forward along received -> verified -> in_progress ->
  resolved; `Ditolak` or `Diarsipkan` while our report is open is a conflict, kept
  in the row's `conflict` for an administrator, never applied blindly; LAPOR! being
  behind us is normal (our changes reach it as follow-ups).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from backend.auth import Principal, Role
from backend.complaints import Policy, add_lapor_note, change_status
from backend.db import utcnow
from backend.errors import ConflictError
from backend.lapor.client import ComplaintDetail, FollowUp, LaporClient
from backend.lapor.errors import LaporError
from backend.lapor.forwarder import update_forward
from backend.lapor.outgoing import LAPOR_SOURCE, marker
from backend.models import LaporForward, Report
from backend.workflow import OPEN_STATUSES, Status

logger = logging.getLogger(__name__)

#: LAPOR!'s status names -> our statuses (reference/lapor_v3.md; to be confirmed).
STATUS_MAP: Final = {
    "Belum Terverifikasi": Status.RECEIVED,
    "Terverifikasi": Status.VERIFIED,
    "Dalam Proses": Status.IN_PROGRESS,
    "Selesai": Status.RESOLVED,
    "Diarsipkan": Status.ARCHIVED,
    "Ditolak": Status.REJECTED,
}
_PROGRESS: Final = (Status.RECEIVED, Status.VERIFIED, Status.IN_PROGRESS, Status.RESOLVED)
#: The actor of changes the sync makes.
LAPOR_ACTOR: Final = "SP4N-LAPOR!"
_LAPOR_PRINCIPAL: Final = Principal(role=Role.SERVICE, name=LAPOR_ACTOR)
#: Follow-up times are `d-m-Y H:i:s`, taken as the regency's local time (assumed).
FOLLOWUP_TIME_FORMAT: Final = "%d-%m-%Y %H:%M:%S"


@dataclass(frozen=True)
class Decision:
    """What to do with LAPOR!'s status: our steps forward, or a conflict to show."""

    steps: tuple[Status, ...] = ()
    conflict: str | None = None


def reconcile(ours: Status, lapor_status_name: str | None) -> Decision:
    """Compare LAPOR!'s status with ours (a pure function)."""
    theirs = STATUS_MAP.get(lapor_status_name or "")
    if theirs is None or theirs is ours or ours not in OPEN_STATUSES:
        return Decision()
    if theirs in (Status.REJECTED, Status.ARCHIVED):
        return Decision(
            conflict=f"LAPOR! says {lapor_status_name}; we say {ours.value}. "
            "Check the report and change one side."
        )
    if ours in _PROGRESS and theirs in _PROGRESS:
        start, end = _PROGRESS.index(ours), _PROGRESS.index(theirs)
        return Decision(steps=_PROGRESS[start + 1 : end + 1]) if end > start else Decision()
    return Decision()


def fill_placeholders(followup: FollowUp, status_name: str | None) -> str:
    """The follow-up's text with LAPOR!'s placeholders filled in."""
    text = followup.content or followup.template_content or ""
    replacements = {
        "{{institution_to}}": followup.institution_to_name or "instansi terkait",
        "{{institution_from}}": followup.institution_from_name or "SP4N-LAPOR!",
        "{{status_new}}": status_name or "",
    }
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return text.strip()


def followup_time(followup: FollowUp, zone: ZoneInfo, fallback: dt.datetime) -> dt.datetime:
    """When LAPOR! says the follow-up was written, in UTC (`fallback` if unreadable)."""
    try:
        local = dt.datetime.strptime(followup.created_at or "", FOLLOWUP_TIME_FORMAT)
    except ValueError:
        return fallback
    return local.replace(tzinfo=zone).astimezone(dt.timezone.utc)


class Syncer:
    """Polls due forwarded reports and applies what LAPOR! says."""

    def __init__(
        self,
        sessions: sessionmaker,
        client: LaporClient,
        policy: Policy,
        poll_seconds: float,
        clock: Callable[[], dt.datetime] = utcnow,
        read_sessions: sessionmaker | None = None,
    ) -> None:
        self._sessions = sessions
        self._read_sessions = read_sessions or sessions
        self._client = client
        self._policy = policy
        self._poll = dt.timedelta(seconds=poll_seconds)
        self._clock = clock
        self.last_success_at: dt.datetime | None = None

    def run_once(self, limit: int = 50) -> int:
        """Poll up to `limit` due reports; how many were polled."""
        due = self._claim(limit)
        for report_id, complaint_id in due:
            try:
                self.poll(report_id, complaint_id)
            except LaporError as exc:
                self._set(report_id, error=exc.message, next_poll_at=self._clock() + self._retry())
            except Exception:  # one broken report must not stop the others
                logger.exception("syncing report %s from LAPOR! failed", report_id)
        return len(due)

    def _retry(self) -> dt.timedelta:
        return min(self._poll, dt.timedelta(minutes=5))

    def _claim(self, limit: int) -> list[tuple[int, str]]:
        """Due forwarded rows; their next poll is pushed on at once (a lease)."""
        now = self._clock()
        due = (
            LaporForward.state == "forwarded",
            LaporForward.complaint_id.is_not(None),
            LaporForward.next_poll_at <= now,
        )
        with self._read_sessions() as session:  # no write lock when nothing is due
            if session.execute(select(LaporForward.report_id).where(*due).limit(1)).first() is None:
                return []
        with self._sessions() as session:
            query = (
                select(LaporForward.report_id, LaporForward.complaint_id)
                .where(*due)
                .order_by(LaporForward.next_poll_at)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = [(int(r), str(c)) for r, c in session.execute(query).all()]
            if rows:
                session.execute(
                    update(LaporForward)
                    .where(LaporForward.report_id.in_([r for r, _ in rows]))
                    .values(next_poll_at=now + self._poll)
                    .execution_options(synchronize_session=False)
                )
            session.commit()
        return rows

    def poll(self, report_id: int, complaint_id: str) -> None:
        """Read LAPOR!'s detail and follow-ups of one report and apply them."""
        detail = self._client.get_complaint(complaint_id)
        followups = list(self._client.followups(complaint_id))
        self.last_success_at = self._clock()
        tracking_id = self._apply_followups(report_id, detail, followups)
        if tracking_id is not None:
            self._apply_status(report_id, tracking_id, detail)

    def _apply_followups(
        self, report_id: int, detail: ComplaintDetail, followups: list[FollowUp]
    ) -> str | None:
        """New follow-ups -> history + outbox, with the sync position, in one transaction."""
        now = self._clock()
        with self._sessions() as session:
            row = session.execute(
                select(LaporForward)
                .where(LaporForward.report_id == report_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).scalar_one()
            report = session.get(Report, report_id, populate_existing=True)
            if report is None:
                return None
            ours = marker(report.tracking_id)
            for followup in followups[row.followups_seen :]:
                text = fill_placeholders(followup, detail.status_name)
                if not text or text.startswith(ours):
                    continue
                actor = f"{LAPOR_ACTOR} {followup.institution_from_name or ''}".strip()
                at = followup_time(followup, self._policy.timezone, now)
                add_lapor_note(session, report, text, actor[:100], at, now)
            row.followups_seen = max(row.followups_seen, len(followups))
            row.lapor_status = detail.status_name
            row.last_sync_at = now
            row.error = None
            row.next_poll_at = self._next_poll(Status(report.status), detail.status_name, now)
            row.updated_at = now
            tracking_id = str(report.tracking_id)
            session.commit()
        return tracking_id

    def _apply_status(self, report_id: int, tracking_id: str, detail: ComplaintDetail) -> None:
        with self._sessions() as session:
            report = session.get(Report, report_id)
            if report is None:
                return
            decision = reconcile(Status(report.status), detail.status_name)
            session.rollback()
            for step in decision.steps:
                note = f"Status di SP4N-LAPOR!: {detail.status_name}"
                try:
                    change_status(
                        session,
                        tracking_id,
                        step,
                        note,
                        self._policy,
                        _LAPOR_PRINCIPAL,
                        source=LAPOR_SOURCE,
                    )
                except ConflictError:  # changed meanwhile: the next poll looks again
                    session.rollback()
                    break
        if decision.conflict:
            logger.warning("LAPOR! status conflict on %s: %s", tracking_id, decision.conflict)
        self._set(report_id, conflict=decision.conflict)

    def _next_poll(
        self, ours: Status, lapor_status_name: str | None, now: dt.datetime
    ) -> dt.datetime | None:
        """Hourly (LAPOR_POLL_SECONDS) while unverified, three times that later, never
        once our report is final."""
        if ours not in OPEN_STATUSES:
            return None
        if lapor_status_name in (None, "Belum Terverifikasi"):
            return now + self._poll
        return now + 3 * self._poll

    def _set(self, report_id: int, **values: object) -> None:
        update_forward(self._sessions, report_id, self._clock(), **values)
