"""The backend's ASGI application factory."""

from __future__ import annotations

import logging

import redis
from anyio import to_thread
from fastapi import Depends, FastAPI
from starlette.responses import Response

from backend.api import (
    attachments,
    auth,
    complaints,
    conversations,
    duplicates,
    health,
    notifications,
    open311,
    threads,
)
from backend.api.deps import no_nul_characters
from backend.console.router import install_console
from backend.errors import install_error_handlers
from backend.lapor import api as lapor_api
from backend.lapor.worker import LaporBridge, missing_credentials
from backend.metrics import BackendMetrics, RequestMetricsMiddleware
from backend.publisher import OutboxPublisher
from backend.request_ids import RequestIdMiddleware
from backend.settings import BackendSettings, get_settings
from backend.state import AppState
from backend.thread_jobs import ThreadJobs
from lapor_common.metrics import METRICS_PATH, metrics_response

logger = logging.getLogger(__name__)


def create_app(settings: BackendSettings | None = None, state: AppState | None = None) -> FastAPI:
    """Build the backend app; tests pass their own settings or state."""
    app = FastAPI(
        title="LAPOR! Kabupaten Tangerang: complaint backend",
        version="1.0.0",
        description=(
            "Public-service complaints (SP4N-LAPOR! workflow): a JSON API for the "
            "assistant and the console, and Open311 GeoReport v2."
        ),
        dependencies=[Depends(no_nul_characters)],
    )
    app.state.backend = state or AppState.from_settings(settings or get_settings())
    install_error_handlers(app)
    routers = (health, auth, complaints, threads, conversations, attachments, notifications)
    # `duplicates` first: its /complaints/nearby must not be read as a tracking ID.
    for module in (duplicates, *routers, open311, lapor_api):
        app.include_router(module.router)
    install_console(app)
    install_metrics(app)

    @app.on_event("startup")
    async def _limit_threads() -> None:
        # Few threads per process: a transaction holding the tracking-ID counter lock
        # then gets the GIL back quickly instead of queueing behind dozens of threads.
        to_thread.current_default_thread_limiter().total_tokens = settings_threads(app)

    @app.on_event("startup")
    async def _start_publisher() -> None:
        backend_state: AppState = app.state.backend
        if backend_state.settings.redis_url:
            settings = backend_state.settings
            publisher = OutboxPublisher(
                backend_state.sessions,
                redis.Redis.from_url(settings.redis_url),
                settings.events_stream,
            )
            publisher.start()
            app.state.publisher = publisher

    @app.on_event("startup")
    async def _start_lapor_bridge() -> None:
        settings = app.state.backend.settings
        if not settings.lapor_enabled:
            return
        missing = missing_credentials(settings)
        if missing:
            problem = f"{' and '.join(missing)} not set: reports are kept pending"
            logger.error("LAPOR_ENABLED is true but %s (docs/lapor_bridge.md)", problem)
            app.state.lapor_bridge_problem = problem
            return
        bridge = LaporBridge.from_state(app.state.backend)
        bridge.start()
        app.state.lapor_bridge = bridge

    @app.on_event("startup")
    async def _start_thread_jobs() -> None:
        jobs = ThreadJobs(app.state.backend)
        jobs.start()
        app.state.thread_jobs = jobs

    @app.on_event("shutdown")
    def _dispose_engine() -> None:
        jobs: ThreadJobs | None = getattr(app.state, "thread_jobs", None)
        if jobs is not None:
            jobs.stop()
        publisher: OutboxPublisher | None = getattr(app.state, "publisher", None)
        if publisher is not None:
            publisher.stop()
        bridge: LaporBridge | None = getattr(app.state, "lapor_bridge", None)
        if bridge is not None:
            bridge.stop()
        app.state.backend.engine.dispose()
        app.state.backend.tracker_engine.dispose()

    return app


def install_metrics(app: FastAPI) -> None:
    """`GET /metrics` (Prometheus text, no token: bind to 127.0.0.1 or protect at the proxy)."""
    metrics = BackendMetrics()
    app.state.metrics = metrics
    metrics.watch(app.state.backend)  # the LAPOR! bridge changes statuses between requests

    def current_state() -> AppState:
        state: AppState = app.state.backend
        return state

    app.add_middleware(
        RequestMetricsMiddleware, metrics=metrics, routes=app.router.routes, state_of=current_state
    )
    app.add_middleware(RequestIdMiddleware)  # outermost: every line of the call has the ID

    @app.get(METRICS_PATH, include_in_schema=False)
    async def _metrics() -> Response:
        await to_thread.run_sync(metrics.read_outbox, current_state().read_sessions)
        return metrics_response(metrics.registry)


def settings_threads(app: FastAPI) -> int:
    """Worker threads per process for blocking database work."""
    state: AppState = app.state.backend
    return state.settings.backend_threads
