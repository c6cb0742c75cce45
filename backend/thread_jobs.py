"""The backend's periodic jobs of issue 17: unanswered questions and idle takeovers.

One daemon thread per backend process, like the outbox publisher and the LAPOR!
bridge. Both jobs are safe to run in several processes at once: a report is closed
only while it still waits (under its row lock), a takeover released only while still
active (a conditional update).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from backend.db import utcnow
from backend.state import AppState
from backend.takeovers import release_idle
from backend.threads import close_unanswered

logger = logging.getLogger(__name__)


@dataclass
class JobResult:
    """What one round did."""

    closed: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)


def run_jobs(state: AppState) -> JobResult:
    """One round: close reports whose reporter did not answer in time, release idle chats."""
    now = utcnow()
    settings = state.settings
    closed = close_unanswered(
        state.sessions, state.policy, settings.reporter_answer_days, state.policy.local_date(now)
    )
    with state.sessions() as session:
        released = release_idle(session, settings.takeover_idle_minutes, now)
    for tracking_id in closed:
        logger.info("Closed %s: the reporter did not answer in time", tracking_id)
    for conversation_id in released:
        logger.info("Handed an idle takeover back to the bot (%s)", conversation_id.split(":")[0])
    return JobResult(closed=closed, released=released)


class ThreadJobs:
    """Runs `run_jobs` every `THREAD_JOBS_SECONDS` until stopped."""

    def __init__(self, state: AppState) -> None:
        self._state = state
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while not self._stop.wait(self._state.settings.thread_jobs_seconds):
            try:
                run_jobs(self._state)
            except SQLAlchemyError:
                logger.warning("Thread jobs: database trouble; retrying", exc_info=True)
            except Exception:  # keep the jobs alive after any trouble
                logger.exception("Thread jobs round failed; retrying")

    def start(self) -> None:
        """Run in a background thread (the first round after one interval)."""
        self._thread = threading.Thread(target=self._run, name="thread-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current round."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
