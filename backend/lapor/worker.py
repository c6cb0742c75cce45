"""The bridge's background thread, started with the app when `LAPOR_ENABLED` is true.

One thread per backend process, like `backend.publisher`: it forwards due reports
and polls the forwarded ones that are due (`backend.lapor.sync`). Database trouble
(a busy SQLite, PostgreSQL restarting) and LAPOR! trouble are logged and retried;
the thread never dies of them.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.exc import SQLAlchemyError

from backend.lapor.client import DEFAULT_LIMITS, LaporClient
from backend.lapor.forwarder import Forwarder, RetryPolicy, counts_by_state
from backend.lapor.mapping import LaporMapping, load_mapping
from backend.lapor.outgoing import FollowupSender
from backend.lapor.sync import Syncer
from backend.settings import BackendSettings
from backend.state import AppState
from lapor_common.sqlite import is_busy

logger = logging.getLogger(__name__)


def client_from_settings(settings: BackendSettings) -> LaporClient:
    """A client on `LAPOR_BASE_URL` with both credentials and the configured timeout."""
    timeout = settings.lapor_timeout_seconds
    return LaporClient(
        settings.lapor_base_url,
        settings.lapor_auth_secret,
        settings.lapor_token,
        timeout=httpx.Timeout(connect=min(5.0, timeout), read=timeout, write=timeout, pool=5.0),
        limits=DEFAULT_LIMITS,
    )


def retry_policy(settings: BackendSettings) -> RetryPolicy:
    """Backoff from settings; a call is taken as interrupted well past its timeouts."""
    return RetryPolicy(
        base_seconds=settings.lapor_retry_base_seconds,
        max_seconds=settings.lapor_retry_max_seconds,
        interrupted_after_seconds=3 * settings.lapor_timeout_seconds + 60,
    )


def missing_credentials(settings: BackendSettings) -> list[str]:
    """The credential settings that are empty."""
    names = {"LAPOR_AUTH_SECRET": settings.lapor_auth_secret, "LAPOR_TOKEN": settings.lapor_token}
    return [name for name, value in names.items() if not value]


@dataclass
class BridgeStatus:
    """What `/health` shows of the bridge."""

    running: bool
    last_success_at: dt.datetime | None
    last_error: str | None
    reports: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        """The JSON object of `/health`'s `lapor`."""
        return {
            "running": self.running,
            "last_success_at": self.last_success_at.isoformat() if self.last_success_at else None,
            "last_error": self.last_error,
            "reports": self.reports,
        }


def bridge_enabled(app_state: Any) -> bool:
    """Whether the app started the bridge (or tried to): `/health` then shows it."""
    return (
        getattr(app_state, "lapor_bridge", None) is not None
        or getattr(app_state, "lapor_bridge_problem", None) is not None
    )


def health_view(app_state: Any) -> dict[str, Any] | None:
    """`/health`'s `lapor` object: None when the bridge is off (blocking: run in a thread)."""
    bridge: LaporBridge | None = getattr(app_state, "lapor_bridge", None)
    if bridge is not None:
        return {"enabled": True, **bridge.status().as_json()}
    problem: str | None = getattr(app_state, "lapor_bridge_problem", None)
    if problem is not None:
        return {"enabled": True, "running": False, "last_error": problem}
    return None


class LaporBridge:
    """Forwards and syncs in a daemon thread until stopped."""

    def __init__(
        self,
        state: AppState,
        forwarder: Forwarder,
        sender: FollowupSender | None,
        syncer: Syncer | None,
        client: LaporClient,
        interval_seconds: float = 0.25,
    ) -> None:
        self._state = state
        self.forwarder = forwarder
        self.sender = sender
        self.syncer = syncer
        self._client = client
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    @classmethod
    def from_state(cls, state: AppState, mapping: LaporMapping | None = None) -> LaporBridge:
        """The bridge of an app, configured from its settings."""
        settings = state.settings
        mapping = mapping or load_mapping(settings.lapor_mapping_file)
        unlisted = mapping.missing(state.taxonomy)
        if unlisted:
            logger.warning(
                "LAPOR! mapping file lists no code for %d of our codes (%s ...); those "
                "fields are left out",
                len(unlisted),
                ", ".join(unlisted[:5]),
            )
        client = client_from_settings(settings)
        retry = retry_policy(settings)
        forwarder = Forwarder(
            state.sessions,
            client,
            mapping,
            state.taxonomy,
            state.attachments,
            state.policy,
            retry,
            poll_seconds=settings.lapor_poll_seconds,
            read_sessions=state.read_sessions,
        )
        sender = FollowupSender(
            state.sessions, client, mapping, retry, read_sessions=state.read_sessions
        )
        syncer = Syncer(
            state.sessions,
            client,
            state.policy,
            settings.lapor_poll_seconds,
            read_sessions=state.read_sessions,
        )
        return cls(state, forwarder, sender, syncer, client)

    def run_once(self) -> int:
        """One round: forward due reports, then poll due ones; how much was done."""
        done = len(self.forwarder.run_once())
        if self.sender is not None:
            done += self.sender.run_once()
        if self.syncer is not None:
            done += self.syncer.run_once()
        self.last_error = None
        return done

    def status(self) -> BridgeStatus:
        """The bridge's state for `/health`."""
        with self._state.read_sessions() as session:
            reports = counts_by_state(session)
        last = [t for t in (self.forwarder.last_success_at, self._sync_success()) if t]
        return BridgeStatus(
            running=self._thread is not None and self._thread.is_alive(),
            last_success_at=max(last) if last else None,
            last_error=self.last_error,
            reports=reports,
        )

    def _sync_success(self) -> dt.datetime | None:
        return self.syncer.last_success_at if self.syncer is not None else None

    def _run(self) -> None:
        while not self._stop.is_set():
            done = 0
            try:
                done = self.run_once()
            except SQLAlchemyError as exc:
                self.last_error = "database busy" if is_busy(exc) else "database error"
                logger.warning("LAPOR! bridge: %s; retrying", self.last_error, exc_info=True)
            except Exception as exc:  # keep the bridge alive after any trouble
                self.last_error = type(exc).__name__
                logger.exception("LAPOR! bridge round failed; retrying")
            if not done:
                self._stop.wait(self._interval)

    def start(self) -> None:
        """Run in a background thread."""
        self._thread = threading.Thread(target=self._run, name="lapor-bridge", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current round and close the client."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        self._client.close()
