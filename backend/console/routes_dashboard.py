"""The dashboard: reports by category, kecamatan and status, speed, and the bot's funnel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypedDict

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from backend.api.deps import app_state, db_session
from backend.auth import Role
from backend.console import stats
from backend.console.charts import bar_chart, funnel_chart
from backend.console.i18n import translator
from backend.console.routes_conversations import refresh_index
from backend.console.web import PREFIX, Viewer, any_user, parse_day, render, start_of_day
from backend.lapor.worker import health_view
from backend.state import AppState

router = APIRouter(prefix=PREFIX, include_in_schema=False)


class Scope(TypedDict):
    """What the figures cover: an officer's agency (or all) and a date range."""

    agency: str | None
    date_from: dt.datetime | None
    date_to: dt.datetime | None


def decimal(value: float, language: str) -> str:
    """One decimal, with a comma in Indonesian: `5,5` / `5.5`."""
    text = f"{value:.1f}"
    return text.replace(".", ",") if language == "id" else text


def duration_text(value: dt.timedelta | None, language: str) -> str:
    """`5,5 jam` / `3,2 hari`, or a dash without data."""
    t = translator(language)
    if value is None:
        return "-"
    hours = value.total_seconds() / 3600
    if hours < 48:
        return t("hours", value=decimal(hours, language))
    return t("days", value=decimal(hours / 24, language))


#: The form's questions, by the slot they fill, as the dashboard names them.
STEP_KEYS = {
    "report_type": "report_type",
    "complaint_description": "description",
    "complaint_category": "category",
    "complaint_location": "location",
    "incident_date": "incident_date",
    "privacy": "privacy",
    "attachments": "attachments",
}


def step_label(slot: str | None, t: Callable[..., str]) -> str:
    """The question a conversation stopped at, in words (unknown slots as they are)."""
    if slot is None:
        return t("funnel_no_step")
    return t(STEP_KEYS[slot]) if slot in STEP_KEYS else slot


def percent(share: float, language: str) -> str:
    """`12,5%` in Indonesian, `12.5%` in English."""
    return f"{decimal(100 * share, language)}%"


@router.get("/dashboard")
def dashboard(
    request: Request,
    date_from: str | None = Query(None, max_length=10),
    date_to: str | None = Query(None, max_length=10),
    user: Viewer = Depends(any_user),
    db: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> Response:
    """Figures for everyone who may log in; officers see their agency's only."""
    refresh_index(state)
    t = translator(user.language)
    zone = state.policy.timezone
    scope: Scope = {
        "agency": user.agency,
        "date_from": start_of_day(parse_day(date_from), zone),
        "date_to": start_of_day(parse_day(date_to), zone, days_later=1),
    }
    categories = state.taxonomy.categories
    by_category = [
        (
            (categories[code].label_id if user.language == "id" else categories[code].label_en)
            if code in categories
            else code,
            count,
        )
        for code, count in stats.reports_by_category(db, **scope)
    ]
    by_kecamatan = [(name or "-", count) for name, count in stats.reports_by_kecamatan(db, **scope)]
    by_status = [
        (t(f"status_{code}"), count) for code, count in stats.reports_by_status(db, **scope)
    ]
    funnel = stats.completion_funnel(db, **scope)
    fallback = stats.fallback_rate(db, **scope)
    empty = t("no_data")
    charts: dict[str, Markup] = {
        "category": bar_chart(by_category, title=t("dash_by_category"), empty_text=empty),
        "kecamatan": bar_chart(by_kecamatan, title=t("dash_by_kecamatan"), empty_text=empty),
        "status": bar_chart(by_status, title=t("dash_by_status"), empty_text=empty),
        "funnel": funnel_chart(
            [
                (t("funnel_started"), funnel.conversations),
                (t("funnel_form"), funnel.form_started),
                (t("funnel_submitted"), funnel.reports_submitted),
            ],
            title=t("dash_funnel"),
            empty_text=empty,
        ),
        "abandoned": bar_chart(
            [(step_label(step, t), n) for step, n in funnel.abandoned_by_step],
            title=t("dash_abandoned_by_step"),
            empty_text=empty,
        ),
    }
    rate = fallback.rate
    return render(
        request,
        "dashboard.html",
        user,
        charts=charts,
        total_reports=sum(count for _, count in by_status),
        median_verify=duration_text(stats.median_time_to_verify(db, **scope), user.language),
        median_resolve=duration_text(stats.median_time_to_resolve(db, **scope), user.language),
        answers=(answers := stats.reporter_answers(db, **scope)),
        median_answer=duration_text(answers.median_time_to_answer, user.language),
        fallback_rate="-" if rate is None else percent(rate, user.language),
        fallback=fallback,
        funnel=funnel,
        most_reported=stats.most_reported(db, **scope),
        query={"date_from": date_from or "", "date_to": date_to or ""},
        # The SP4N-LAPOR! bridge, for admins: running, last success, reports by state.
        bridge=health_view(request.app.state) if user.may(Role.ADMIN) else None,
    )
