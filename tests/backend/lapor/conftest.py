"""Bridge fixtures: a stand-in LAPOR!, settings with the bridge on, a forwarder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from backend.db import utcnow
from backend.lapor.client import LaporClient
from backend.lapor.forwarder import Checkpoint, Forwarder, RetryPolicy
from backend.lapor.mapping import load_mapping
from backend.settings import BackendSettings
from backend.state import AppState
from tests.backend.conftest import make_settings
from tests.fakes.lapor_api import FakeLapor

MAPPING = """\
channel: {telegram: 8, whatsapp: 9, web: 1, open311: 10, api: 10}
classification: {complaint: 1, aspiration: 2, information: 3}
category: {jalan_jembatan: 11, sampah: 12}
location: {default: 3603, Balaraja: 360301}
institution: {DBMSDA: 101, DLHK: 102}
"""


@pytest.fixture(scope="session")
def lapor_server() -> Iterator[FakeLapor]:
    """One stand-in LAPOR! for the session (reset by `lapor`)."""
    with FakeLapor() as fake:
        yield fake


@pytest.fixture
def lapor(lapor_server: FakeLapor) -> FakeLapor:
    """The stand-in, with no requests, complaints or faults left from other tests."""
    lapor_server.reset()
    return lapor_server


@pytest.fixture
def mapping_file(tmp_path: Path) -> Path:
    path = tmp_path / "lapor_mapping.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


@pytest.fixture
def settings(tmp_path: Path, lapor: FakeLapor, mapping_file: Path) -> BackendSettings:
    """Backend settings with the bridge on, pointed at the stand-in."""
    return make_settings(
        tmp_path,
        lapor_enabled=True,
        lapor_base_url=lapor.base_url,
        lapor_auth_secret=lapor.auth_secret,
        lapor_token=lapor.token,
        lapor_mapping_file=mapping_file,
        lapor_poll_seconds=0.01,
    )


class Clock:
    """Real time, moved forward by the test; `freeze()` stops it (exact backoff checks)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()
        self.frozen: dt.datetime | None = None

    @property
    def now(self) -> dt.datetime:
        return (self.frozen or utcnow()) + self.offset

    def __call__(self) -> dt.datetime:
        return self.now

    def freeze(self) -> None:
        self.frozen = utcnow()

    def advance(self, seconds: float) -> None:
        self.offset += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


MakeForwarder = Callable[..., Forwarder]


@pytest.fixture
def make_forwarder(state: AppState, lapor: FakeLapor, clock: Clock) -> Iterator[MakeForwarder]:
    """Build a forwarder on the test's state (a new one is a restarted process)."""
    clients: list[LaporClient] = []

    def build(checkpoint: Checkpoint | None = None, read_timeout: float = 2.0) -> Forwarder:
        client = LaporClient(
            lapor.base_url,
            lapor.auth_secret,
            lapor.token,
            timeout=httpx.Timeout(2.0, read=read_timeout),
        )
        clients.append(client)
        return Forwarder(
            state.sessions,
            client,
            load_mapping(state.settings.lapor_mapping_file),
            state.taxonomy,
            state.attachments,
            state.policy,
            RetryPolicy(base_seconds=10, max_seconds=80, interrupted_after_seconds=120),
            poll_seconds=state.settings.lapor_poll_seconds,
            read_sessions=state.read_sessions,
            checkpoint=checkpoint,
            clock=clock,
        )

    yield build
    for client in clients:
        client.close()
