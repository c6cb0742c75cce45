"""Retention: old conversations and finished reports' files go, everything else stays.

Runs on SQLite and PostgreSQL (the suite's two backends), with Rasa's own tracker store
written by Rasa's `SQLTrackerStore` and the console's index synced from it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import sessionmaker

from backend.auth import Principal, Role
from backend.complaints import change_status
from backend.console.tracker import EVENTS
from backend.models import Attachment, AuditEntry, Conversation, Report
from backend.retention import RetentionPolicy, purge
from backend.state import AppState
from backend.workflow import Status
from tests.backend.console.conftest import (
    T0,
    Tracker,
    bot,
    file_report,
    run_sync,
    session_start,
    user,
)

ADMIN = Principal(Role.ADMIN, "admin")
DAY_MINUTES = 24 * 60
POLICY = RetentionPolicy(conversation_days=365, attachment_days=730)
#: The run's "now": three years after T0.
NOW = T0 + dt.timedelta(days=3 * 365)


def conversation(tracker: Tracker, sender: str, day: float) -> None:
    """One short session of `sender`, `day` days after T0."""
    minutes = day * DAY_MINUTES
    tracker.write(
        sender,
        [
            *session_start(minutes),
            user("jalan rusak pak", "report_complaint", minutes + 1),
            bot("Di mana lokasinya?", "utter_ask_complaint_location", minutes + 1),
        ],
    )


def events_of(tracker: Tracker, sender: str) -> int:
    with tracker.reader.connect() as conn:
        query = select(func.count()).select_from(EVENTS).where(EVENTS.c.sender_id == sender)
        return int(conn.execute(query).scalar_one())


def attach(state: AppState, sessions: sessionmaker, tracking_id: str) -> tuple[str, Path]:
    """A stored photo for the report; returns its id and file."""
    stored = state.attachments.save(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 64))
    with sessions() as session:
        report = session.execute(
            select(Report).where(Report.tracking_id == tracking_id)
        ).scalar_one()
        attachment = Attachment(
            id=stored.id,
            report_id=report.id,
            filename="foto.png",
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            storage_name=stored.storage_name,
        )
        session.add(attachment)
        session.commit()
        return attachment.id, state.attachments.path_of(stored.storage_name)


def finish(sessions: sessionmaker, state: AppState, tracking_id: str, at: dt.datetime) -> None:
    """Resolve a report at `at`."""
    with sessions() as session:
        for status in (Status.VERIFIED, Status.IN_PROGRESS, Status.RESOLVED):
            change_status(session, tracking_id, status, None, state.policy, ADMIN, now=at)
        session.execute(
            update(Report).where(Report.tracking_id == tracking_id).values(updated_at=at)
        )
        session.commit()


def test_old_conversations_go_from_rasa_and_the_index_newer_ones_stay(
    tracker: Tracker, sessions: sessionmaker, state: AppState
) -> None:
    conversation(tracker, "telegram:1", 0)  # three years ago
    conversation(tracker, "telegram:1", 2 * 365 + 300)  # the same citizen, two months ago
    conversation(tracker, "telegram:2", 100)  # long ago
    conversation(tracker, "whatsapp:3", 3 * 365 - 1)  # yesterday
    run_sync(sessions, tracker)
    before = {s: events_of(tracker, s) for s in ("telegram:1", "telegram:2", "whatsapp:3")}

    dry = purge(sessions, tracker.reader, state.attachments, POLICY, now=NOW, dry_run=True)
    assert len(dry.conversations) == 2
    assert {s: events_of(tracker, s) for s in before} == before  # a dry run removes nothing

    result = purge(sessions, tracker.reader, state.attachments, POLICY, now=NOW)
    assert len(result.conversations) == 2
    assert result.tracker_events == dry.tracker_events == before["telegram:2"] * 2
    assert events_of(tracker, "telegram:2") == 0
    assert events_of(tracker, "telegram:1") == before["telegram:1"] // 2  # the newer session
    assert events_of(tracker, "whatsapp:3") == before["whatsapp:3"]
    with sessions() as session:
        left = session.execute(select(Conversation.sender_id).order_by(Conversation.sender_id))
        assert left.scalars().all() == ["telegram:1", "whatsapp:3"]
    # Rasa still reads the citizen whose old session went, from their newer session.
    kept = asyncio.run(tracker.store.retrieve("telegram:1"))
    assert kept is not None and kept.latest_message is not None
    assert kept.latest_message.text == "jalan rusak pak"
    # A second run finds nothing more.
    again = purge(sessions, tracker.reader, state.attachments, POLICY, now=NOW)
    assert again.conversations == [] and again.tracker_events == 0


def test_files_of_long_finished_reports_go_and_the_reports_stay(
    tracker: Tracker, sessions: sessionmaker, state: AppState
) -> None:
    with sessions() as session:
        old_done = file_report(session, state.taxonomy, state.policy, now=T0)
        recent_done = file_report(session, state.taxonomy, state.policy, now=T0)
        old_open = file_report(session, state.taxonomy, state.policy, now=T0)
        session.commit()
    old_file = attach(state, sessions, old_done)
    recent_file = attach(state, sessions, recent_done)
    open_file = attach(state, sessions, old_open)
    finish(sessions, state, old_done, T0 + dt.timedelta(days=10))
    finish(sessions, state, recent_done, NOW - dt.timedelta(days=100))

    result = purge(sessions, tracker.reader, state.attachments, POLICY, now=NOW)

    assert result.attachments == [old_file[0]]
    assert result.reports == {old_done}
    assert not old_file[1].exists()
    assert recent_file[1].exists() and open_file[1].exists()  # recent, or still open
    with sessions() as session:
        ids = session.execute(select(Attachment.id)).scalars().all()
        assert sorted(ids) == sorted([recent_file[0], open_file[0]])
        reports = session.execute(select(Report.tracking_id)).scalars().all()
        assert len(reports) == 3  # the complaints themselves stay
        (entry,) = session.execute(
            select(AuditEntry).where(AuditEntry.action == "retention.purge")
        ).scalars()
        detail = json.loads(entry.detail or "{}")
        assert detail["attachments"] == [old_file[0]]
        assert detail["reports"] == [old_done]
        assert entry.actor == "retention"


def test_the_purge_command_runs_on_the_settings(tmp_path: Path) -> None:
    env = {
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "TRACKER_DATABASE_URL": "",
        "CONVERSATION_RETENTION_DAYS": "30",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-m", "backend", "purge", "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "would remove 0 conversation(s)" in done.stdout
