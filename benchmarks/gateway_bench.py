"""Gateway benchmark: the same whole complaints through Telegram and straight to Rasa.

Starts the backend, the action server, Rasa and the gateway (webhook mode, pointed at a
local fake Telegram Bot API), then runs simulated citizens, 20 at a time, twice over:
straight to Rasa's REST channel, and as Telegram webhook updates through the gateway,
where a turn ends when the fake Bot API has received all of the turn's replies. Prints
per-turn p50/p95 and messages/s for both, and the p95 the gateway adds (target: at most
15%). Both phases alternate twice so that drift on the machine hits both alike.

Usage: python -m benchmarks.gateway_bench [--conversations 40] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.harness import Summary, start_process, stop_process, summarise, wait_healthy
from benchmarks.rasa_bench import MODEL, conversation, run_conversations
from scripts.stack import embedded_stack, free_ports, stack_processes
from tests.fakes.telegram_api import FakeTelegramAPI, RecordedRequest
from tests.fakes.telegram_updates import UpdateFactory

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-" + secrets.token_hex(8)
OVERHEAD_TARGET = 0.15


class ReplyWatch:
    """Counts the bot's messages per chat as the fake Bot API receives them."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._counts: dict[int, int] = defaultdict(int)
        self._waiters: dict[int, tuple[int, asyncio.Future[float]]] = {}

    def on_request(self, record: RecordedRequest) -> None:
        """Called in the fake's thread for every answered request."""
        if record.method != "sendMessage" or record.status != 200:
            return
        chat = int(record.params["chat_id"])
        now = time.perf_counter()
        with self._lock:
            self._counts[chat] += 1
            waiter = self._waiters.get(chat)
            if waiter and self._counts[chat] >= waiter[0]:
                del self._waiters[chat]
                self._loop.call_soon_threadsafe(_resolve, waiter[1], now)

    def expect(self, chat: int, more: int) -> asyncio.Future[float]:
        """A future resolved with the time the chat's next `more` messages have all arrived."""
        future: asyncio.Future[float] = self._loop.create_future()
        with self._lock:
            target = self._counts[chat] + more
            self._waiters[chat] = (target, future)
        return future


def _resolve(future: asyncio.Future[float], at: float) -> None:
    if not future.done():
        future.set_result(at)


async def reply_counts(rasa_url: str) -> list[int]:
    """How many messages the bot sends per turn of the scripted conversation."""
    counts = []
    sender = f"web:count-{secrets.token_hex(4)}"
    async with aiohttp.ClientSession() as session:
        for text, meta in conversation(0):
            body = {"sender": sender, "message": text, "metadata": meta}
            async with session.post(rasa_url, json=body) as response:
                replies = await response.json()
            counts.append(sum(1 for r in replies if r.get("text")))
    return counts


async def run_through_gateway(
    gateway_url: str,
    watch: ReplyWatch,
    updates: UpdateFactory,
    counts: list[int],
    count: int,
    concurrency: int,
    first_chat: int,
) -> Summary:
    """`count` conversations as webhook updates; a turn lasts until its replies arrive."""
    latencies: list[float] = []
    queue = iter(range(count))
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    started = time.perf_counter()
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency),
        timeout=aiohttp.ClientTimeout(total=60),
    ) as session:

        async def worker() -> None:
            for i in queue:
                chat = first_chat + i
                for (text, _meta), expected in zip(conversation(i), counts, strict=True):
                    done = watch.expect(chat, expected)
                    t0 = time.perf_counter()
                    update = updates.text(chat, text)
                    async with session.post(
                        f"{gateway_url}/telegram/webhook", json=update, headers=headers
                    ) as response:
                        if response.status != 200:
                            raise RuntimeError(f"webhook answered {response.status}")
                    latencies.append(await asyncio.wait_for(done, 60) - t0)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return summarise(f"gateway, {concurrency} at once", latencies, time.perf_counter() - started)


def _overhead(direct: list[Summary], gateway: list[Summary]) -> str:
    d95 = statistics.mean(s.p95_ms for s in direct)
    g95 = statistics.mean(s.p95_ms for s in gateway)
    d50 = statistics.mean(s.p50_ms for s in direct)
    g50 = statistics.mean(s.p50_ms for s in gateway)
    added = g95 / d95 - 1
    verdict = "met" if added <= OVERHEAD_TARGET else "NOT met"
    return (
        f"gateway adds {added * 100:+.1f}% to p95 ({d95:.0f} -> {g95:.0f} ms; "
        f"p50 {d50:.0f} -> {g50:.0f} ms); target <= {OVERHEAD_TARGET * 100:.0f}%: {verdict}"
    )


async def _bench(
    args: argparse.Namespace, rasa_url: str, gateway_url: str, telegram: FakeTelegramAPI
) -> None:
    watch = ReplyWatch(asyncio.get_running_loop())
    telegram.listener = watch.on_request
    updates = UpdateFactory(token=telegram.token)
    counts = await reply_counts(rasa_url)
    print(f"bot messages per turn: {counts}")
    await run_conversations(rasa_url, 3, 1, prefix="warm")
    await run_through_gateway(gateway_url, watch, updates, counts, 3, 1, 10_000)
    direct: list[Summary] = []
    through: list[Summary] = []
    for round_number in range(2):
        d = await run_conversations(
            rasa_url, args.conversations, args.concurrency, prefix=f"d{round_number}"
        )
        print("direct to Rasa  " + d.line())
        direct.append(d)
        g = await run_through_gateway(
            gateway_url,
            watch,
            updates,
            counts,
            args.conversations,
            args.concurrency,
            20_000 + round_number * 1_000,
        )
        print("through gateway " + g.line())
        through.append(g)
    print(_overhead(direct, through))


def main() -> None:
    """Start the assistant and the gateway, run both paths, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    if not MODEL.exists():
        sys.exit("No trained model: run `make run` (or rasa train) first.")
    os.chdir(ROOT)
    data_dir = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    ports = free_ports()
    env, endpoints = embedded_stack(data_dir, ports, "bench-token")
    processes: dict[str, Any] = {}
    with FakeTelegramAPI() as telegram:
        env.update(
            {
                "LOG_LEVEL": "WARNING",
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_WEBHOOK_URL": "https://gateway.example.go.id/telegram/webhook",
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
                # Simulated citizens answer at once, real ones take seconds: lift the
                # per-chat and overall sending limits so they do not count as overhead.
                "TELEGRAM_CHAT_BURST": "50",
                "TELEGRAM_CHAT_MESSAGES_PER_SECOND": "50",
                "TELEGRAM_MESSAGES_PER_SECOND": "1000",
            }
        )
        try:
            for spec in stack_processes(ports, endpoints, MODEL, "bench"):
                log = data_dir / f"{spec.name}.log"
                processes[spec.name] = start_process(spec.command, env, log)
                wait_healthy(spec.health_url, processes[spec.name], timeout=300, log_path=log)
            print(f"Gateway benchmark on {os.cpu_count()} cores: whole complaints, 8 turns each")
            asyncio.run(
                _bench(
                    args,
                    f"http://127.0.0.1:{ports.rasa}/webhooks/rest/webhook",
                    f"http://127.0.0.1:{ports.gateway}",
                    telegram,
                )
            )
        finally:
            for process in reversed(list(processes.values())):
                stop_process(process)


if __name__ == "__main__":
    main()
