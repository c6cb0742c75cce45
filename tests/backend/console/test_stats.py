"""Dashboard figures from reports, their status history and the conversation index."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import sessionmaker

from backend.auth import Principal, Role
from backend.complaints import change_status
from backend.console.stats import (
    FallbackRate,
    Funnel,
    completion_funnel,
    fallback_rate,
    median_time_to_resolve,
    median_time_to_verify,
    reports_by_category,
    reports_by_kecamatan,
    reports_by_status,
)
from backend.state import AppState
from backend.workflow import Status
from tests.backend.console.conftest import T0, Tracker, file_report, run_sync
from tests.backend.console.scenario import NOW, write_day

ADMIN = Principal(Role.ADMIN, "admin")
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@pytest.fixture
def reports(sessions: sessionmaker, state: AppState) -> list[str]:
    """Four reports: two roads (DBMSDA) resolved, one waste (DLHK) verified, one new."""
    plan = [
        (
            "jalan_jembatan",
            "Balaraja",
            T0,
            [(Status.VERIFIED, 1), (Status.IN_PROGRESS, 2), (Status.RESOLVED, 24)],
        ),
        (
            "jalan_jembatan",
            "Cikupa",
            T0 + HOUR,
            [(Status.VERIFIED, 3), (Status.IN_PROGRESS, 4), (Status.RESOLVED, 48)],
        ),
        ("sampah", "Cikupa", T0 + 2 * HOUR, [(Status.VERIFIED, 5)]),
        ("sampah", "Tigaraksa", T0 + 3 * DAY, []),
    ]
    tracking_ids = []
    with sessions() as session:
        for category, kecamatan, created, changes in plan:
            tracking_id = file_report(
                session,
                state.taxonomy,
                state.policy,
                category=category,
                kecamatan=kecamatan,
                now=created,
            )
            for status, hours in changes:
                note = "dicek" if status is Status.VERIFIED else None
                change_status(
                    session,
                    tracking_id,
                    status,
                    note,
                    state.policy,
                    ADMIN,
                    now=created + hours * HOUR,
                )
            tracking_ids.append(tracking_id)
    return tracking_ids


def test_reports_by_category_kecamatan_and_status(
    reports: list[str], sessions: sessionmaker
) -> None:
    with sessions() as session:
        assert reports_by_category(session) == [("jalan_jembatan", 2), ("sampah", 2)]
        assert reports_by_kecamatan(session) == [("Cikupa", 2), ("Balaraja", 1), ("Tigaraksa", 1)]
        assert reports_by_status(session) == [("resolved", 2), ("received", 1), ("verified", 1)]


def test_counts_for_an_agency_and_a_period(reports: list[str], sessions: sessionmaker) -> None:
    with sessions() as session:
        assert reports_by_category(session, agency="DBMSDA") == [("jalan_jembatan", 2)]
        assert reports_by_status(session, agency="DLHK") == [("received", 1), ("verified", 1)]
        first_day = reports_by_status(session, date_from=T0, date_to=T0 + DAY)
        assert first_day == [("resolved", 2), ("verified", 1)]
        assert reports_by_kecamatan(session, date_from=T0 + HOUR) == [
            ("Cikupa", 2),
            ("Tigaraksa", 1),
        ]
        assert reports_by_category(session, agency="DINKES") == []


def test_median_times_to_verify_and_resolve(reports: list[str], sessions: sessionmaker) -> None:
    with sessions() as session:
        assert median_time_to_verify(session) == 3 * HOUR  # 1 h, 3 h, 5 h
        assert median_time_to_resolve(session) == 36 * HOUR  # 24 h, 48 h
        assert median_time_to_verify(session, agency="DBMSDA") == 2 * HOUR
        assert median_time_to_resolve(session, agency="DLHK") is None
        assert median_time_to_verify(session, date_from=T0 + 2 * HOUR) == 5 * HOUR
        assert median_time_to_verify(session, date_to=T0) is None


def test_the_median_takes_the_first_time_a_status_was_reached(
    reports: list[str], sessions: sessionmaker, state: AppState
) -> None:
    road = reports[0]
    with sessions() as session:
        change_status(
            session, road, Status.IN_PROGRESS, None, state.policy, ADMIN, now=T0 + 30 * HOUR
        )
        change_status(session, road, Status.RESOLVED, None, state.policy, ADMIN, now=T0 + 90 * HOUR)
        assert median_time_to_resolve(session) == 36 * HOUR


def test_the_bots_completion_funnel(
    tracker: Tracker, sessions: sessionmaker, state: AppState
) -> None:
    write_day(tracker, sessions, state)
    run_sync(sessions, tracker)
    with sessions() as session:
        assert completion_funnel(session, now=NOW) == Funnel(
            conversations=7,
            form_started=5,
            reports_submitted=3,
            abandoned=1,
            abandoned_by_step=(("complaint_location", 1),),
        )
        morning = completion_funnel(
            session, date_from=T0, date_to=T0 + dt.timedelta(minutes=150), now=NOW
        )
        assert morning == Funnel(2, 2, 1, 1, (("complaint_location", 1),))
        assert completion_funnel(session, agency="DBMSDA", now=NOW) == Funnel(1, 1, 1, 0, ())
        # Seen right after the last message, the WhatsApp form is still in progress.
        early = completion_funnel(session, now=T0 + dt.timedelta(minutes=110))
        assert (early.abandoned, early.abandoned_by_step) == (0, ())


def test_the_nlu_fallback_rate(tracker: Tracker, sessions: sessionmaker, state: AppState) -> None:
    with sessions() as session:
        assert fallback_rate(session) == FallbackRate(0, 0)
        assert fallback_rate(session).rate is None
    write_day(tracker, sessions, state)
    run_sync(sessions, tracker)
    with sessions() as session:
        rate = fallback_rate(session)
        assert rate == FallbackRate(fallbacks=2, user_messages=14)
        assert rate.rate == pytest.approx(1 / 7)
        rest_only = fallback_rate(
            session,
            date_from=T0 + dt.timedelta(minutes=200),
            date_to=T0 + dt.timedelta(minutes=201),
        )
        assert rest_only == FallbackRate(2, 2)
        assert fallback_rate(session, agency="DLHK") == FallbackRate(0, 2)
