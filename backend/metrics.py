"""The backend's Prometheus metrics, built once per app (`create_app`), never at import.

- `lapor_http_request_duration_seconds{method,route,status}`: every request, by the
  route's path template (`/api/v1/complaints/{tracking_id}`, never the raw path) and
  status class (`2xx`); unmatched paths are `route="<unmatched>"`.
- `lapor_reports_filed_total{channel}`: reports created (idempotent replays not counted).
- `lapor_status_changes_total{status}`: committed status changes by the new status,
  from every path (API, console, feedback, the LAPOR! bridge), seen on the session.
- `lapor_db_pool_checked_out_connections`, `lapor_db_pool_size`: the SQLAlchemy pool,
  read at scrape time.
- `lapor_outbox_pending_events`, `lapor_outbox_oldest_pending_seconds`: report events
  not yet handed on (to the notifier without Redis, to the stream with it), read at
  scrape time.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import event, func, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.db import utcnow
from backend.models import OutboxEvent, Report
from backend.state import AppState
from lapor_common.metrics import LATENCY_BUCKETS, new_registry, status_class

logger = logging.getLogger(__name__)

UNMATCHED = "<unmatched>"
_SESSION_KEY = "lapor_metrics_status_changes"


class BackendMetrics:
    """The backend's collectors on a registry of its own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or new_registry()
        self.request_seconds = Histogram(
            "lapor_http_request_duration_seconds",
            "Backend request latency by route template, method and status class.",
            ("method", "route", "status"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.reports_filed = Counter(
            "lapor_reports_filed",
            "Reports filed (created, not replayed), by channel.",
            ("channel",),
            registry=self.registry,
        )
        self.status_changes = Counter(
            "lapor_status_changes",
            "Committed status changes of reports, by the new status.",
            ("status",),
            registry=self.registry,
        )
        self.pool_checked_out = Gauge(
            "lapor_db_pool_checked_out_connections",
            "Database connections in use (checked out of the SQLAlchemy pool).",
            registry=self.registry,
        )
        self.pool_size = Gauge(
            "lapor_db_pool_size",
            "Connections the SQLAlchemy pool keeps (0 when the pool has no fixed size).",
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "lapor_outbox_pending_events",
            "Report events in the outbox not yet handed on.",
            registry=self.registry,
        )
        self.outbox_oldest = Gauge(
            "lapor_outbox_oldest_pending_seconds",
            "Age of the oldest report event not yet handed on (0 when none).",
            registry=self.registry,
        )
        self._state: AppState | None = None
        self._watched: weakref.WeakSet[sessionmaker] = weakref.WeakSet()
        self.pool_checked_out.set_function(lambda: self._pool("checkedout"))
        self.pool_size.set_function(lambda: self._pool("size"))

    def report_filed(self, channel: str) -> None:
        """A new report was stored."""
        self.reports_filed.labels(channel).inc()

    def watch(self, state: AppState) -> None:
        """Follow `state`: its pool at every scrape, its sessions' status changes.

        Cheap enough for every request (an identity check): tests give one app a new
        state for each test.
        """
        if state is self._state:
            return
        self._state = state
        if state.sessions not in self._watched:
            self._watched.add(state.sessions)
            event.listen(state.sessions, "after_flush", _note_status_changes)
            event.listen(state.sessions, "after_commit", self._count_committed)
            event.listen(state.sessions, "after_rollback", _forget_status_changes)

    def _pool(self, name: str) -> float:
        state = self._state
        return float(_pool_number(state.engine.pool, name)) if state is not None else 0.0

    def read_outbox(self, sessions: sessionmaker) -> None:
        """Count the outbox's waiting events (one indexed query; call at scrape time).

        A database that does not answer leaves the last values (and is logged).
        """
        try:
            with sessions() as session:
                count, oldest = session.execute(
                    select(func.count(OutboxEvent.id), func.min(OutboxEvent.created_at)).where(
                        OutboxEvent.published_at.is_(None)
                    )
                ).one()
        except SQLAlchemyError as exc:
            logger.warning("outbox not read for the metrics: %s", exc)
            return
        self.outbox_pending.set(count or 0)
        age = (utcnow() - _aware(oldest)).total_seconds() if oldest is not None else 0.0
        self.outbox_oldest.set(max(age, 0.0))

    def _count_committed(self, session: Session) -> None:
        for status in session.info.pop(_SESSION_KEY, ()):
            self.status_changes.labels(status).inc()


def _aware(value: Any) -> Any:
    if getattr(value, "tzinfo", None) is None:
        return value.replace(tzinfo=utcnow().tzinfo)
    return value


def _pool_number(pool: Any, name: str) -> int:
    """`pool.checkedout()` / `pool.size()` where the pool class has them, else 0."""
    method = getattr(pool, name, None)
    if method is None:
        return 0
    value = method()
    return value if isinstance(value, int) else 0


def _note_status_changes(session: Session, _context: Any) -> None:
    """After a flush: the new status of each report whose status was just written."""
    noted: list[str] = session.info.setdefault(_SESSION_KEY, [])
    for obj in session.dirty:
        if isinstance(obj, Report):
            added = inspect(obj).attrs.status.history.added
            noted.extend(str(status) for status in added)


def _forget_status_changes(session: Session) -> None:
    session.info.pop(_SESSION_KEY, None)


def route_template(
    routes: list[BaseRoute], scope: Scope, asked: dict[str, Any] | None = None
) -> str:
    """The path template of the route that handled the request (never the raw path).

    `asked` is the scope's `path` and `root_path` before routing (a mount rewrites
    them). A path known with another method (405) gets its route's template too.
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    original = {**scope, **(asked or {})}
    partial: str | None = None
    for candidate in routes:  # plain Starlette routes and mounts set no scope["route"]
        match, _ = candidate.matches(original)
        if match is Match.NONE:
            continue
        template = _template(candidate)
        if match is Match.FULL:
            return template
        partial = partial or template
    return partial or UNMATCHED


def _template(route: BaseRoute) -> str:
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class RequestMetricsMiddleware:
    """Pure ASGI middleware timing every HTTP request by route template and status class."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: BackendMetrics,
        routes: list[BaseRoute],
        state_of: Callable[[], AppState],
    ) -> None:
        self.app = app
        self._metrics = metrics
        self._routes = routes
        self._state_of = state_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._metrics.watch(self._state_of())
        started = time.perf_counter()
        status = 500
        # A mount rewrites the scope's path for its app: keep what the request asked for.
        asked = {"path": scope["path"], "root_path": scope.get("root_path", "")}

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self._metrics.request_seconds.labels(
                scope["method"],
                route_template(self._routes, scope, asked),
                status_class(status),
            ).observe(time.perf_counter() - started)


def metrics_of(request: Request) -> BackendMetrics:
    """The app's metrics (set by `create_app`)."""
    metrics: BackendMetrics = request.app.state.metrics
    return metrics
