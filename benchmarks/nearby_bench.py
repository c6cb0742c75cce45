"""Nearby-search benchmark: 200,000 reports over the regency on PostgreSQL.

Fills a throw-away schema with `--reports` reports spread uniformly over the bounding
box of Kabupaten Tangerang (lat -6.37..-6.00, lon 106.36..106.78; five categories,
all statuses), then measures `GET /api/v1/complaints/nearby` (300 m around random
pins, with a description to rank by) through the real server (uvicorn) at
`--concurrency` clients (closed loop: as fast as answered; paced: `--rate` queries/s
offered by the same clients), and the direct query (`backend.nearby.find_nearby`, one
client, no HTTP). Prints p50/p95; the target is an API p95 of at most 20 ms.

Usage: python -m benchmarks.nearby_bench [--reports 200000] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid

import aiohttp
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from backend.auth import Principal, Role
from backend.migrate import upgrade
from backend.nearby import NearbyQuery, find_nearby
from benchmarks.backend_bench import run_phase
from benchmarks.harness import free_port, start_process, stop_process, summarise, wait_healthy

TOKEN = "bench-token-" + uuid.uuid4().hex
CATEGORIES = ["jalan_jembatan", "sampah", "pju", "banjir_drainase", "adminduk"]
BOX = (-6.37, -6.00, 106.36, 106.78)
TEXT = "jalan berlubang besar dekat pasar, motor sering jatuh"

SEED_SQL = """
INSERT INTO reports (tracking_id, report_type, category, agency, description,
    location_text, kecamatan, latitude, longitude, privacy, channel, status,
    created_at, updated_at, verify_due, followers_count, waiting_for_reporter)
SELECT 'BEN-2026-' || lpad(g::text, 7, '0'), 'complaint',
    (ARRAY['jalan_jembatan','sampah','pju','banjir_drainase','adminduk'])[1 + g % 5],
    'DBMSDA', 'Laporan uji ' || g || ': jalan rusak berlubang, genangan dan sampah',
    'Jl. Raya ' || g, 'Balaraja',
    :min_lat + random() * (:max_lat - :min_lat), :min_lon + random() * (:max_lon - :min_lon),
    'public', 'telegram',
    (ARRAY['received','verified','in_progress','resolved','closed'])[1 + (g / 5) % 5],
    now() - g * interval '1 minute', now(), current_date, 0, false
FROM generate_series(1, :count) AS g
"""


def random_pin(rng: random.Random) -> tuple[float, float]:
    """A point in the regency's box."""
    return rng.uniform(BOX[0], BOX[1]), rng.uniform(BOX[2], BOX[3])


def seed(url: str, count: int) -> float:
    """Migrate the schema and insert `count` reports; return the seconds it took."""
    started = time.perf_counter()
    upgrade(url)
    engine = create_engine(url, future=True)
    with engine.begin() as conn:
        conn.execute(
            text(SEED_SQL),
            {"min_lat": BOX[0], "max_lat": BOX[1], "min_lon": BOX[2], "max_lon": BOX[3],
             "count": count},
        )  # fmt: skip
        conn.execute(text("ANALYZE reports"))
    engine.dispose()
    return time.perf_counter() - started


async def bench_api(
    base: str, requests: int, concurrency: int, rate: float
) -> tuple[list[str], int]:
    """The API phases (closed loop, then paced at `rate`/s); their printable lines and the
    mean number of results."""
    rng = random.Random(11)
    found: list[int] = []
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as http:

        async def query(i: int) -> None:
            lat, lon = random_pin(rng)
            params = {"category": CATEGORIES[i % 5], "lat": str(lat), "lon": str(lon),
                      "text": TEXT}  # fmt: skip
            async with http.get(f"{base}/api/v1/complaints/nearby", params=params) as response:
                if response.status != 200:
                    raise RuntimeError(f"nearby: {response.status} {await response.text()}")
                found.append(len(await response.json()))

        for i in range(50):  # warm up connections and caches
            await query(i)
        found.clear()
        closed = await run_phase("nearby via API, closed", requests, concurrency, query)
        paced = await run_phase(f"nearby via API, {rate:.0f}/s", requests, concurrency, query, rate)
    return [closed.line(), paced.line()], round(sum(found) / len(found)) if found else 0


def bench_direct(url: str, requests: int) -> str:
    """The direct query, one client: what the database and the ranking cost."""
    rng = random.Random(13)
    engine = create_engine(url, future=True)
    viewer = Principal(role=Role.SERVICE, name="bench")
    latencies: list[float] = []
    started = time.perf_counter()
    with Session(engine) as session:
        for i in range(requests):
            lat, lon = random_pin(rng)
            query = NearbyQuery(category=CATEGORIES[i % 5], latitude=lat, longitude=lon,
                                radius_m=300, text=TEXT)  # fmt: skip
            t0 = time.perf_counter()
            find_nearby(session, query, viewer, {})
            session.rollback()
            latencies.append(time.perf_counter() - t0)
    engine.dispose()
    return summarise("nearby direct query", latencies, time.perf_counter() - started).line()


def main() -> None:
    """Parse options, seed PostgreSQL, start the backend, run both phases, print figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--rate", type=float, default=100.0, help="paced phase, queries/s")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(args.database_url, future=True)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in args.database_url else "?"
    url = f"{args.database_url}{separator}options=-csearch_path%3D{schema}"
    server = None
    try:
        seconds = seed(url, args.reports)
        port = free_port()
        server = start_process(
            ["-m", "backend", "serve", "--workers", str(args.workers)],
            {
                "DATABASE_URL": url,
                "BACKEND_PORT": str(port),
                "BACKEND_API_TOKEN": TOKEN,
                "BACKEND_SECRET_KEY": uuid.uuid4().hex,
                "LOG_LEVEL": "WARNING",
                "DB_POOL_SIZE": str(args.concurrency),
            },
        )
        base = f"http://127.0.0.1:{port}"
        wait_healthy(f"{base}/health", server)
        print(
            f"Nearby benchmark: {args.reports} reports over Kabupaten Tangerang (seeded in "
            f"{seconds:.0f} s), PostgreSQL, {args.concurrency} concurrent clients, "
            f"{args.workers} worker(s), {os.cpu_count()} CPU cores, radius 300 m"
        )
        lines, mean_found = asyncio.run(bench_api(base, args.requests, args.concurrency, args.rate))
        print("\n".join(lines) + f"\n(mean {mean_found} results per query)")
        print(bench_direct(url, min(args.requests, 1000)))
        print("target: nearby via API p95 <= 20 ms at 20 concurrent clients")
    finally:
        if server is not None:
            stop_process(server)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
