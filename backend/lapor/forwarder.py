"""Forwarding reports to SP4N-LAPOR!, once, through the `lapor_forwards` outbox rows.

A report is written with a `pending` row when the bridge is on (`backend.filing`).
For each due row the forwarder:

1. claims it: `attempts + 1` and a lease (`next_attempt_at` moved past the longest
   call), committed, so no other worker takes it meanwhile (`SKIP LOCKED` on
   PostgreSQL);
2. uploads the attachments unless a previous attempt did (their LAPOR! ids are kept);
3. records `sending` and commits, then calls create, then stores the complaint id
   and `forwarded`.

The create call has no idempotency key, so a row found in `sending` by a later worker
(the process died or lost the database during the call) is never sent again blindly:
it is parked in `review`, as is a call whose outcome is unknown (a timeout after the
request went out, a 500/502/504, an unreadable 2xx answer). A person finds our
tracking ID in LAPOR! (`tags_raw` and the last line of the content) and either stores
the complaint id or sends it again (`backend.lapor.review`). A failure known to leave
nothing behind (connection refused, 503/429, a 4xx) is retried with exponential
backoff, or `failed` when retrying cannot help (a 4xx, a missing code).

No database transaction is open during a call to LAPOR!: each step commits on its
own short session (on SQLite a writer holds the only write lock).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.attachments import AttachmentStore
from backend.complaints import Policy
from backend.db import utcnow
from backend.lapor.client import LaporClient, UploadFile
from backend.lapor.errors import (
    LaporAuthError,
    LaporError,
    LaporRejected,
)
from backend.lapor.mapping import LaporMapping, MappingError
from backend.lapor.payload import create_request
from backend.models import LaporForward, Report
from backend.taxonomy import Taxonomy

logger = logging.getLogger(__name__)

#: Called with the name of each step as it is passed (tests inject crashes here).
Checkpoint = Callable[[str], None]
#: The steps a checkpoint sees, in order.
STEPS = ("claimed", "uploaded", "sending_recorded", "accepted", "stored")
#: How often a worker looks for interrupted sends.
RECOVER_EVERY = dt.timedelta(seconds=10)


class ForwardState(str, Enum):
    """A report's place in the bridge (`sending` is shown as `pending` outside)."""

    PENDING = "pending"
    SENDING = "sending"
    FORWARDED = "forwarded"
    FAILED = "failed"
    REVIEW = "review"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff between attempts, and the longest a call may take."""

    base_seconds: float = 30.0
    max_seconds: float = 1800.0
    #: A row `sending` for longer than this was interrupted (well past any timeout).
    interrupted_after_seconds: float = 300.0

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait after the `attempts`-th failed attempt: base, 2 base, 4 base ... max."""
        exponent = max(0, min(attempts - 1, 30))
        return dt.timedelta(seconds=min(self.max_seconds, self.base_seconds * 2**exponent))


@dataclass(frozen=True)
class Outcome:
    """What one forward did (for logs and tests)."""

    report_id: int
    state: ForwardState
    complaint_id: str | None = None
    error: str | None = None


class Forwarder:
    """Forwards due reports one at a time; safe to run in several processes."""

    def __init__(
        self,
        sessions: sessionmaker,
        client: LaporClient,
        mapping: LaporMapping,
        taxonomy: Taxonomy,
        attachments: AttachmentStore,
        policy: Policy,
        retry: RetryPolicy,
        *,
        poll_seconds: float = 3600.0,
        read_sessions: sessionmaker | None = None,
        checkpoint: Checkpoint | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._read_sessions = read_sessions or sessions
        self._client = client
        self._mapping = mapping
        self._taxonomy = taxonomy
        self._attachments = attachments
        self._policy = policy
        self._retry = retry
        self._poll = dt.timedelta(seconds=poll_seconds)
        self._checkpoint = checkpoint or (lambda _step: None)
        self._clock = clock
        #: When a call to LAPOR! last succeeded (for /health).
        self.last_success_at: dt.datetime | None = None
        self._recovered_at: dt.datetime | None = None

    # --- the loop's work -------------------------------------------------------------

    def run_once(self, limit: int = 50) -> list[Outcome]:
        """Park interrupted sends (every `RECOVER_EVERY`), then forward up to `limit` due
        reports."""
        now = self._clock()
        if self._recovered_at is None or now - self._recovered_at >= RECOVER_EVERY:
            self.recover_interrupted()
            self._recovered_at = now
        outcomes = []
        for _ in range(limit):
            report_id = self.claim()
            if report_id is None:
                break
            try:
                outcomes.append(self.forward(report_id))
            except Exception:  # one broken report must not stop the others
                logger.exception("forwarding report %s to LAPOR! failed", report_id)
        return outcomes

    def recover_interrupted(self) -> int:
        """Park in `review` every row left `sending` longer than any call can take."""
        now = self._clock()
        cutoff = now - dt.timedelta(seconds=self._retry.interrupted_after_seconds)
        with self._sessions() as session:
            result = session.execute(
                update(LaporForward)
                .where(
                    LaporForward.state == ForwardState.SENDING.value,
                    LaporForward.sending_since < cutoff,
                )
                .values(
                    state=ForwardState.REVIEW.value,
                    error="Interrupted while sending to LAPOR!: it may have the report. Look "
                    "for our tracking ID in LAPOR! before sending it again.",
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            session.commit()
        parked = int(result.rowcount or 0)
        if parked:
            logger.warning("%d interrupted LAPOR! forward(s) parked for review", parked)
        return parked

    def claim(self) -> int | None:
        """Take the oldest due pending row: one more attempt, leased past any call.

        A read-only look first: when nothing is due (most rounds) no write lock is taken.
        """
        now = self._clock()
        due = (
            LaporForward.state == ForwardState.PENDING.value,
            LaporForward.next_attempt_at <= now,
        )
        with self._read_sessions() as session:
            if session.execute(select(LaporForward.report_id).where(*due).limit(1)).first() is None:
                return None
        with self._sessions() as session:
            query = (
                select(LaporForward)
                .where(*due)
                .order_by(LaporForward.next_attempt_at, LaporForward.report_id)
                .limit(1)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = session.execute(query).scalar_one_or_none()
            if row is None:
                session.rollback()
                return None
            row.attempts = (row.attempts or 0) + 1
            row.next_attempt_at = now + dt.timedelta(seconds=self._retry.interrupted_after_seconds)
            row.updated_at = now
            report_id = int(row.report_id)
            session.commit()
        self._checkpoint("claimed")
        return report_id

    def forward(self, report_id: int) -> Outcome:
        """Forward one claimed report: attachments, then `sending`, create, `forwarded`."""
        report, row = self._load(report_id)
        try:
            local_date = self._policy.local_date(report.created_at)
            # Check the codes before uploading anything.
            create_request(report, self._mapping, self._taxonomy, [], local_date)
            uploaded = row.uploaded
            if uploaded is None:
                uploaded = self._upload(report)
                if uploaded:  # kept, so that a retry does not upload them again
                    self._set(report_id, uploaded=uploaded)
            self._checkpoint("uploaded")
            body = create_request(report, self._mapping, self._taxonomy, uploaded, local_date)
        except MappingError as exc:
            return self._fail(report_id, str(exc))
        except LaporError as exc:  # the upload: nothing was created yet
            if isinstance(exc, LaporRejected) and not isinstance(exc, LaporAuthError):
                return self._fail(report_id, exc.message)
            return self._later(report_id, row.attempts, exc.message)
        except OSError as exc:
            return self._fail(report_id, f"an attachment cannot be read: {exc.strerror}")
        self._set(
            report_id,
            state=ForwardState.SENDING.value,
            sending_since=self._clock(),
            uploaded=uploaded,
        )
        self._checkpoint("sending_recorded")
        try:
            complaint_id = self._client.create_report(body)
        except LaporError as exc:
            return self._after_failed_create(report_id, report.tracking_id, row.attempts, exc)
        self.last_success_at = self._clock()
        self._checkpoint("accepted")
        now = self._clock()
        self._set(
            report_id,
            state=ForwardState.FORWARDED.value,
            complaint_id=complaint_id,
            sending_since=None,
            next_attempt_at=None,
            error=None,
            last_sync_at=now,
            next_poll_at=now + self._poll,
        )
        self._checkpoint("stored")
        logger.info("report %s forwarded to LAPOR! as %s", report.tracking_id, complaint_id)
        return Outcome(report_id, ForwardState.FORWARDED, complaint_id=complaint_id)

    # --- steps ------------------------------------------------------------------------

    def _load(self, report_id: int) -> tuple[Report, LaporForward]:
        with self._read_sessions() as session:
            report = session.get(Report, report_id)
            row = session.get(LaporForward, report_id)
            if report is None or row is None:
                raise LookupError(f"report {report_id} has no LAPOR! forward")
            _ = report.reporter, list(report.attachments)  # loaded before the session ends
            session.expunge_all()  # usable after the session, not expired by its rollback
            return report, row

    def _upload(self, report: Report) -> list[str]:
        """Upload the report's attachments; their LAPOR! ids (none: no call)."""
        files = [
            UploadFile(
                filename=a.filename or a.storage_name,
                content_type=a.content_type,
                content=self._attachments.path_of(a.storage_name).read_bytes(),
            )
            for a in report.attachments
        ]
        if not files:
            return []
        return list(self._client.upload_attachments(files).all_ids)

    def _after_failed_create(
        self, report_id: int, tracking_id: str, attempts: int, exc: LaporError
    ) -> Outcome:
        if exc.maybe_processed:
            return self._park(
                report_id,
                f"{exc.message}. LAPOR! may have the report: look for {tracking_id} in "
                "LAPOR! before sending it again.",
            )
        if isinstance(exc, LaporRejected) and not isinstance(exc, LaporAuthError):
            return self._fail(report_id, exc.message)
        return self._later(report_id, attempts, exc.message)

    def _later(self, report_id: int, attempts: int, error: str) -> Outcome:
        self._set(
            report_id,
            state=ForwardState.PENDING.value,
            sending_since=None,
            next_attempt_at=self._clock() + self._retry.delay(attempts),
            error=error,
        )
        return Outcome(report_id, ForwardState.PENDING, error=error)

    def _fail(self, report_id: int, error: str) -> Outcome:
        self._set(report_id, state=ForwardState.FAILED.value, sending_since=None, error=error)
        logger.warning("LAPOR! forward of report %s failed: %s", report_id, error)
        return Outcome(report_id, ForwardState.FAILED, error=error)

    def _park(self, report_id: int, error: str) -> Outcome:
        self._set(report_id, state=ForwardState.REVIEW.value, sending_since=None, error=error)
        logger.warning("LAPOR! forward of report %s parked for review", report_id)
        return Outcome(report_id, ForwardState.REVIEW, error=error)

    def _set(self, report_id: int, **values: Any) -> None:
        update_forward(self._sessions, report_id, self._clock(), **values)


def update_forward(sessions: sessionmaker, report_id: int, now: dt.datetime, **values: Any) -> None:
    """Update a report's forward row (stamped `now`) in a transaction of its own."""
    with sessions() as session:
        session.execute(
            update(LaporForward)
            .where(LaporForward.report_id == report_id)
            .values(updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )
        session.commit()


def counts_by_state(session: Session) -> dict[str, int]:
    """How many reports wait (`pending`, `sending` counted in), failed or are in review.

    Forwarded rows, the bulk of the table, are not counted: the index on
    (state, next_attempt_at) answers this without reading them.
    """
    rows = session.execute(
        select(LaporForward.state, func.count())
        .where(LaporForward.state != ForwardState.FORWARDED.value)
        .group_by(LaporForward.state)
    ).all()
    counts = {"pending": 0, "failed": 0, "review": 0}
    for state, count in rows:
        key = ForwardState.PENDING.value if state == ForwardState.SENDING.value else state
        counts[key] = counts.get(key, 0) + int(count)
    return counts
