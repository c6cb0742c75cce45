"""What the duplicate check adds to a conversation turn.

Starts the embedded stack (backend on SQLite, action server, Rasa) with `--reports`
pinned open reports spread over the regency (a few of them beside the test pin), then:

- `nearby call`: the action server's own call (`BackendClient.nearby_complaints`, with
  its 2 s budget), one at a time: the time the check adds to the turn;
- `pin turn, check`: the turn in which a citizen shares the pin of a complaint (the
  check runs and offers the reports nearby), through Rasa's REST channel;
- `pin turn, no check`: the same turn of an aspiration (no check), for comparison.

Usage: python -m benchmarks.duplicate_check_bench [--reports 3000] [--turns 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from actions.backend_client import BackendClient
from actions.duplicates.step import CHECK_TIMEOUT_SECONDS
from benchmarks.harness import start_process, stop_process, summarise, wait_healthy
from scripts.rasa_model import MODEL, RASA_ENV
from scripts.stack import embedded_stack, free_ports, stack_processes

TOKEN = "bench-token-" + uuid.uuid4().hex
PIN = (-6.19, 106.44)  # Balaraja
CATEGORIES = ("jalan_jembatan", "sampah", "pju", "banjir_drainase")


def report_body(i: int, rng: random.Random) -> dict[str, object]:
    """An open pinned report: most over the regency, every 500th beside the pin."""
    if i % 500 == 0:
        lat, lon = PIN[0] + rng.uniform(-0.001, 0.001), PIN[1] + rng.uniform(-0.001, 0.001)
        category = "jalan_jembatan"
    else:
        lat, lon = rng.uniform(-6.32, -6.05), rng.uniform(106.38, 106.70)
        category = CATEGORIES[i % len(CATEGORIES)]
    return {
        "report_type": "complaint",
        "category": category,
        "description": f"Laporan uji {i}: jalan rusak berlubang dekat pasar, motor sering jatuh",
        "location": {"text": "Jl. Raya", "latitude": lat, "longitude": lon},
        "privacy": "public",
        "channel": "telegram",
        "reporter": {"name": "Warga Uji", "chat_id": f"telegram:{i}"},
    }


async def seed(backend_url: str, count: int) -> None:
    rng = random.Random(7)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=backend_url, headers=headers, timeout=30) as http:
        queue = list(range(count))

        async def worker() -> None:
            while queue:
                i = queue.pop()
                response = await http.post("/api/v1/complaints", json=report_body(i, rng))
                response.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(8)))


async def nearby_calls(backend_url: str, count: int) -> list[float]:
    latencies: list[float] = []
    params: dict[str, str | int | float] = {
        "category": "jalan_jembatan",
        "lat": PIN[0],
        "lon": PIN[1],
        "text": "jalan berlubang besar, motor sering jatuh",
        "limit": 3,
    }
    async with httpx.AsyncClient() as http:
        client = BackendClient(http, backend_url, TOKEN)
        found = await client.nearby_complaints(params, CHECK_TIMEOUT_SECONDS)
        if not found:
            raise SystemExit("no report near the pin: the benchmark would measure nothing")
        for _ in range(count):
            started = time.perf_counter()
            await client.nearby_complaints(params, CHECK_TIMEOUT_SECONDS)
            latencies.append(time.perf_counter() - started)
    return latencies


def say(rasa_url: str, sender: str, text: str, metadata: dict[str, object]) -> str:
    body = {"sender": sender, "message": text, "metadata": {"channel": "telegram", **metadata}}
    response = httpx.post(f"{rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
    response.raise_for_status()
    return "\n".join(str(r.get("text", "")) for r in response.json())


def pin_turns(rasa_url: str, turns: int, aspiration: bool) -> list[float]:
    """The pin-sharing turn of `turns` conversations (after description and category)."""
    latencies: list[float] = []
    pin: dict[str, object] = {"location": {"latitude": PIN[0], "longitude": PIN[1]}}
    for n in range(turns):
        sender = f"telegram:bench{uuid.uuid4().hex[:10]}"
        if aspiration:
            say(rasa_url, sender, '/inform_report_type{"report_type":"aspiration"}', {})
        opening = "jalan berlubang besar dan dalam, motor sering jatuh kalau malam"
        asked = say(rasa_url, sender, opening, {})
        if "Di mana lokasinya" not in asked:
            asked = say(rasa_url, sender, "iya", {})
        if "lokasi" not in asked.lower():
            raise SystemExit(f"unexpected question: {asked}")
        started = time.perf_counter()
        answer = say(rasa_url, sender, "/share_location", pin)
        latencies.append(time.perf_counter() - started)
        if ("laporan serupa" in answer) == aspiration:
            raise SystemExit(f"turn {n}: the check {'ran' if aspiration else 'offered nothing'}")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=3000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--turns", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dup-bench-") as tmp:
        data_dir = Path(tmp)
        ports = free_ports()
        stack_env, endpoints = embedded_stack(data_dir, ports, TOKEN)
        env = {**os.environ, **RASA_ENV, **stack_env, "NOTIFIER_ENABLED": "false"}
        processes = []
        try:
            for spec in stack_processes(ports, endpoints, MODEL, "bench-rasa-token")[:3]:
                log = data_dir / f"{spec.name}.log"
                processes.append(start_process(spec.command, env, log))
                wait_healthy(spec.health_url, processes[-1], timeout=300, log_path=log)
            backend_url = f"http://127.0.0.1:{ports.backend}"
            rasa_url = f"http://127.0.0.1:{ports.rasa}"
            started = time.perf_counter()
            asyncio.run(seed(backend_url, args.reports))
            print(f"seeded {args.reports} open reports in {time.perf_counter() - started:.0f} s")
            calls = asyncio.run(nearby_calls(backend_url, args.calls))
            print(summarise("nearby call", calls, sum(calls)).line())
            checked = pin_turns(rasa_url, args.turns, aspiration=False)
            print(summarise("pin turn, check", checked, sum(checked)).line())
            unchecked = pin_turns(rasa_url, args.turns, aspiration=True)
            print(summarise("pin turn, no check", unchecked, sum(unchecked)).line())
        finally:
            for process in reversed(processes):
                stop_process(process)


if __name__ == "__main__":
    main()
