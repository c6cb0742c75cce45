"""The backend's fan-out through the real `Notifier`: 200 followers, each told once,
also when the notifier restarts mid-batch and the events are handed out again."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.models import OutboxEvent, Report, ReportFollower
from bot.notifier.events import ReportEvent
from bot.notifier.store import metadata
from tests.backend.conftest import AUTH, create_report
from tests.bot.notifier.test_service import FakeServices, delivery, handle, make_harness

pytestmark = pytest.mark.anyio
FOLLOWERS = 200


async def test_200_followers_are_each_told_once_across_a_restart(
    client: httpx.AsyncClient, engine: Engine, tmp_path: Path
) -> None:
    report = await create_report(client)
    tid = report["tracking_id"]
    with Session(engine) as session:
        report_id = session.execute(select(Report.id).where(Report.tracking_id == tid)).scalar_one()
        session.add_all(
            ReportFollower(report_id=report_id, chat_id=f"telegram:{5000 + i}", source="follow")
            for i in range(FOLLOWERS)
        )
        session.commit()
    changed = await client.post(
        f"/api/v1/complaints/{tid}/status", json={"status": "verified"}, headers=AUTH
    )
    assert changed.status_code == 200
    with Session(engine) as session:
        payloads = [
            dict(e.payload)
            for e in session.execute(
                select(OutboxEvent).where(OutboxEvent.event_type == "complaint.status_changed")
            ).scalars()
        ]
    deliveries = [delivery(ReportEvent.from_payload(p)) for p in payloads]
    assert len(deliveries) == FOLLOWERS + 1  # and the reporter

    store_engine = create_engine(f"sqlite:///{tmp_path / 'deliveries.db'}", future=True)
    metadata.create_all(store_engine)
    services = FakeServices()
    async with httpx.AsyncClient(transport=httpx.MockTransport(services)) as http:
        first = await make_harness(store_engine, services, http)
        await handle(first, *deliveries[:120])  # then the notifier stops
        second = await make_harness(store_engine, services, http)  # restarted
        source = await handle(second, *deliveries)  # every event handed out again
    store_engine.dispose()
    sent = first.telegram.delivered + second.telegram.delivered
    assert len(sent) == FOLLOWERS + 1
    assert len({n.chat_id for n in sent}) == FOLLOWERS + 1
    assert len(second.telegram.delivered) == FOLLOWERS + 1 - 120
    assert sorted(source.acked) == sorted(d.receipt for d in deliveries)
    assert all(tid in n.text for n in sent)
    # Each delivery was reported back to the backend under its own event.
    reported = {path.rsplit("/", 1)[-1] for path, _ in services.reports()}
    assert reported >= {p["event_id"] for p in payloads}
