"""The embedded default under load: the `make run` stack on SQLite, and the same on PostgreSQL.

What a small deployment meets on a busy morning, for `--seconds` (default 120):

- 8 API clients file reports (`POST /api/v1/complaints` with the service token and an
  `Idempotency-Key`; a 503 is retried after its `Retry-After` with the same key);
- 8 clients change each filed report's status to `verified`;
- the gateway's notifier reads the backend's events feed (no Redis: the embedded
  transport) and tells each reporter on the fake Telegram Bot API;
- an admin browses the console: dashboard, conversation list, a conversation, reports,
  while Rasa's own tracker store code writes conversations into `tracker.db`;
- `/health` is asked every 0.2 s and must answer within 1 s.

Afterwards every filed report and every status change must be in the backend, and every
status update delivered exactly once; no response may be a 500. The figures (creates/s,
status changes/s, p50/p95 of each, console pages, health) are printed per database, side
by side. `tests/backend/test_embedded_load.py` runs a 30 s version in CI.

Usage: python -m benchmarks.embedded_load [--seconds 120] [--postgres URL | --sqlite-only]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import queue
import re
import secrets
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from benchmarks.backend_bench import report_body
from benchmarks.harness import free_port, start_process, stop_process, summarise, wait_healthy
from tests.fakes.rasa_rest import FakeRasa
from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parent.parent
SERVICE_TOKEN = "load-" + secrets.token_hex(16)
BOT_TOKEN = f"{secrets.randbelow(10**9) + 10**9}:LOAD-{secrets.token_hex(8)}"
ADMIN, ADMIN_PASSWORD = "load-admin", "Load-" + secrets.token_hex(12)
WEBHOOK_SECRET = secrets.token_hex(16)
HEALTH_LIMIT = 1.0
FIRST_CHAT = 800_000_000


@dataclass(frozen=True)
class Plan:
    """One run: how long, how many clients, on which database."""

    seconds: float = 120.0
    creators: int = 8
    changers: int = 8
    database_url: str = ""  # "" = the embedded SQLite default
    drain_seconds: float = 30.0  # the longest wait with no delivery before giving up

    @property
    def label(self) -> str:
        """`SQLite` or `PostgreSQL`."""
        return "PostgreSQL" if self.database_url else "SQLite"


@dataclass
class Result:
    """What happened, and what the checks found."""

    plan: Plan
    seconds: float = 0.0
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    create_latencies: list[float] = field(default_factory=list)
    change_latencies: list[float] = field(default_factory=list)
    page_latencies: list[float] = field(default_factory=list)
    health_latencies: list[float] = field(default_factory=list)
    health_failures: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    busy_retries: int = 0
    tracker_turns: int = 0
    drain_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        """Responses 500 or above other than 503 (busy, with Retry-After)."""
        return sum(n for code, n in self.statuses.items() if code.startswith("5") and code != "503")

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return not self.problems

    def check_health(self) -> None:
        """Every health check answered 200 within the limit."""
        if self.health_failures:
            self.problems.append(
                f"/health failed {len(self.health_failures)} times: "
                f"{Counter(self.health_failures).most_common(3)}"
            )
        if not self.health_latencies:
            self.problems.append("/health was never answered")

    def lines(self) -> list[str]:
        """The figures, printable."""
        out = [
            f"--- {self.plan.label}: {self.seconds:.0f} s, {self.plan.creators} filing + "
            f"{self.plan.changers} changing clients, notifier, console, Rasa tracker writer"
        ]
        for name, values in (
            ("create report", self.create_latencies),
            ("change status", self.change_latencies),
            ("console page", self.page_latencies),
            ("GET /health", self.health_latencies),
        ):
            if len(values) >= 2:
                out.append("  " + summarise(name, values, self.seconds).line())
        out.append(
            f"  sustained: {len(self.created) / self.seconds:.1f} creates/s, "
            f"{len(self.changed) / self.seconds:.1f} status changes/s; "
            f"503 retried {self.busy_retries}, server errors {self.server_errors}, "
            f"health failures {len(self.health_failures)}, tracker turns written "
            f"{self.tracker_turns}"
        )
        told = self.seconds + self.drain_seconds
        out.append(
            f"  notifier: {len(self.changed)} updates told in {told:.0f} s "
            f"({len(self.changed) / told:.1f}/s; Telegram allows 30/s), "
            f"{self.drain_seconds:.0f} s after the load stopped"
        )
        out.append(f"  responses: {dict(sorted(self.statuses.items()))}")
        out.append("  checks: " + ("all passed" if self.ok else "; ".join(self.problems)))
        return out


class Load:
    """The clients of one run, sharing its result."""

    def __init__(self, plan: Plan, backend_url: str, telegram: FakeTelegramAPI) -> None:
        self.plan = plan
        self.result = Result(plan)
        self.backend_url = backend_url
        self.telegram = telegram
        self.filed: asyncio.Queue[tuple[str, int] | None] = asyncio.Queue()
        self.chat_of: dict[str, int] = {}
        self.deadline = 0.0

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.backend_url,
            headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
            timeout=httpx.Timeout(30.0),
        )

    def _count(self, response: httpx.Response) -> None:
        self.result.statuses[str(response.status_code)] += 1

    async def _send(
        self, client: httpx.AsyncClient, method: str, url: str, **kw: object
    ) -> httpx.Response:
        """One request, retried after `Retry-After` while the backend says it is busy."""
        while True:
            response = await client.request(method, url, **kw)  # type: ignore[arg-type]
            self._count(response)
            if response.status_code != 503:
                return response
            self.result.busy_retries += 1
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))

    async def creator(self, worker: int) -> None:
        """File reports until the deadline."""
        async with self._client() as client:
            n = worker
            while time.monotonic() < self.deadline:
                chat = FIRST_CHAT + n
                body = report_body(n)
                body["reporter"] = {"name": "Warga Uji", "chat_id": f"telegram:{chat}"}
                started = time.monotonic()
                response = await self._send(
                    client,
                    "POST",
                    "/api/v1/complaints",
                    json=body,
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
                if response.status_code == 201:
                    self.result.create_latencies.append(time.monotonic() - started)
                    tracking_id = response.json()["tracking_id"]
                    self.result.created.append(tracking_id)
                    self.chat_of[tracking_id] = chat
                    await self.filed.put((tracking_id, chat))
                else:
                    self.result.problems.append(f"create answered {response.status_code}")
                n += self.plan.creators

    async def changer(self) -> None:
        """Verify filed reports until the creators are done (a `None` in the queue).

        A creator's last request may end after the deadline: its report is verified too,
        so every filed report is changed once.
        """
        async with self._client() as client:
            while (item := await self.filed.get()) is not None:
                tracking_id, _chat = item
                started = time.monotonic()
                response = await self._send(
                    client,
                    "POST",
                    f"/api/v1/complaints/{tracking_id}/status",
                    json={"status": "verified", "note": "Diteruskan ke dinas terkait."},
                )
                if response.status_code == 200:
                    self.result.change_latencies.append(time.monotonic() - started)
                    self.result.changed.append(tracking_id)
                else:
                    self.result.problems.append(f"status change answered {response.status_code}")

    async def admin(self) -> None:
        """Log in to the console and browse it until the deadline."""
        async with httpx.AsyncClient(base_url=self.backend_url, timeout=30.0) as browser:
            form = await browser.get("/admin/login")
            match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            if match is None:
                self.result.problems.append("console login form has no CSRF token")
                return
            login = await browser.post(
                "/admin/login",
                data={"username": ADMIN, "password": ADMIN_PASSWORD, "csrf_token": match[1]},
            )
            if login.status_code != 303:
                self.result.problems.append(f"console login answered {login.status_code}")
                return
            pages = ["/admin/dashboard", "/admin/conversations", "/admin/reports"]
            while time.monotonic() < self.deadline:
                for page in list(pages):
                    started = time.monotonic()
                    response = await browser.get(page)
                    self._count(response)
                    if response.status_code == 200:
                        self.result.page_latencies.append(time.monotonic() - started)
                    elif response.status_code != 503:
                        self.result.problems.append(f"{page} answered {response.status_code}")
                    if page == "/admin/conversations":
                        found = re.search(r'href="(/admin/conversations/\d+)"', response.text)
                        if found and len(pages) == 3:
                            pages.append(found[1])

    async def _create_then_stop_changers(self) -> None:
        """Run the creators; when all are done, tell each changer to stop."""
        try:
            await asyncio.gather(*(self.creator(n) for n in range(self.plan.creators)))
        finally:
            for _ in range(self.plan.changers):
                self.filed.put_nowait(None)

    async def run(self) -> Result:
        """Run the clients, then wait for the notifier and check everything."""
        started = time.monotonic()
        self.deadline = started + self.plan.seconds
        await asyncio.gather(
            self._create_then_stop_changers(),
            *(self.changer() for _ in range(self.plan.changers)),
            self.admin(),
        )
        self.result.seconds = time.monotonic() - started
        await self._wait_for_notifications()
        await self._check()
        return self.result

    def _sent_by_chat(self) -> Counter[int]:
        sent: Counter[int] = Counter()
        for request in self.telegram.requests("sendMessage"):
            if request.ok:
                sent[int(request.params["chat_id"])] += 1
        return sent

    async def _wait_for_notifications(self) -> None:
        """Wait until every reporter was told, while deliveries keep coming.

        Telegram allows 30 messages/s, so a long run leaves a backlog that takes a while;
        the wait ends when all are told, or when none was sent for `drain_seconds`.
        """
        expected = {self.chat_of[t] for t in self.result.changed}
        started = last_progress = time.monotonic()
        told = 0
        while time.monotonic() - last_progress < self.plan.drain_seconds:
            sent = set(self._sent_by_chat())
            if expected <= sent:
                await asyncio.sleep(3)  # a duplicate would come now
                break
            if len(sent) > told:
                told, last_progress = len(sent), time.monotonic()
            await asyncio.sleep(0.5)
        self.result.drain_seconds = time.monotonic() - started

    async def _check(self) -> None:
        result = self.result
        if result.server_errors:
            result.problems.append(f"{result.server_errors} server errors")
        if not result.created or not result.changed:
            result.problems.append("nothing was filed or changed")
        async with self._client() as client:
            by_status: Counter[str] = Counter()
            for status in ("received", "verified"):
                page = await client.get(
                    "/api/v1/complaints", params={"status": status, "per_page": 1}
                )
                by_status[status] = int(page.json()["total"])
            for tracking_id in result.changed[:: max(1, len(result.changed) // 50)]:
                report = (await client.get(f"/api/v1/complaints/{tracking_id}")).json()
                if [h["status"] for h in report["history"]] != ["received", "verified"]:
                    result.problems.append(f"{tracking_id} history is {report['history']}")
        unchanged = len(result.created) - len(result.changed)
        if by_status != Counter({"received": unchanged, "verified": len(result.changed)}):
            result.problems.append(
                f"backend holds {dict(by_status)}; filed {len(result.created)}, "
                f"changed {len(result.changed)}"
            )
        sent = self._sent_by_chat()
        expected = {self.chat_of[t] for t in result.changed}
        missing = expected - set(sent)
        twice = [chat for chat, n in sent.items() if n > 1]
        if missing:
            result.problems.append(f"{len(missing)} status updates never delivered")
        if twice:
            result.problems.append(f"{len(twice)} citizens told twice")
        if set(sent) - expected:
            result.problems.append(f"{len(set(sent) - expected)} unexpected messages")


def probe_health(url: str, stop: EventType, out: Queue[tuple[float | None, str]]) -> None:
    """In a process of its own: ask `url` every 0.2 s until `stop`; put (seconds, error)."""
    with httpx.Client() as client:
        while not stop.is_set():
            started = time.monotonic()
            try:
                response = client.get(url, timeout=HEALTH_LIMIT)
                error = "" if response.status_code == 200 else f"HTTP {response.status_code}"
                out.put((time.monotonic() - started, error))
            except httpx.HTTPError as exc:
                out.put((None, type(exc).__name__))
            stop.wait(0.2)


def write_tracker(url: str, stop: EventType, out: Queue[tuple[int, list[str]]]) -> None:
    """In a process of its own: Rasa's `SQLTrackerStore` appends turns to `url` until
    `stop`, as the Rasa server does; puts (turns written, errors)."""
    asyncio.run(_write_tracker(url, stop, out))


async def _write_tracker(url: str, stop: EventType, out: Queue[tuple[int, list[str]]]) -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_runtime import patches

    patches.apply()  # the tracker store as the Rasa server runs it (`python -m rasa_runtime`)
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = SQLTrackerStore(domain=domain, dialect="sqlite", db=url.removeprefix("sqlite:///"))
    turns, errors, n = 0, [], 0
    try:
        while not stop.is_set():
            sender = f"telegram:{FIRST_CHAT - 1 - n % 40}"
            try:
                tracker = await store.retrieve(sender) or DialogueStateTracker(sender, domain.slots)
                for event in (
                    UserUttered("jalan rusak pak", {"name": "report_problem", "confidence": 0.9}),
                    ActionExecuted("utter_ask_complaint_location"),
                    BotUttered("Di mana lokasinya?", metadata={"utter_action": "x"}),
                    ActionExecuted("action_listen"),
                ):
                    tracker.update(event, domain)
                await store.save(tracker)
                turns += 1
            except (SQLAlchemyError, OSError, ValueError) as exc:  # reported: the run fails
                errors.append(f"{type(exc).__name__}: {exc}")
            n += 1
            await asyncio.sleep(0.05)
    finally:
        store.engine.dispose()
        out.put((turns, errors[:5]))


@contextlib.contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A throw-away schema on PostgreSQL; yields a URL whose connections use it."""
    schema = f"load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, future=True)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run(plan: Plan, keep_logs: bool = False) -> Result:
    """Start the stack on `plan`'s database, load it, stop it; the result has the checks."""
    with contextlib.ExitStack() as stack:
        data_dir = Path(tempfile.mkdtemp(prefix="embedded-load-"))
        database_url = plan.database_url
        if database_url:
            database_url = stack.enter_context(postgres_schema(database_url))
        return _run_in(plan, data_dir, database_url)


def _run_in(plan: Plan, data_dir: Path, database_url: str) -> Result:
    backend_port, gateway_port = free_port(), free_port()
    backend_url = f"http://127.0.0.1:{backend_port}"
    common = {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "BACKEND_API_TOKEN": SERVICE_TOKEN,
        "BACKEND_SECRET_KEY": secrets.token_urlsafe(24),
        "LOG_LEVEL": "WARNING",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
    os.chdir(ROOT)
    admin = start_process(
        ["-m", "backend", "create-admin", ADMIN],
        {**common, "NEW_USER_PASSWORD": ADMIN_PASSWORD},
        data_dir / "create-admin.log",
    )
    if admin.wait(timeout=120) != 0:
        raise RuntimeError((data_dir / "create-admin.log").read_text())
    processes = []
    spawn = multiprocessing.get_context("spawn")
    stop = spawn.Event()
    health_out: Queue[tuple[float | None, str]] = spawn.Queue()
    tracker_out: Queue[tuple[int, list[str]]] = spawn.Queue()
    helpers: list[BaseProcess] = []
    try:
        backend_env = {
            **common,
            "BACKEND_PORT": str(backend_port),
            "CONSOLE_COOKIE_SECURE": "false",
        }
        backend = start_process(["-m", "backend", "serve"], backend_env, data_dir / "backend.log")
        processes.append(backend)
        wait_healthy(f"{backend_url}/health", backend, 60, data_dir / "backend.log")
        with FakeTelegramAPI(token=BOT_TOKEN) as telegram, FakeRasa() as rasa:
            gateway_env = {
                **common,
                "GATEWAY_PORT": str(gateway_port),
                "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
                "TELEGRAM_WEBHOOK_URL": "https://bot.example.test/telegram/webhook",
                "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "RASA_URL": rasa.base_url,
                "RASA_API_TOKEN": rasa.api_token,
                "BACKEND_URL": backend_url,
            }
            gateway = start_process(["-m", "bot"], gateway_env, data_dir / "gateway.log")
            processes.append(gateway)
            wait_healthy(
                f"http://127.0.0.1:{gateway_port}/health", gateway, 60, data_dir / "gateway.log"
            )
            tracker_url = f"sqlite:///{data_dir / 'tracker.db'}"
            helpers = [
                spawn.Process(
                    target=probe_health, args=(f"{backend_url}/health", stop, health_out)
                ),
                spawn.Process(target=write_tracker, args=(tracker_url, stop, tracker_out)),
            ]
            for helper in helpers:
                helper.start()
            result = asyncio.run(Load(plan, backend_url, telegram).run())
            stop.set()
            result.tracker_turns, tracker_errors = tracker_out.get(timeout=60)
            if tracker_errors:
                result.problems.append(f"Rasa's tracker store failed: {tracker_errors}")
            while not health_out.empty() or any(h.is_alive() for h in helpers[:1]):
                with contextlib.suppress(queue.Empty):
                    took, error = health_out.get(timeout=0.5)
                    if took is not None:
                        result.health_latencies.append(took)
                    if error:
                        result.health_failures.append(error)
            result.check_health()
            for name in ("backend.log", "gateway.log"):
                log = (data_dir / name).read_text(errors="replace")
                if "Traceback" in log:
                    result.problems.append(f"{name} has a traceback (see {data_dir / name})")
            return result
    finally:
        stop.set()
        for helper in helpers:
            helper.join(timeout=30)
        for process in reversed(processes):
            stop_process(process)


def main() -> None:
    """Parse the options, run on SQLite and PostgreSQL, print both side by side."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    plans = [Plan(seconds=args.seconds)]
    if not args.sqlite_only:
        plans.append(Plan(seconds=args.seconds, database_url=args.postgres))
    results = [run(plan) for plan in plans]
    print(f"Embedded-default load test on {os.cpu_count()} cores")
    for result in results:
        print("\n".join(result.lines()))
    if not all(r.ok for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
