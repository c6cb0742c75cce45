"""With the bridge off (the default), every report shows `lapor.state` "disabled"."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from backend.settings import BackendSettings
from tests.backend.conftest import AUTH, create_report, make_settings


@pytest.fixture
def settings(tmp_path: Path) -> BackendSettings:
    """The default settings: LAPOR_ENABLED false."""
    return make_settings(tmp_path)


def test_the_bridge_is_off_by_default() -> None:
    assert BackendSettings.__fields__["lapor_enabled"].default is False


async def test_state_is_disabled_when_the_bridge_is_off(client: httpx.AsyncClient) -> None:
    created = await create_report(client)
    off = {"complaint_id": None, "state": "disabled", "last_sync_at": None, "error": None}
    assert created["lapor"] == off
    read = await client.get(f"/api/v1/complaints/{created['tracking_id']}", headers=AUTH)
    assert read.json()["lapor"] == off
