"""The admin console in a real (headless) Chromium, against real processes.

One stack for the whole package: the backend as a process on a fresh PostgreSQL schema
with a Redis stream of its own, a gateway process whose notifier sends to the fake
Telegram server, an administrator and a DLHK officer made with the backend's own
commands, and a few reports filed from Telegram chats through the API. The stack comes
from `tests/gateway/test_notifier_end_to_end.py` (`running_stack`), so both suites
isolate their database and stream the same way.

Playwright drives the SYSTEM Chromium (Debian's package; nothing is downloaded). Each test
gets a fresh browser context (no cookies), so tests do not depend on one another.

For the conversation and dashboard pages: the backend reads Rasa's tracker store from
`tracker_database_url` (a fresh SQLite file); the `conversations` fixture writes four
recent conversations there with Rasa's own `SQLTrackerStore` (see `tracker_seed`).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    ViewportSize,
    sync_playwright,
)
from sqlalchemy import create_engine, text

from tests.browser.console_pages import (
    CITIZEN_PHONE,
    DESKTOP,
    PHONE,
    REPO_ROOT,
    Account,
    FiledReport,
    PageFactory,
    SeededReports,
)
from tests.browser.tracker_seed import SeededConversations, write_conversations
from tests.conftest import IN_CI, POSTGRES_URL, REDIS_URL
from tests.gateway.test_notifier_end_to_end import Stack, running_stack

PASSWORD = "Konsol-uji-2026!"
ADMIN = Account("admin-browser", PASSWORD, "admin")
OFFICER = Account("dlhk-browser", PASSWORD, "officer", "DLHK")


def chromium_executable() -> str:
    """The system Chromium, or a failed test saying how to install it (never a skip)."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if Path(path).is_file() and os.access(path, os.X_OK):
        return path
    hint = "run scripts/install_chromium.sh (or `make browser`) to install Debian's chromium"
    if IN_CI:
        pytest.fail(f"Chromium is missing in CI: {hint}", pytrace=False)
    pytest.fail(f"The browser tests need Chromium at {path}: {hint}", pytrace=False)


def _require_services() -> None:
    """PostgreSQL and Redis must be there: these tests fail without them, never skip."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is unreachable: {exc}", pytrace=False)
    engine = create_engine(POSTGRES_URL, future=True)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means no usable server
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}", pytrace=False)
    finally:
        engine.dispose()


@pytest.fixture(scope="package")
def console_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The backend's and gateway's data directory (logs included)."""
    return tmp_path_factory.mktemp("console-browser")


@pytest.fixture(scope="package")
def tracker_database_url(console_data_dir: Path) -> str:
    """Rasa's tracker store as the backend reads it: a fresh SQLite file of its own."""
    return f"sqlite:///{console_data_dir / 'tracker.db'}"


@pytest.fixture(scope="package")
def console_stack(console_data_dir: Path, tracker_database_url: str) -> Iterator[Stack]:
    """Backend (plain-HTTP cookies, own PG schema and stream) and a running gateway."""
    _require_services()
    with (
        running_stack(
            console_data_dir,
            CONSOLE_COOKIE_SECURE="false",  # the browser talks plain HTTP to 127.0.0.1
            TRACKER_DATABASE_URL=tracker_database_url,
        ) as stack,
        stack.gateway("browser-gateway"),
    ):
        yield stack


@pytest.fixture(scope="package")
def backend_url(console_stack: Stack) -> str:
    """`http://127.0.0.1:PORT` of the backend (the console is under /admin)."""
    return console_stack.backend_url


def _backend_command(stack: Stack, *args: str, env: dict[str, str] | None = None) -> None:
    """Run `python -m backend ARGS` against the stack's database; fail with its output."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "backend", *args],
        env={**os.environ, **stack.backend_env, **(env or {})},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"backend {' '.join(args)} failed:\n{result.stderr[-3000:]}"


@pytest.fixture(scope="package")
def accounts(console_stack: Stack) -> dict[str, Account]:
    """An administrator and a DLHK officer, made with the commands operators use."""
    password = {"NEW_USER_PASSWORD": PASSWORD}
    _backend_command(console_stack, "create-admin", ADMIN.username, env=password)
    _backend_command(
        console_stack,
        "create-user",
        OFFICER.username,
        "--role",
        "officer",
        "--agency",
        str(OFFICER.agency),
        env=password,
    )
    return {"admin": ADMIN, "officer": OFFICER}


@pytest.fixture(scope="package")
def admin(accounts: dict[str, Account]) -> Account:
    """The administrator."""
    return accounts["admin"]


@pytest.fixture(scope="package")
def officer(accounts: dict[str, Account]) -> Account:
    """The DLHK officer (sees waste and pollution reports only)."""
    return accounts["officer"]


def _file(
    stack: Stack,
    chat: int,
    category: str,
    description: str,
    kecamatan: str,
    phone: str | None = None,
) -> FiledReport:
    reporter: dict[str, Any] = {"name": "Siti Aminah", "chat_id": f"telegram:{chat}"}
    if phone:
        reporter["phone"] = phone
    body = {
        "report_type": "complaint",
        "category": category,
        "description": description,
        "location": {"text": f"Dekat kantor kecamatan {kecamatan}", "kecamatan": kecamatan},
        "privacy": "public",
        "channel": "telegram",
        "reporter": reporter,
    }
    response = stack.api("POST", "/api/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    return FiledReport(str(response.json()["tracking_id"]), chat, category, description)


@pytest.fixture(scope="package")
def reports(console_stack: Stack) -> SeededReports:
    """Five reports from Telegram chats in different states and deadlines."""
    stack = console_stack
    seeded = SeededReports(
        for_officer=_file(
            stack,
            7101,
            "sampah",
            "Sampah menumpuk di depan sekolah dasar, sudah tiga hari tidak diangkut.",
            "Pasar Kemis",
            phone=CITIZEN_PHONE,
        ),
        road=_file(
            stack,
            7102,
            "jalan_jembatan",
            "Jalan berlubang besar di depan pasar, motor sering jatuh saat hujan.",
            "Cikupa",
        ),
        verified=_file(
            stack,
            7103,
            "sampah",
            "Tempat pembuangan sampah liar di pinggir kali dekat perumahan.",
            "Balaraja",
        ),
        overdue=_file(
            stack,
            7104,
            "banjir_drainase",
            "Saluran air tersumbat sehingga jalan kampung banjir setiap hujan deras.",
            "Curug",
        ),
        rejected=_file(
            stack,
            7105,
            "pencemaran",
            "Asap pembakaran dari pabrik di sebelah rumah warga setiap malam.",
            "Cisauk",
        ),
    )
    stack.move(seeded.verified.tracking_id, "verified", "Diteruskan ke DLHK.")
    stack.move(seeded.rejected.tracking_id, "rejected", "Lokasi di luar Kabupaten Tangerang.")
    # The verification deadline of `overdue` passed ten days ago.
    engine = create_engine(stack.backend_env["DATABASE_URL"], future=True)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE reports SET verify_due = :due WHERE tracking_id = :tid"),
                {"due": dt.date.today() - dt.timedelta(days=10), "tid": seeded.overdue.tracking_id},
            )
    finally:
        engine.dispose()
    return seeded


@pytest.fixture(scope="package")
def conversations(
    console_stack: Stack, tracker_database_url: str, reports: SeededReports
) -> SeededConversations:
    """Four recent conversations in Rasa's tracker store; the Telegram one filed
    `reports.for_officer` (the console indexes them when a page asks)."""
    return write_conversations(tracker_database_url, reports)


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright's sync API (its own loop: tests using it must be plain sync tests)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def chromium(playwright_driver: Playwright) -> Iterator[Browser]:
    """The system Chromium, headless."""
    browser = playwright_driver.chromium.launch(
        executable_path=chromium_executable(), headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def new_page(chromium: Browser, backend_url: str) -> Iterator[PageFactory]:
    """Make pages in fresh contexts (no cookies), Indonesian, at a given viewport size.

    Fails the test if a page logs a JavaScript error or a CSP violation, or if a resource
    it loads (stylesheet, image, icon) fails.
    """
    contexts = []
    problems: list[str] = []

    def make(viewport: ViewportSize) -> Page:
        context = chromium.new_context(
            base_url=backend_url,
            viewport=viewport,
            locale="id-ID",
            is_mobile=viewport["width"] < 600,
            has_touch=viewport["width"] < 600,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()

        def on_console(message: ConsoleMessage) -> None:
            if message.type != "error":
                return
            failed_load = message.text.startswith("Failed to load resource")
            if failed_load and message.location.get("url") == page.url:
                return  # the page itself, e.g. the 401 after a wrong password: tests judge it
            problems.append(f"{page.url}: {message.text} ({message.location.get('url')})")

        def on_response(response: Response) -> None:
            if response.status >= 400 and response.request.resource_type != "document":
                problems.append(f"{response.status} for {response.url} on {page.url}")

        page.on("console", on_console)
        page.on("response", on_response)
        page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "the browser reported errors:\n" + "\n".join(problems)


@pytest.fixture
def page(new_page: PageFactory) -> Page:
    """A desktop-sized page (1280x900)."""
    return new_page(DESKTOP)


@pytest.fixture
def phone_page(new_page: PageFactory) -> Page:
    """A phone-sized page (390x844, touch)."""
    return new_page(PHONE)
