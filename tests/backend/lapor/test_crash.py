"""A crash at each step of a forward: exactly once, or parked for review, never twice."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.engine import Engine

from backend.lapor.forwarder import STEPS
from tests.backend.conftest import create_report
from tests.backend.lapor.conftest import Clock, MakeForwarder
from tests.backend.lapor.test_forwarding import UPLOAD, bridge_row
from tests.backend.test_api_attachments import PNG, upload
from tests.fakes.lapor_api import FakeLapor


class SimulatedCrash(BaseException):
    """The process dies here (not an Exception: nothing in the forwarder catches it)."""


def crash_at(step: str) -> object:
    def checkpoint(passed: str) -> None:
        if passed == step:
            raise SimulatedCrash(step)

    return checkpoint


#: What a restarted process ends with after a crash at each step.
EXPECTED = {
    "claimed": ("forwarded", 1),
    "uploaded": ("forwarded", 1),
    "sending_recorded": ("review", 0),  # cannot know whether the call went out
    "accepted": ("review", 1),  # LAPOR! has it, we do not have its id
    "stored": ("forwarded", 1),
}


def test_every_step_is_covered() -> None:
    assert set(EXPECTED) == set(STEPS)


@pytest.mark.parametrize("step", STEPS)
async def test_crash_then_restart(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    clock: Clock,
    step: str,
) -> None:
    photo = (await upload(client, PNG)).json()["id"]
    report = await create_report(client, attachments=[photo])
    with pytest.raises(SimulatedCrash):
        make_forwarder(checkpoint=crash_at(step)).run_once()

    restarted = make_forwarder()
    restarted.run_once()  # a restart right away: a lease or a recent `sending` is respected
    clock.advance(121)  # past the lease and the longest call
    restarted.run_once()
    clock.advance(3600)
    restarted.run_once()
    make_forwarder().run_once()

    state, created = EXPECTED[step]
    row = bridge_row(engine, report["tracking_id"])
    assert row.state == state
    assert len(lapor.created()) == created
    if state == "forwarded":
        assert row.complaint_id == lapor.created()[0].id
        assert len(lapor.requests_to(UPLOAD)) == 1  # uploaded ids survive the crash
    else:
        assert row.complaint_id is None
        assert "tracking ID" in (row.error or "")


async def test_a_recent_sending_row_belongs_to_a_live_process(
    client: httpx.AsyncClient,
    engine: Engine,
    lapor: FakeLapor,
    make_forwarder: MakeForwarder,
    clock: Clock,
) -> None:
    report = await create_report(client)
    with pytest.raises(SimulatedCrash):
        make_forwarder(checkpoint=crash_at("sending_recorded")).run_once()
    clock.advance(60)  # within the 120 s a call may take
    assert make_forwarder().recover_interrupted() == 0
    assert bridge_row(engine, report["tracking_id"]).state == "sending"
    clock.advance(61)
    assert make_forwarder().recover_interrupted() == 1
    assert bridge_row(engine, report["tracking_id"]).state == "review"
    assert lapor.created() == []


async def test_two_workers_never_forward_one_report_twice(
    client: httpx.AsyncClient, lapor: FakeLapor, make_forwarder: MakeForwarder
) -> None:
    import threading

    tracking_ids = [(await create_report(client))["tracking_id"] for _ in range(20)]
    lapor.delay = 0.01  # calls overlap
    workers = [make_forwarder(), make_forwarder()]
    threads = [threading.Thread(target=w.run_once, kwargs={"limit": 20}) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stored = sorted(c.fields["tags_raw"] for c in lapor.created())
    assert stored == sorted(tracking_ids)
