"""Backend benchmark: create 2,000 reports with 20 concurrent clients, then read them.

Runs the real server (uvicorn) on PostgreSQL in a throw-away schema and prints
p50/p95 latency and throughput for create and get, in two load shapes:

- closed loop: 20 clients send as fast as the server answers (maximum throughput);
- paced: the same 20 clients together offer a fixed rate (default 200 creates/s),
  which shows latency at the target rate rather than queueing at saturation.

Usage: python -m benchmarks.backend_bench [--reports 2000] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable

import aiohttp
from sqlalchemy import create_engine, text

from benchmarks.harness import (
    Summary,
    free_port,
    start_process,
    stop_process,
    summarise,
    wait_healthy,
)

TOKEN = "bench-token-" + uuid.uuid4().hex
CATEGORIES = ["jalan_jembatan", "sampah", "pju", "banjir_drainase", "adminduk"]
KECAMATAN = ["Balaraja", "Cikupa", "Curug", "Pasar Kemis", "Tigaraksa"]


def report_body(i: int) -> dict[str, object]:
    """A realistic create request."""
    return {
        "category": CATEGORIES[i % len(CATEGORIES)],
        "description": f"Laporan uji beban nomor {i}: jalan rusak dan berlubang di dekat pasar.",
        "location": {"text": "Jl. Raya", "kecamatan": KECAMATAN[i % len(KECAMATAN)]},
        "incident_date": "2026-01-05",
        "privacy": "public",
        "channel": "telegram",
        "reporter": {"name": "Warga Uji", "phone": "+628120000000", "chat_id": f"telegram:{i}"},
    }


async def run_phase(
    name: str,
    total: int,
    concurrency: int,
    operation: Callable[[int], Awaitable[None]],
    rate: float | None = None,
) -> Summary:
    """Run `operation(i)` for i in 0..total-1 on `concurrency` workers, optionally paced."""
    latencies: list[float] = []
    counter = iter(range(total))
    started = time.perf_counter()

    async def worker() -> None:
        for i in counter:
            if rate:
                # Open-loop pacing: operation i is due at i / rate seconds.
                delay = started + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            t0 = time.perf_counter()
            await operation(i)
            latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return summarise(name, latencies, time.perf_counter() - started)


async def bench(base_url: str, reports: int, concurrency: int, rate: float) -> list[Summary]:
    """All phases against a running backend."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    ids: list[str] = []
    # aiohttp is the load generator: it costs less CPU per request than httpx, and the
    # client shares the machine's two cores with the server.
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        base_url=base_url,
        headers=headers,
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=30),
    ) as client:

        async def create(i: int) -> None:
            async with client.post("/api/v1/complaints", json=report_body(i)) as response:
                body = await response.json()
                if response.status != 201:
                    raise RuntimeError(f"create failed: {response.status} {body}")
            ids.append(body["tracking_id"])

        async def get(i: int) -> None:
            async with client.get(f"/api/v1/complaints/{ids[i % len(ids)]}") as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"get failed: {response.status}")

        for i in range(20):  # warm-up: connections, caches
            await create(i)
        warm = len(ids)
        results = [await run_phase("create (1 client)", 200, 1, create)]
        results.append(await run_phase("get (1 client)", 200, 1, get))
        results.append(await run_phase("create (closed loop)", reports, concurrency, create))
        results.append(await run_phase("get (closed loop)", reports, concurrency, get))
        paced = max(reports // 2, 200)
        results.append(
            await run_phase(f"create (paced {rate:.0f}/s)", paced, concurrency, create, rate)
        )
        results.append(await run_phase(f"get (paced {rate:.0f}/s)", paced, concurrency, get, rate))
        created = len(ids) - warm
        if len(set(ids)) != len(ids):
            raise RuntimeError("duplicate tracking IDs were issued")
        print(f"created {created} reports, all tracking IDs distinct")
    return results


def main() -> None:
    """Parse options, start the backend on PostgreSQL, run the phases, print figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rate", type=float, default=200.0, help="paced phase rate per second")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
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
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(f"{base}/health", server)
        print(
            f"Backend benchmark: {args.reports} reports, {args.concurrency} concurrent clients, "
            f"PostgreSQL, {args.workers} worker(s), {os.cpu_count()} CPU cores"
        )
        for summary in asyncio.run(bench(base, args.reports, args.concurrency, args.rate)):
            print(summary.line())
        print("targets: create p95 <= 25 ms and >= 200 creates/s; get p95 <= 10 ms")
    finally:
        stop_process(server)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
