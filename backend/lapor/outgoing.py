"""Our officers' status changes, posted to LAPOR! as follow-ups (tindak lanjut).

`queue_followup` runs inside the transaction of the status change; `FollowupSender`
posts what is queued once the report has its LAPOR! complaint id. Delivery is at
least once: a follow-up whose call was cut off is posted again, since a repeated note
is harmless and a lost one would let the two sides disagree silently.

Each follow-up starts with our tracking ID in brackets; the sync skips those when it
reads the report's follow-ups back, so our own notes never return to the citizen.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.db import utcnow
from backend.lapor.client import LaporClient, NewFollowUp
from backend.lapor.errors import LaporAuthError, LaporError, LaporRejected
from backend.lapor.mapping import LaporMapping
from backend.models import LaporForward, LaporOutgoing, Report
from backend.workflow import STATUS_LABELS_ID, Status

if TYPE_CHECKING:
    from backend.lapor.forwarder import RetryPolicy

logger = logging.getLogger(__name__)

#: `source` of what came from SP4N-LAPOR! (history entries, outbox events).
LAPOR_SOURCE: Final = "lapor"
PENDING, SENT, FAILED = "pending", "sent", "failed"


def marker(tracking_id: str) -> str:
    """How each of our follow-ups starts: `[TNG-2026-000123]`."""
    return f"[{tracking_id}]"


def followup_text(tracking_id: str, status: Status, note: str | None) -> str:
    """`[TNG-…] Status: Sedang ditindaklanjuti. Catatan: …`."""
    text = f"{marker(tracking_id)} Status: {STATUS_LABELS_ID[status]}."
    return f"{text} Catatan: {note}" if note else text


def queue_followup(
    session: Session, report: Report, status: Status, note: str | None, now: dt.datetime
) -> None:
    """Queue a follow-up about `report`'s change (in the caller's transaction)."""
    session.add(
        LaporOutgoing(
            report_id=report.id,
            content=followup_text(report.tracking_id, status, note),
            is_secret=report.privacy == "confidential",
            state=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


class FollowupSender:
    """Posts queued follow-ups of forwarded reports, oldest first."""

    def __init__(
        self,
        sessions: sessionmaker,
        client: LaporClient,
        mapping: LaporMapping,
        retry: RetryPolicy,
        clock: Callable[[], dt.datetime] = utcnow,
        read_sessions: sessionmaker | None = None,
    ) -> None:
        self._sessions = sessions
        self._read_sessions = read_sessions or sessions
        self._client = client
        self._mapping = mapping
        self._retry = retry
        self._clock = clock

    def run_once(self, limit: int = 50) -> int:
        """Post up to `limit` due follow-ups; how many were posted."""
        now = self._clock()
        due = (LaporOutgoing.state == PENDING, LaporOutgoing.next_attempt_at <= now)
        with self._read_sessions() as session:  # no write lock when nothing is due
            if session.execute(select(LaporOutgoing.id).where(*due).limit(1)).first() is None:
                return 0
        with self._sessions() as session:
            query = (
                select(LaporOutgoing, LaporForward.complaint_id, Report.agency)
                .join(LaporForward, LaporForward.report_id == LaporOutgoing.report_id)
                .join(Report, Report.id == LaporOutgoing.report_id)
                .where(*due, LaporForward.complaint_id.is_not(None))
                .order_by(LaporOutgoing.id)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(of=LaporOutgoing, skip_locked=True)
            rows = session.execute(query).all()
            lease = now + dt.timedelta(seconds=self._retry.interrupted_after_seconds)
            for outgoing, _cid, _agency in rows:
                outgoing.attempts += 1
                outgoing.next_attempt_at = lease  # a crash mid-call: posted again later
            session.commit()
            work = [(o.id, o.content, o.is_secret, o.attempts, c, a) for o, c, a in rows]
        sent = 0
        for outgoing_id, content, is_secret, attempts, complaint_id, agency in work:
            institution = self._mapping.institution.get(agency)
            try:
                self._client.add_followup(
                    NewFollowUp(
                        complaint_id=complaint_id,
                        content=content,
                        is_secret=is_secret,
                        institution_from_id=None if institution is None else str(institution),
                    )
                )
            except LaporError as exc:
                self._failed(outgoing_id, attempts, exc)
                continue
            self._update(outgoing_id, state=SENT, sent_at=self._clock(), error=None)
            sent += 1
        return sent

    def _failed(self, outgoing_id: int, attempts: int, exc: LaporError) -> None:
        if isinstance(exc, LaporRejected) and not isinstance(exc, LaporAuthError):
            self._update(outgoing_id, state=FAILED, error=exc.message)
            logger.warning("LAPOR! refused follow-up %s: %s", outgoing_id, exc.message)
            return
        self._update(
            outgoing_id,
            error=exc.message,
            next_attempt_at=self._clock() + self._retry.delay(attempts),
        )

    def _update(self, outgoing_id: int, **values: object) -> None:
        with self._sessions() as session:
            row = session.get(LaporOutgoing, outgoing_id)
            if row is not None:
                for name, value in values.items():
                    setattr(row, name, value)
                session.commit()
