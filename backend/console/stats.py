"""Dashboard figures: reports by category, kecamatan and status, handling times, and the
bot's completion funnel and fallback rate (from the conversation index).

Every function takes the viewer's `agency` (None: all agencies) and an optional
period: `date_from` inclusive, `date_to` exclusive, timezone-aware. Reports are
counted by creation time, conversations by start time.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from backend.console.conversations import ConversationQuery, filter_conditions, outcome_expression
from backend.console.summary import Outcome
from backend.db import utcnow
from backend.models import Conversation, Report, StatusChange, ThreadEntry
from backend.workflow import Status


@dataclass(frozen=True)
class Funnel:
    """How far conversations got: started, form opened, report filed, form abandoned."""

    conversations: int
    form_started: int
    reports_submitted: int
    abandoned: int
    #: Abandoned conversations by the last question the form asked (None: none asked).
    abandoned_by_step: tuple[tuple[str | None, int], ...]


@dataclass(frozen=True)
class FallbackRate:
    """How many of the citizens' messages the bot did not understand."""

    fallbacks: int
    user_messages: int

    @property
    def rate(self) -> float | None:
        """Fallbacks per user message, or None without messages."""
        return self.fallbacks / self.user_messages if self.user_messages else None


def reports_by_category(
    session: Session,
    *,
    agency: str | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
) -> list[tuple[str, int]]:
    """Report counts per category code, largest first."""
    return _counts(session, Report.category, _report_conditions(agency, date_from, date_to))


def reports_by_kecamatan(
    session: Session,
    *,
    agency: str | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
) -> list[tuple[str | None, int]]:
    """Report counts per kecamatan (None: not known), largest first."""
    return _counts(session, Report.kecamatan, _report_conditions(agency, date_from, date_to))


def reports_by_status(
    session: Session,
    *,
    agency: str | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
) -> list[tuple[str, int]]:
    """Report counts per current status, largest first."""
    return _counts(session, Report.status, _report_conditions(agency, date_from, date_to))


def median_time_to_verify(
    session: Session,
    *,
    agency: str | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
) -> dt.timedelta | None:
    """Median time from filing to the first `verified` status, over reports verified."""
    conditions = _report_conditions(agency, date_from, date_to)
    return _median_time_to(session, Status.VERIFIED, conditions)


def median_time_to_resolve(
    session: Session,
    *,
    agency: str | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
) -> dt.timedelta | None:
    """Median time from filing to the first `resolved` status, over reports resolved."""
    conditions = _report_conditions(agency, date_from, date_to)
    return _median_time_to(session, Status.RESOLVED, conditions)


@dataclass(frozen=True)
class AnswerStats:
    """The reporters' answers to officers' questions (report threads)."""

    questions: int
    answers: int
    median_time_to_answer: dt.timedelta | None


def reporter_answers(
    session: Session,
    *,
    agency: str | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
) -> AnswerStats:
    """Questions asked, answers received, and the median time from a question to its answer.

    An answer is timed from the earliest still unanswered question of its report.
    """
    conditions = _report_conditions(agency, date_from, date_to)
    rows = session.execute(
        select(ThreadEntry.report_id, ThreadEntry.author, ThreadEntry.kind, ThreadEntry.created_at)
        .join(Report, Report.id == ThreadEntry.report_id)
        .where(*conditions)
        .order_by(ThreadEntry.report_id, ThreadEntry.created_at, ThreadEntry.id)
    ).all()
    open_question: dict[int, dt.datetime] = {}
    questions = answers = 0
    durations: list[float] = []
    for report_id, author, kind, at in rows:
        if author == "officer" and kind == "question":
            questions += 1
            open_question.setdefault(report_id, at)
        elif author == "citizen" and kind == "answer":
            answers += 1
            asked = open_question.pop(report_id, None)
            if asked is not None:
                durations.append((at - asked).total_seconds())
    median = dt.timedelta(seconds=statistics.median(durations)) if durations else None
    return AnswerStats(questions=questions, answers=answers, median_time_to_answer=median)


def completion_funnel(
    session: Session,
    *,
    agency: str | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Funnel:
    """The bot's funnel over conversations started in the period."""
    moment = now or utcnow()
    conditions = _conversation_conditions(agency, date_from, date_to, moment)
    ending = outcome_expression(moment)
    totals = session.execute(
        select(
            func.count(Conversation.id),
            _count_if(Conversation.form_started.is_(True)),
            _count_if(ending == Outcome.REPORT_FILED.value),
            _count_if(ending == Outcome.ABANDONED.value),
        ).where(*conditions)
    ).one()
    abandoned_where = [*conditions, ending == Outcome.ABANDONED.value]
    by_step = _counts(session, Conversation.last_requested_slot, abandoned_where)
    return Funnel(
        conversations=int(totals[0]),
        form_started=int(totals[1] or 0),
        reports_submitted=int(totals[2] or 0),
        abandoned=int(totals[3] or 0),
        abandoned_by_step=tuple(by_step),
    )


def fallback_rate(
    session: Session,
    *,
    agency: str | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
) -> FallbackRate:
    """NLU fallbacks per citizen message, over conversations started in the period."""
    conditions = _conversation_conditions(agency, date_from, date_to, utcnow())
    fallbacks, messages = session.execute(
        select(func.sum(Conversation.fallbacks), func.sum(Conversation.user_messages)).where(
            *conditions
        )
    ).one()
    return FallbackRate(fallbacks=int(fallbacks or 0), user_messages=int(messages or 0))


def most_reported(
    session: Session,
    *,
    agency: str | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    limit: int = 10,
) -> list[tuple[str, str, str, int]]:
    """Reports with the most followers: (tracking ID, category, status, followers)."""
    conditions = _report_conditions(agency, date_from, date_to)
    rows = session.execute(
        select(Report.tracking_id, Report.category, Report.status, Report.followers_count)
        .where(*conditions, Report.followers_count > 0)
        .order_by(Report.followers_count.desc(), Report.created_at.desc())
        .limit(limit)
    ).all()
    return [(r[0], r[1], r[2], int(r[3])) for r in rows]


def _report_conditions(
    agency: str | None, date_from: dt.datetime | None, date_to: dt.datetime | None
) -> list[Any]:
    conditions: list[Any] = []
    if agency is not None:
        conditions.append(Report.agency == agency)
    if date_from is not None:
        conditions.append(Report.created_at >= date_from)
    if date_to is not None:
        conditions.append(Report.created_at < date_to)
    return conditions


def _conversation_conditions(
    agency: str | None,
    date_from: dt.datetime | None,
    date_to: dt.datetime | None,
    now: dt.datetime,
) -> list[Any]:
    period = ConversationQuery(date_from=date_from, date_to=date_to, date_field="started")
    return filter_conditions(period, agency=agency, now=now)


def _counts(session: Session, column: Any, conditions: list[Any]) -> list[Any]:
    """(value, count) pairs of `column`, largest count first, then by value."""
    count = func.count().label("n")
    rows = session.execute(
        select(column, count).where(*conditions).group_by(column).order_by(count.desc(), column)
    ).all()
    return [(value, int(n)) for value, n in rows]


def _count_if(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _median_time_to(session: Session, status: Status, conditions: list[Any]) -> dt.timedelta | None:
    reached = func.min(StatusChange.at)
    rows = session.execute(
        select(Report.created_at, reached)
        .join(StatusChange, StatusChange.report_id == Report.id)
        .where(StatusChange.status == status.value, *conditions)
        .group_by(Report.id, Report.created_at)
    ).all()
    durations = [(reached_at - created).total_seconds() for created, reached_at in rows]
    return dt.timedelta(seconds=statistics.median(durations)) if durations else None
