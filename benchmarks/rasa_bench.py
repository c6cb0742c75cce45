"""Assistant benchmark: simulated citizens file whole complaints over Rasa's REST channel.

Starts the backend, the action server and Rasa (embedded defaults, a throw-away data
directory), then prints:
- one conversation at a time: per-turn p50/p95 (the single-turn latency);
- 20 conversations at once: per-turn p50/p95 and messages/s;
- paced runs at rising rates: the highest rate whose p95 stays under 300 ms;
- the Rasa server's memory (RSS) after the load;
- `rasa train --force` wall time and peak memory (with `--train`).

Usage: python -m benchmarks.rasa_bench [--conversations 60] [--concurrency 20] [--train]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from benchmarks.harness import (
    Summary,
    start_process,
    stop_process,
    summarise,
    wait_healthy,
)
from scripts.stack import embedded_stack, free_ports, stack_processes

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")
MODEL = ROOT / "models" / "lapor.tar.gz"
P95_TARGET_MS = 300.0

PROBLEMS = (
    "jalan depan rumah saya berlubang besar, sudah dua motor jatuh minggu ini",
    "sampah di pinggir jalan dekat pasar tidak diangkut sudah dua minggu, bau sekali",
    "lampu jalan di gang mawar mati sudah seminggu, gelap kalau malam",
    "air pdam mati dari kemarin pagi dan belum ada pemberitahuan dari petugas",
    "saluran got mampet jadi banjir setiap hujan deras di perumahan kami",
)
PLACES = ("jl raya serang km 20 balaraja", "perumahan citra raya cikupa", "dekat pasar kemis")
DATES = ("kemarin sore", "2 hari lalu", "hari ini")


def conversation(i: int) -> list[tuple[str, dict[str, object]]]:
    """The eight turns of one simulated citizen's complaint."""
    return [
        ("halo", {}),
        (PROBLEMS[i % len(PROBLEMS)], {}),
        ("ya", {}),
        (PLACES[i % len(PLACES)], {}),
        (DATES[i % len(DATES)], {}),
        ('/inform_privacy{"privacy": "public"}', {}),
        ("/skip", {}),
        ("ya kirim", {}),
    ]


async def run_conversations(
    url: str, count: int, concurrency: int, rate: float | None = None, prefix: str = "c"
) -> Summary:
    """`count` whole conversations on `concurrency` workers; optionally pace turns at `rate`/s."""
    latencies: list[float] = []
    queue = iter(range(count))
    started = time.perf_counter()
    turn_number = 0
    timeout = aiohttp.ClientTimeout(total=60)

    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency), timeout=timeout
    ) as session:

        async def worker() -> None:
            nonlocal turn_number
            for i in queue:
                sender = f"web:{prefix}-{i}"
                for text, meta in conversation(i):
                    if rate:
                        due = started + turn_number / rate
                        turn_number += 1
                        delay = due - time.perf_counter()
                        if delay > 0:
                            await asyncio.sleep(delay)
                    t0 = time.perf_counter()
                    body = {"sender": sender, "message": text, "metadata": meta}
                    async with session.post(url, json=body) as response:
                        replies = await response.json()
                        if response.status != 200 or not replies:
                            raise RuntimeError(f"turn {text!r} failed: {response.status} {replies}")
                    latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    name = f"{concurrency} at once" + (f", paced {rate:.0f}/s" if rate else "")
    return summarise(name, latencies, time.perf_counter() - started)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure_training() -> str:
    """Time a forced full training and its peak memory."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        subprocess.run(  # noqa: S603 - our own virtualenv's rasa
            [
                RASA,
                "train",
                "--force",
                "--domain",
                "domain.yml",
                "--config",
                "config.yml",
                "--data",
                "nlu",
                "stories",
                "--out",
                out,
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return f"rasa train --force: {seconds:.0f} s wall, peak memory {peak_mb:.0f} MB"


def main() -> None:
    """Start the assistant, run the load shapes, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rates", default="10,20,30,40,60", help="paced turn rates to try")
    parser.add_argument("--train", action="store_true", help="also time a forced training")
    args = parser.parse_args()
    if not MODEL.exists():
        sys.exit("No trained model: run `make run` (or rasa train) first.")

    data_dir = Path(tempfile.mkdtemp(prefix="rasa-bench-"))
    ports = free_ports()
    env, endpoints = embedded_stack(data_dir, ports, "bench-token")
    env["LOG_LEVEL"] = "WARNING"
    commands = stack_processes(ports, endpoints, MODEL, "bench")
    processes = {}
    os.chdir(ROOT)
    try:
        for spec in commands:
            log = data_dir / f"{spec.name}.log"
            processes[spec.name] = start_process(spec.command, env, log)
            wait_healthy(spec.health_url, processes[spec.name], timeout=300, log_path=log)
        url = f"http://127.0.0.1:{ports.rasa}/webhooks/rest/webhook"
        print(f"Assistant benchmark on {os.cpu_count()} cores: whole complaints, 8 turns each")
        asyncio.run(run_conversations(url, 3, 1, prefix="warm"))
        single = asyncio.run(run_conversations(url, 10, 1, prefix="one"))
        print(single.line())
        loaded = asyncio.run(run_conversations(url, args.conversations, args.concurrency))
        print(loaded.line())
        best = None
        for rate in (float(r) for r in args.rates.split(",")):
            paced = asyncio.run(
                run_conversations(
                    url, args.conversations // 2, args.concurrency, rate, prefix=f"r{rate:.0f}"
                )
            )
            print(paced.line())
            if paced.p95_ms <= P95_TARGET_MS and paced.per_second >= rate * 0.9:
                best = rate
        print(f"highest paced rate with p95 <= {P95_TARGET_MS:.0f} ms: {best or 'none'} turns/s")
        print(f"Rasa server memory after load: {rss_mb(processes['rasa'].pid):.0f} MB RSS")
        print("targets: p95 turn <= 300 ms, >= 30 messages/s, training <= 5 min, Rasa <= 1.5 GB")
    finally:
        for process in reversed(list(processes.values())):
            stop_process(process)
    if args.train:
        print(measure_training())


if __name__ == "__main__":
    main()
