"""SP4N-LAPOR! bridge benchmark: forwarding and syncing against the stand-in LAPOR!.

    python -m benchmarks.lapor_bench [--reports 2000] [--rate 100]

On a fresh SQLite database (or `--database-url`, an empty database), with the bridge's
real worker thread and the stand-in LAPOR! of `tests/fakes/lapor_api.py`:

1. burst: `--reports` reports filed while the worker is stopped, then drained:
   forwards per second;
2. steady: `--reports` more filed at `--rate` per second while the worker runs: the
   delay from filing to forwarded (p50, p95);
3. sync: two follow-ups added on LAPOR!'s side to each burst report, every report
   made due and polled: polls per second, SQL statements and backend time per poll,
   and from those the load of 10,000 open reports polled every LAPOR_POLL_SECONDS.

Each report must reach the stand-in exactly once and each follow-up must become
exactly one history entry; the benchmark fails otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, update

from backend.complaints import create_complaint
from backend.db import utcnow
from backend.lapor.sync import Syncer
from backend.lapor.worker import LaporBridge, client_from_settings
from backend.migrate import upgrade
from backend.models import LaporForward, Report, StatusChange
from backend.schemas import ComplaintCreate
from backend.settings import BackendSettings
from backend.state import AppState
from tests.fakes.lapor_api import FakeLapor

MAPPING = """\
channel: {telegram: 8, whatsapp: 9, web: 1, open311: 10, api: 10}
classification: {complaint: 1, aspiration: 2, information: 3}
category: {jalan_jembatan: 11}
location: {default: 3603, Balaraja: 360301}
institution: {DBMSDA: 101}
"""
BODY = {
    "category": "jalan_jembatan",
    "description": "Jalan berlubang besar di depan pasar, membahayakan pengendara motor.",
    "location": {"text": "Jl. Raya Serang km 20", "kecamatan": "Balaraja"},
    "privacy": "public",
    "channel": "telegram",
    "reporter": {"name": "Warga", "phone": "+6281200000000", "chat_id": "telegram:1"},
}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _file(state: AppState, count: int, rate: float | None) -> None:
    payload = ComplaintCreate.parse_obj(BODY)
    started = time.monotonic()
    for n in range(count):
        if rate:
            wait = started + n / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        with state.sessions() as session:
            create_complaint(session, payload, state.taxonomy, state.policy)


def _waiting(state: AppState) -> int:
    with state.read_sessions() as session:
        return int(
            session.execute(
                select(func.count())
                .select_from(LaporForward)
                .where(LaporForward.state != "forwarded")
            ).scalar_one()
        )


def _drain(state: AppState, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while _waiting(state):
        if time.monotonic() > deadline:
            raise SystemExit("reports were not all forwarded in time")
        time.sleep(0.05)


def _delays(state: AppState, since_id: int) -> list[float]:
    with state.read_sessions() as session:
        rows = session.execute(
            select(Report.created_at, LaporForward.updated_at)
            .join(LaporForward, LaporForward.report_id == Report.id)
            .where(Report.id > since_id)
        ).all()
    return [(forwarded - created).total_seconds() * 1000 for created, forwarded in rows]


def run(reports: int, rate: float, database_url: str | None) -> dict[str, Any]:
    """Run the three phases; the figures."""
    work = Path(tempfile.mkdtemp(prefix="lapor-bench-"))
    (work / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    with FakeLapor(followups_page_size=10) as lapor:
        values: dict[str, Any] = {
            "_env_file": None,  # the developer's .env must not change the figures
            "data_dir": work,
            "database_url": database_url or f"sqlite:///{work / 'backend.db'}",
            "lapor_enabled": True,
            "lapor_base_url": lapor.base_url,
            "lapor_auth_secret": lapor.auth_secret,
            "lapor_token": lapor.token,
            "lapor_mapping_file": work / "mapping.yaml",
            "lapor_poll_seconds": 3600,
        }
        settings = BackendSettings(**values)
        upgrade(settings.effective_database_url)
        state = AppState.from_settings(settings)
        figures: dict[str, Any] = {"database": state.engine.dialect.name, "reports": reports}

        # 1. burst
        _file(state, reports, None)
        bridge = LaporBridge.from_state(state)
        started = time.monotonic()
        bridge.start()
        _drain(state)
        burst_seconds = time.monotonic() - started
        figures["burst_forwards_per_second"] = round(reports / burst_seconds, 1)

        # 2. steady
        with state.read_sessions() as session:
            last_id = int(session.execute(select(func.max(Report.id))).scalar_one())
        _file(state, reports, rate)
        _drain(state)
        bridge.stop()
        delays = _delays(state, last_id)
        figures["steady_rate_per_second"] = rate
        figures["delay_p50_ms"] = round(statistics.median(delays), 1)
        figures["delay_p95_ms"] = round(_percentile(delays, 0.95), 1)
        created = len(lapor.created())
        if created != 2 * reports:
            raise SystemExit(f"{created} LAPOR! reports for {2 * reports} filed")

        # 3. sync
        burst_ids = [c.id for c in lapor.created()[:reports]]
        for complaint_id in burst_ids:
            lapor.add_followup(complaint_id, "Laporan diteruskan kepada {{institution_to}}.")
            lapor.add_followup(complaint_id, "Perbaikan dijadwalkan minggu depan.")
        with state.sessions() as session:
            session.execute(update(LaporForward).values(next_poll_at=utcnow()))
            session.commit()
        statements = 0

        def count(*_args: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(state.engine, "before_cursor_execute", count)
        client = client_from_settings(settings)
        http_seconds = 0.0
        for name in ("get_complaint", "followups"):
            original = getattr(client, name)

            def timed(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                nonlocal http_seconds
                begun = time.monotonic()
                result = _original(*args, **kwargs)
                if not isinstance(result, (list, tuple)) and hasattr(result, "__next__"):
                    result = list(result)
                http_seconds += time.monotonic() - begun
                return result

            setattr(client, name, timed)
        syncer = Syncer(state.sessions, client, state.policy, 3600)
        started = time.monotonic()
        polled = 0
        while True:
            done = syncer.run_once(limit=200)
            if not done:
                break
            polled += done
        sync_seconds = time.monotonic() - started
        event.remove(state.engine, "before_cursor_execute", count)
        client.close()
        with state.read_sessions() as session:
            entries = int(
                session.execute(
                    select(func.count())
                    .select_from(StatusChange)
                    .where(StatusChange.source == "lapor")
                ).scalar_one()
            )
        if entries != 2 * reports:
            raise SystemExit(f"{entries} history entries for {2 * reports} follow-ups")
        per_poll_ms = (sync_seconds - http_seconds) / polled * 1000
        figures["polls"] = polled
        figures["polls_per_second"] = round(polled / sync_seconds, 1)
        figures["sql_statements_per_poll"] = round(statements / polled, 1)
        figures["backend_ms_per_poll"] = round(per_poll_ms, 2)
        polls_per_second_10k = 10_000 / settings.lapor_poll_seconds
        figures["per_10000_open_reports"] = {
            "polls_per_second": round(polls_per_second_10k, 2),
            "lapor_calls_per_second": round(2 * polls_per_second_10k, 2),
            "sql_statements_per_second": round(polls_per_second_10k * statements / polled, 1),
            "backend_cpu_share": f"{polls_per_second_10k * per_poll_ms / 10:.2f}%",
        }
        state.engine.dispose()
    return figures


def main() -> None:
    """Parse arguments, run, print the figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lapor_bench")
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--database-url", default=None, help="an empty database to use")
    args = parser.parse_args()
    begun = dt.datetime.now(dt.timezone.utc)
    figures = run(args.reports, args.rate, args.database_url)
    print(f"LAPOR! bridge benchmark ({begun:%Y-%m-%d %H:%M} UTC)")
    for key, value in figures.items():
        print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
