"""Notifier benchmark: a batch of status updates under Telegram's limit, while citizens chat.

Starts the real backend (PostgreSQL in a throw-away schema, `REDIS_URL` set so its outbox
publisher feeds a Redis stream of this run's own) and the real gateway process(es)
(Telegram in webhook mode against the local fake Bot API, which enforces `--rate`
messages/s in a sliding 1-second window; the scripted FakeRasa stands in for Rasa so a
conversation turn is cheap and deterministic). Then:

1. files `--updates` reports for as many distinct Telegram chats (concurrent clients);
2. moves every report received -> verified with a note through the backend API; its
   outbox publisher puts the events on a staging stream;
3. measures a conversation turn of a few chatting citizens (webhook update posted to the
   gateway -> its reply accepted by the fake Bot API), `--turns-per-second` in all:
   the baseline, without the batch (after a few turns each and 5 s at the same pace,
   not counted, to warm up);
4. releases the batch: the published events go onto the gateway's stream at once; the
   notifier tells each citizen while the citizens keep chatting, until the last
   notification arrived.

With `--live` the backend publishes straight to the gateway's stream and the status
changes are posted while the notifier delivers (and the citizens chat): the backend's
work on them then competes for the machine with the delivery, shown apart.

Prints the deliveries, the achieved rate (first to last accepted notification), the
fake's limit violations, losses (citizens never told), duplicates (told twice), and the
turn latency p50/p95 without and during the batch, with PASS/FAIL per target. Cleans up
its schema, its Redis stream and the Redis keys of its bot and chats.

Usage: python -m benchmarks.notifier_bench [--updates 5000] [--rate 30] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import statistics
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from benchmarks.harness import free_port, start_process, stop_process, wait_healthy
from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.telegram_api import FakeTelegramAPI, RecordedRequest
from tests.fakes.telegram_updates import UpdateFactory

ROOT = Path(__file__).resolve().parent.parent
SERVICE_TOKEN = "notifier-bench-" + secrets.token_hex(8)
WEBHOOK_SECRET = "bench-" + secrets.token_hex(8)
WEBHOOK_URL = "https://gateway.example.go.id/telegram/webhook"
RATE_TARGET = 0.9  # of the limit
LATENCY_TARGET = 0.2  # p95 during the batch at most 20% above the baseline
WARM_UP_SECONDS = 5.0
NOTE = "Laporan sudah diverifikasi dan diteruskan ke DLHK."


@dataclass(frozen=True)
class Plan:
    """What to run, from the command line."""

    updates: int
    rate: int
    chatters: int
    turns_per_second: float
    baseline_seconds: float
    concurrency: int
    move_rate: float
    gateways: int
    settle_seconds: float
    stall_seconds: float
    database_url: str
    redis_url: str
    dump: Path | None = None
    live: bool = False
    split: bool = False
    in_process: bool = False


# -- what the fake Bot API receives --------------------------------------------------------------


class Watch:
    """Listens to the fake Bot API: notifications per chat, and the replies turns wait for.

    `on_request` runs in the fake's thread; turn futures are resolved on the bench loop.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, notified: range) -> None:
        self._loop = loop
        self._notified = notified
        self._lock = threading.Lock()
        self.deliveries: dict[int, list[float]] = defaultdict(list)
        self.stray: int = 0  # accepted messages to chats that are neither notified nor chatting
        self.refused: int = 0  # sendMessage answered with an error (429s included)
        self._waiters: dict[tuple[int, str], asyncio.Future[float]] = {}

    def on_request(self, record: RecordedRequest) -> None:
        """Called by the fake for every answered request."""
        if record.method != "sendMessage":
            return
        now = time.perf_counter()
        chat = record.params.get("chat_id")
        with self._lock:
            if record.status != 200:
                self.refused += 1
                return
            if isinstance(chat, int) and chat in self._notified:
                self.deliveries[chat].append(now)
                return
            waiter = (
                self._waiters.pop((chat, str(record.params.get("text"))), None)
                if isinstance(chat, int)
                else None
            )
            if waiter is None:
                self.stray += 1
                return
        self._loop.call_soon_threadsafe(_resolve, waiter, now)

    def expect(self, chat: int, reply: str) -> asyncio.Future[float]:
        """A future resolved with the time `reply` is accepted in `chat`."""
        future: asyncio.Future[float] = self._loop.create_future()
        with self._lock:
            self._waiters[(chat, reply)] = future
        return future

    def forget(self, chat: int, reply: str) -> None:
        """Stop waiting for a reply (its turn timed out)."""
        with self._lock:
            self._waiters.pop((chat, reply), None)

    def delivered_chats(self) -> int:
        """Notified chats that got at least one message."""
        with self._lock:
            return len(self.deliveries)

    def notification_times(self) -> list[float]:
        """Arrival of every accepted notification, in order."""
        with self._lock:
            return sorted(t for times in self.deliveries.values() for t in times)

    def counts(self) -> dict[int, int]:
        """Accepted messages per notified chat (chats never told are absent)."""
        with self._lock:
            return {chat: len(times) for chat, times in self.deliveries.items()}


def _resolve(future: asyncio.Future[float], at: float) -> None:
    if not future.done():
        future.set_result(at)


# -- chatting citizens ----------------------------------------------------------------------------


@dataclass
class Turn:
    """One sampled conversation turn."""

    started: float
    seconds: float | None  # None: no reply in time


@dataclass
class Chatters:
    """A few citizens chatting through the gateway webhook at a steady pace."""

    session: aiohttp.ClientSession
    gateway_urls: list[str]
    watch: Watch
    updates: UpdateFactory
    chats: list[int]
    turns_per_second: float
    turns: list[Turn] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def turn(self, chat: int, number: int, url: str) -> Turn:
        """Post one message; the turn ends when its echo is accepted by the fake."""
        message = f"halo {chat} nomor {number}"
        reply = f"echo: {message}"
        done = self.watch.expect(chat, reply)
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        started = time.perf_counter()
        async with self.session.post(
            f"{url}/telegram/webhook", json=self.updates.text(chat, message), headers=headers
        ) as response:
            if response.status != 200:
                raise RuntimeError(f"the webhook answered {response.status}")
        try:
            arrived = await asyncio.wait_for(done, timeout=30)
        except asyncio.TimeoutError:
            self.watch.forget(chat, reply)
            return Turn(started, None)
        return Turn(started, arrived - started)

    async def _citizen(self, index: int) -> None:
        chat = self.chats[index]
        url = self.gateway_urls[index % len(self.gateway_urls)]
        interval = len(self.chats) / self.turns_per_second
        # Staggered so that the turns of all citizens together are evenly spread.
        due = time.perf_counter() + index * interval / len(self.chats)
        number = 0
        while not self._stop.is_set():
            await _sleep_until(due, self._stop)
            if self._stop.is_set():
                return
            number += 1
            self.turns.append(await self.turn(chat, number, url))
            due = max(due + interval, time.perf_counter())

    async def run(self) -> None:
        """Chat until `stop()`."""
        await asyncio.gather(*(self._citizen(i) for i in range(len(self.chats))))

    def stop(self) -> None:
        """Let every citizen finish the turn in hand, then stop."""
        self._stop.set()


async def _sleep_until(moment: float, stop: asyncio.Event) -> None:
    delay = moment - time.perf_counter()
    if delay > 0:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


# -- the backend -----------------------------------------------------------------------------------


def report_body(chat: int) -> dict[str, Any]:
    """A report filed from a Telegram chat."""
    return {
        "report_type": "complaint",
        "category": "sampah",
        "description": f"Sampah menumpuk di pinggir jalan dekat pasar sudah dua minggu ({chat}).",
        "location": {"text": "Pasar Kemis", "kecamatan": "Pasar Kemis"},
        "privacy": "public",
        "channel": "telegram",
        "reporter": {"name": "Warga Uji", "chat_id": f"telegram:{chat}", "language": "id"},
    }


async def run_all(
    total: int,
    concurrency: int,
    operation: Callable[[int], Awaitable[None]],
    rate: float = 0.0,
) -> float:
    """`operation(i)` for every i, `concurrency` at once (paced at `rate`/s if set); seconds."""
    counter = iter(range(total))
    started = time.perf_counter()

    async def worker() -> None:
        for i in counter:
            if rate:
                delay = started + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            await operation(i)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


def outbox_published(engine: Engine) -> bool:
    """Every outbox event of the backend published to its stream."""
    with engine.connect() as conn:
        unpublished = conn.execute(
            text("SELECT count(*) FROM outbox_events WHERE published_at IS NULL")
        ).scalar_one()
    return not unpublished


def stream_drained(client: redis.Redis[str], stream: str, engine: Engine) -> bool:
    """Every outbox event published, and every stream entry read and acknowledged."""
    if not outbox_published(engine):
        return False
    if not client.exists(stream):
        return True
    groups = client.xinfo_groups(stream)  # type: ignore[no-untyped-call]
    if not groups:
        return False
    last = client.xinfo_stream(stream)["last-generated-id"]
    return all(g["pending"] == 0 and g["last-delivered-id"] == last for g in groups)


def last_entry(client: redis.Redis[str], stream: str) -> str | None:
    """The ID of the stream's last entry (None: no stream yet)."""
    if not client.exists(stream):
        return None
    return str(client.xinfo_stream(stream)["last-generated-id"])


def release(client: redis.Redis[str], source: str, target: str, after: str | None) -> int:
    """Copy the entries of `source` after `after` onto `target` at once; how many."""
    entries = client.xrange(source, min=f"({after}" if after else "-", max="+")
    pipe = client.pipeline(transaction=False)
    for _, fields in entries:
        pipe.xadd(target, fields)
    pipe.execute()
    return len(entries)


async def wait_until(
    predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.5
) -> None:
    """Poll `predicate` (in a thread: it may do I/O) until true."""
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(predicate):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not reached within {timeout:.0f} s")
        await asyncio.sleep(interval)


# -- figures ---------------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    if len(samples) < 2:
        value = samples[0] * 1000 if samples else float("nan")
        return value, value
    cuts = statistics.quantiles(sorted(samples), n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000


def latency_line(name: str, turns: list[Turn]) -> str:
    """n, p50, p95, max and timeouts of some turns."""
    done = [t.seconds for t in turns if t.seconds is not None]
    lost = len(turns) - len(done)
    p50, p95 = percentiles(done)
    top = max(done, default=float("nan")) * 1000
    return (
        f"  {name:<34} n={len(done):<4} p50={p50:7.1f} ms  p95={p95:7.1f} ms  "
        f"max={top:7.1f} ms  no reply={lost}"
    )


def peak_in_window(times: list[float], window: float = 1.0) -> int:
    """The most accepted sends in any `window` seconds."""
    peak, first = 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - window:
            first += 1
        peak = max(peak, last - first + 1)
    return peak


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


# -- the run ---------------------------------------------------------------------------------------


@dataclass
class Stack:
    """What the benchmark started."""

    telegram: FakeTelegramAPI
    rasa: FakeRasa
    backend_url: str
    gateway_urls: list[str]
    backend_stream: str  # where the backend publishes
    gateway_stream: str  # where the notifier reads (the same with --live)
    engine: Engine
    redis: redis.Redis[str]
    first_chat: int


async def bench(plan: Plan, stack: Stack) -> bool:
    """Create, baseline, batch; print the figures; True when every target is met."""
    loop = asyncio.get_running_loop()
    first_chat = stack.first_chat
    notified = range(first_chat, first_chat + plan.updates)
    chat_chats = [first_chat - 1 - i for i in range(plan.chatters)]
    watch = Watch(loop, notified)
    stack.telegram.listener = watch.on_request
    updates = UpdateFactory(token=stack.telegram.token)
    headers = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    tracking: dict[int, str] = {}
    async with (
        aiohttp.ClientSession(
            base_url=stack.backend_url,
            headers=headers,
            connector=aiohttp.TCPConnector(limit=plan.concurrency),
            timeout=aiohttp.ClientTimeout(total=60),
        ) as backend,
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=plan.chatters + 2),
            timeout=aiohttp.ClientTimeout(total=30),
        ) as chat_session,
    ):

        async def create(i: int) -> None:
            chat = notified[i]
            async with backend.post("/api/v1/complaints", json=report_body(chat)) as response:
                body = await response.json()
                if response.status != 201:
                    raise RuntimeError(f"create failed: {response.status} {body}")
            tracking[chat] = str(body["tracking_id"])

        async def move(i: int) -> None:
            tracking_id = tracking[notified[i]]
            body = {"status": "verified", "note": NOTE}
            async with backend.post(
                f"/api/v1/complaints/{tracking_id}/status", json=body
            ) as response:
                if response.status != 200:
                    raise RuntimeError(f"status change failed: {response.status}")
                await response.read()

        seconds = await run_all(plan.updates, plan.concurrency, create)
        print(
            f"created {plan.updates} reports for {plan.updates} chats in {seconds:.1f} s "
            f"({plan.updates / seconds:.0f}/s)"
        )
        # The creations' events (not for citizens) first: published (and read, --live).
        await wait_until(
            lambda: stream_drained(stack.redis, stack.gateway_stream, stack.engine),
            300,
            "the creation events handled",
        )
        mark = await asyncio.to_thread(last_entry, stack.redis, stack.backend_stream)
        move_seconds = 0.0
        if not plan.live:
            move_seconds = await run_all(plan.updates, plan.concurrency, move, plan.move_rate)
            print(
                f"status changes posted: {plan.updates} in {move_seconds:.1f} s "
                f"({plan.updates / move_seconds:.0f}/s), before the batch"
            )
            await wait_until(
                lambda: outbox_published(stack.engine), 300, "the status changes published"
            )
        chatters = Chatters(
            chat_session, stack.gateway_urls, watch, updates, chat_chats, plan.turns_per_second
        )
        for chat in chat_chats:  # warm-up: connections, first-time paths
            for n in range(3):
                await chatters.turn(chat, -1 - n, stack.gateway_urls[0])
        chatting = asyncio.create_task(chatters.run())
        await asyncio.sleep(WARM_UP_SECONDS)  # at the same pace, not counted
        baseline_started = time.perf_counter()
        await asyncio.sleep(plan.baseline_seconds)

        batch_started = time.perf_counter()
        pushed: asyncio.Task[float] | None = None
        if plan.live:
            pushed = asyncio.create_task(
                run_all(plan.updates, plan.concurrency, move, plan.move_rate)
            )
        else:
            released = await asyncio.to_thread(
                release, stack.redis, stack.backend_stream, stack.gateway_stream, mark
            )
            print(f"batch released: {released} events onto the notifier's stream at once")
        last_count, last_progress = 0, time.monotonic()
        while watch.delivered_chats() < plan.updates:
            await asyncio.sleep(0.5)
            count = watch.delivered_chats()
            if count != last_count:
                last_count, last_progress = count, time.monotonic()
            elif (pushed is None or pushed.done()) and (
                time.monotonic() - last_progress > plan.stall_seconds
            ):
                print(f"no progress for {plan.stall_seconds:.0f} s: stopping the wait")
                break
        if pushed is not None:
            move_seconds = await pushed
        moves_done = batch_started + (move_seconds if plan.live else 0.0)
        await asyncio.sleep(plan.settle_seconds)  # late duplicates would arrive here
        chatters.stop()
        await chatting

    times = watch.notification_times()
    counts = watch.counts()
    delivered = sum(counts.values())
    losses = plan.updates - len(counts)
    duplicates = sum(n - 1 for n in counts.values())
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    achieved = (len(times) - 1) / span if span else 0.0
    batch_end = times[-1] if times else time.perf_counter()
    baseline = [t for t in chatters.turns if baseline_started <= t.started < batch_started]
    during = [t for t in chatters.turns if batch_started <= t.started <= batch_end]
    while_moving = [t for t in during if t.started <= moves_done]
    after_moving = [t for t in during if t.started > moves_done]
    accepted_sends = stack.telegram.accepted_send_times
    violations = stack.telegram.rate_violations
    with stack.engine.connect() as conn:
        states = dict(
            conn.execute(
                text("SELECT state, count(*) FROM notifier_deliveries GROUP BY state")
            ).all()
        )

    _, base_p95 = percentiles([t.seconds for t in baseline if t.seconds is not None])
    _, during_p95 = percentiles([t.seconds for t in during if t.seconds is not None])
    ratio = during_p95 / base_p95 if base_p95 else float("inf")
    no_reply = sum(1 for t in baseline + during if t.seconds is None)

    if plan.live:
        print(
            f"status changes posted: {plan.updates} in {move_seconds:.1f} s "
            f"({plan.updates / move_seconds:.0f}/s), during the batch"
        )
    print(f"notifications delivered: {delivered} to {len(counts)} of {plan.updates} citizens")
    print(
        f"  achieved rate: {achieved:.2f}/s over {span:.1f} s (first to last accepted), "
        f"limit {plan.rate}/s"
    )
    print(
        f"  peak accepted sends in any 1 s (all messages): {peak_in_window(accepted_sends)}; "
        f"sendMessage refused: {watch.refused}; unexpected messages: {watch.stray}"
    )
    print(f"  gateway delivery records: {dict(sorted(states.items()))}")
    print("conversation turns (webhook update -> reply accepted by the fake):")
    print(latency_line("without the batch (baseline)", baseline))
    print(latency_line("during the batch", during))
    if plan.live:
        print(latency_line("  while status changes were posted", while_moving))
        print(latency_line("  after the status changes", after_moving))
    checks = [
        (
            f"achieved rate >= {RATE_TARGET * plan.rate:.1f}/s",
            f"{achieved:.2f}/s",
            achieved >= RATE_TARGET * plan.rate,
        ),
        ("limit violations == 0", str(violations), violations == 0),
        ("losses == 0", str(losses), losses == 0),
        ("duplicates == 0", str(duplicates), duplicates == 0),
        (
            f"turn p95 during <= {1 + LATENCY_TARGET:.1f} x baseline",
            f"{during_p95:.1f} / {base_p95:.1f} ms = {ratio:.2f} x",
            ratio <= 1 + LATENCY_TARGET and no_reply == 0,
        ),
    ]
    if plan.dump is not None:
        origin = times[0] if times else 0.0
        plan.dump.write_text(
            json.dumps(
                {
                    "notifications": [t - origin for t in times],
                    "accepted_sends": accepted_sends,
                    "turns": [[t.started - origin, t.seconds] for t in chatters.turns],
                    "batch_started": batch_started - origin,
                    "moves_done": moves_done - origin,
                    "send_message": [
                        [r.at - origin, r.status, r.params.get("chat_id") in notified]
                        for r in stack.telegram.requests("sendMessage")
                    ],
                }
            )
        )
    print("targets:")
    for name, value, ok in checks:
        print(f"  {verdict(ok)}  {name:<36} {value}")
    return all(ok for _, _, ok in checks)


# -- processes and clean-up ----------------------------------------------------------------------


@contextmanager
def pg_schema(url: str) -> Iterator[tuple[str, Engine]]:
    """A throw-away schema: (a URL using it, an engine on it); dropped at the end."""
    schema = f"nbench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, future=True)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    schema_url = f"{url}{separator}options=-csearch_path%3D{schema}"
    engine = create_engine(schema_url, future=True)
    try:
        yield schema_url, engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def clean_redis(client: redis.Redis[str], streams: list[str], namespace: str, chats: range) -> int:
    """Delete this run's streams and the gateway's keys for its bot and chats."""
    keys = sorted(set(streams))
    keys += client.scan_iter(match=f"lapor:gateway:telegram:{namespace}:*", count=1000)
    for pattern in ("lapor:ratelimit:telegram:chat:*", "lapor:gateway:unreachable:telegram:*"):
        for key in client.scan_iter(match=pattern, count=1000):
            tail = key.rsplit(":", 1)[-1]
            if tail.lstrip("-").isdigit() and int(tail) in chats:
                keys.append(key)
    deleted = 0
    for start in range(0, len(keys), 500):
        deleted += int(client.delete(*keys[start : start + 500]))
    return deleted


def run(plan: Plan) -> bool:
    """Start everything, run the benchmark, stop and clean up."""
    os.chdir(ROOT)
    logs = Path(tempfile.mkdtemp(prefix="notifier-bench-"))
    run_id = uuid.uuid4().hex[:10]
    gateway_stream = f"bench:events:{run_id}"
    backend_stream = gateway_stream if plan.live else f"bench:staged:{run_id}"
    client: redis.Redis[str] = redis.Redis.from_url(plan.redis_url, decode_responses=True)
    client.ping()
    token = f"{random.randint(10**9, 10**10)}:BENCH-{secrets.token_hex(8)}"
    processes = []
    first_chat = random.randint(10**9, 2 * 10**9)
    # The notified citizens, and below them the chatting ones.
    chats = range(first_chat - plan.chatters, first_chat + plan.updates)
    ok = False
    with pg_schema(plan.database_url) as (database_url, engine):
        try:
            port = free_port()
            backend_env = {
                "DATA_DIR": str(logs),
                "DATABASE_URL": database_url,
                "BACKEND_PORT": str(port),
                "BACKEND_API_TOKEN": SERVICE_TOKEN,
                "BACKEND_SECRET_KEY": secrets.token_urlsafe(24),
                "REDIS_URL": plan.redis_url,
                "EVENTS_STREAM": backend_stream,
                "LOG_LEVEL": "WARNING",
                "DB_POOL_SIZE": str(plan.concurrency),
            }
            backend = start_process(["-m", "backend", "serve"], backend_env, logs / "backend.log")
            processes.append(backend)
            backend_url = f"http://127.0.0.1:{port}"
            wait_healthy(f"{backend_url}/health", backend, 60, logs / "backend.log")
            with (
                FakeTelegramAPI(token=token, rate_limit=plan.rate) as telegram,
                FakeRasa() as rasa,
            ):
                gateway_urls = []
                # With --split, one more process runs the notifier, the others none.
                for n in range(plan.gateways + plan.split):
                    notifier = not plan.split or n == plan.gateways
                    gateway_port = free_port()
                    env = {
                        "DATA_DIR": str(logs),
                        "GATEWAY_DATABASE_URL": database_url,
                        "GATEWAY_INSTANCE": f"bench-gateway-{n}",
                        "GATEWAY_PORT": str(gateway_port),
                        "TELEGRAM_BOT_TOKEN": token,
                        "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
                        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                        "TELEGRAM_API_BASE_URL": telegram.base_url,
                        "TELEGRAM_MESSAGES_PER_SECOND": str(plan.rate),
                        "RASA_URL": rasa.base_url,
                        "RASA_API_TOKEN": rasa.api_token,
                        "BACKEND_URL": backend_url,
                        "BACKEND_API_TOKEN": SERVICE_TOKEN,
                        "REDIS_URL": plan.redis_url,
                        "EVENTS_STREAM": gateway_stream,
                        "NOTIFIER_ENABLED": "true" if notifier else "false",
                        "NOTIFIER_PROCESS": "false" if plan.in_process else "true",
                    }
                    log = logs / f"gateway-{n}.log"
                    gateway = start_process(["-m", "bot"], env, log)
                    processes.append(gateway)
                    url = f"http://127.0.0.1:{gateway_port}"
                    wait_healthy(f"{url}/health", gateway, 60, log)
                    if n < plan.gateways:  # where the citizens chat
                        gateway_urls.append(url)
                print(
                    f"Notifier benchmark on {os.cpu_count()} cores: {plan.updates} status updates, "
                    f"fake Bot API enforcing {plan.rate} messages/s, {plan.gateways} gateway "
                    f"process(es){' + 1 for the notifier' if plan.split else ''} "
                    f"(notifier {'in the gateway' if plan.in_process else 'in its own process'}), "
                    f"{plan.chatters} citizens chatting at "
                    f"{plan.turns_per_second:g} turns/s in all, "
                    f"{'live' if plan.live else 'staged'} batch (logs: {logs})"
                )
                stack = Stack(
                    telegram,
                    rasa,
                    backend_url,
                    gateway_urls,
                    backend_stream,
                    gateway_stream,
                    engine,
                    client,
                    first_chat,
                )
                ok = asyncio.run(bench(plan, stack))
        finally:
            for process in reversed(processes):
                stop_process(process)
            deleted = clean_redis(
                client, [backend_stream, gateway_stream], token.split(":", 1)[0], chats
            )
            client.close()
            print(f"cleaned up: PostgreSQL schema dropped, {deleted} Redis keys deleted")
    return ok


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--updates", type=int, default=5000, help="status updates (citizens)")
    parser.add_argument("--rate", type=int, default=30, help="the fake's limit, messages/s")
    parser.add_argument("--quick", action="store_true", help="300 updates, 10 s baseline")
    parser.add_argument("--chatters", type=int, default=4, help="citizens chatting meanwhile")
    parser.add_argument(
        "--turns-per-second",
        type=float,
        default=1.0,
        help="all chatters together (1: each of 4 writes every 4 s, faster than people type; "
        "the replies take room in the same 30/s the updates need 27/s of)",
    )
    parser.add_argument(
        "--baseline-seconds",
        type=float,
        default=180.0,
        help="chatting without the batch; as long as a 5,000-update batch lasts, so that "
        "both p95s rest on about as many turns",
    )
    parser.add_argument("--concurrency", type=int, default=16, help="backend clients")
    parser.add_argument(
        "--move-rate", type=float, default=0.0, help="status changes/s (0: as fast as possible)"
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="post the status changes while the notifier delivers (not before the batch)",
    )
    parser.add_argument("--gateways", type=int, default=1, help="gateway processes")
    parser.add_argument(
        "--split",
        action="store_true",
        help="run the notifier in a gateway process of its own (NOTIFIER_ENABLED=false "
        "on the ones the citizens chat with)",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="NOTIFIER_PROCESS=false: the notifier in the gateway's own event loop",
    )
    parser.add_argument("--dump", type=Path, help="write the raw timings here (JSON)")
    parser.add_argument("--settle-seconds", type=float, default=5.0)
    parser.add_argument("--stall-seconds", type=float, default=60.0)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    args = parser.parse_args()
    if args.quick:
        args.updates = min(args.updates, 300)
        args.baseline_seconds = min(args.baseline_seconds, 10.0)
    plan = Plan(
        updates=args.updates,
        rate=args.rate,
        chatters=args.chatters,
        turns_per_second=args.turns_per_second,
        baseline_seconds=args.baseline_seconds,
        concurrency=args.concurrency,
        move_rate=args.move_rate,
        gateways=args.gateways,
        settle_seconds=args.settle_seconds,
        stall_seconds=args.stall_seconds,
        database_url=args.database_url,
        redis_url=args.redis_url,
        dump=args.dump,
        live=args.live,
        split=args.split,
        in_process=args.in_process,
    )
    started = time.perf_counter()
    ok = run(plan)
    print(f"overall: {verdict(ok)} in {time.perf_counter() - started:.0f} s")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
