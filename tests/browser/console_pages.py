"""What the browser tests do on console pages: log in, measure the layout, take screenshots."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page, ViewportSize, expect

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Screenshots of the main pages, kept after the run for people to look at (not committed).
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
#: The phone number of the reporter of `SeededReports.for_officer` (masked for officers).
CITIZEN_PHONE = "+6281234567890"
#: Makes a page in a fresh browser context at a viewport size (the `new_page` fixture).
PageFactory = Callable[[ViewportSize], Page]


@dataclass(frozen=True)
class Account:
    """A console user the fixtures created."""

    username: str
    password: str
    role: str
    agency: str | None = None


@dataclass(frozen=True)
class FiledReport:
    """A report the fixtures filed from a Telegram chat."""

    tracking_id: str
    chat: int
    category: str
    description: str


@dataclass(frozen=True)
class SeededReports:
    """The reports every browser test can count on (tests change only `for_officer`)."""

    for_officer: FiledReport  # sampah (DLHK), received, reporter with a phone number
    road: FiledReport  # jalan_jembatan (DBMSDA), received: due in a few working days
    verified: FiledReport  # sampah, moved to verified before the tests
    overdue: FiledReport  # banjir_drainase (DBMSDA), received, verification deadline past
    rejected: FiledReport  # pencemaran (DLHK), rejected: no deadline any more

    def all(self) -> list[FiledReport]:
        """Every seeded report."""
        return [self.for_officer, self.road, self.verified, self.overdue, self.rejected]


def fill_login(page: Page, username: str, password: str) -> None:
    """Fill in the (Indonesian) login form and send it."""
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def login(page: Page, account: Account) -> None:
    """Log in through the form; the browser ends on the reports list."""
    page.goto("/admin/login")
    fill_login(page, account.username, account.password)
    expect(page).to_have_url(re.compile(r"/admin/reports$"))


def report_row(page: Page, tracking_id: str) -> Locator:
    """The row of the report list that links to `tracking_id`."""
    link = page.get_by_role("link", name=tracking_id, exact=True)
    return page.locator("table.list tbody tr", has=link)


def listed_ids(page: Page) -> set[str]:
    """The tracking IDs in the report list on the page."""
    cells = page.locator("table.list tbody tr td:first-child a").all_inner_texts()
    return {cell.strip() for cell in cells}


def assert_fits_the_screen(page: Page, what: str) -> None:
    """The page needs no horizontal scrolling at its viewport width.

    On a mobile viewport Chromium widens the layout viewport (zooms out) when content is too
    wide, so `innerWidth` must also still be the viewport's width.
    """
    viewport = page.viewport_size
    assert viewport is not None
    widths: dict[str, int] = page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["inner"] == viewport["width"], f"{what} is zoomed out to fit: {widths}"
    assert widths["scroll"] <= widths["inner"] + 1, f"{what} scrolls sideways: {widths}"


def unlabelled_cells(page: Page) -> int:
    """Table cells whose phone-layout label (`::before`) is empty: they show a lone ':'."""
    count: int = page.evaluate(
        """() => [...document.querySelectorAll('table.list td')]
            .filter(td => getComputedStyle(td, '::before').content.replace(/"/g, '').trim() === ':')
            .length"""
    )
    return count


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG under test-artifacts/screenshots/, returned after checking it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), f"{path} is not a PNG"
    assert len(data) > 5_000, f"{path} is suspiciously small ({len(data)} bytes)"
    return path
