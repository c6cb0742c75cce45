"""The admin console in headless Chromium: login, the report list, a report, language, phones.

Every test is a plain sync test (Playwright's sync API runs its own event loop).
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Locator, Page, expect

from tests.browser.console_pages import (
    CITIZEN_PHONE,
    DESKTOP,
    PHONE,
    Account,
    PageFactory,
    SeededReports,
    assert_fits_the_screen,
    fill_login,
    listed_ids,
    login,
    report_row,
    screenshot,
    unlabelled_cells,
)
from tests.gateway.test_notifier_end_to_end import Stack

SESSION_COOKIE = "lapor_console"


def _heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def _deadline_badge(page: Page, tracking_id: str) -> Locator:
    return report_row(page, tracking_id).locator("td:last-child .badge")


def _fact(page: Page, term: str) -> Locator:
    """The value next to `term` in a report page's facts."""
    return page.locator("dl.facts dt", has_text=re.compile(f"^{term}$")).locator("+ dd")


def test_login_refuses_a_wrong_password_then_logs_in_and_out(page: Page, admin: Account) -> None:
    page.goto("/admin/reports")
    expect(page).to_have_url(re.compile(r"/admin/login\?next=%2Fadmin%2Freports$"))
    fill_login(page, admin.username, "definitely-not-the-password")
    expect(page.get_by_role("alert")).to_have_text("Nama pengguna atau kata sandi salah.")
    expect(page.get_by_label("Nama pengguna")).to_have_value(admin.username)
    expect(page.get_by_role("button", name="Keluar")).to_have_count(0)
    assert all(c["name"] != SESSION_COOKIE for c in page.context.cookies())

    fill_login(page, admin.username, admin.password)
    expect(page).to_have_url(re.compile(r"/admin/reports$"))  # where it wanted to go
    expect(_heading(page)).to_have_text("Laporan")
    expect(page.locator("header .who")).to_have_text(f"{admin.username} · admin")
    [session] = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert session["httpOnly"]

    page.get_by_role("button", name="Keluar").click()
    expect(page).to_have_url(re.compile(r"/admin/login\?done=logout$"))
    expect(page.locator(".alert.ok")).to_have_text("Anda sudah keluar.")
    assert all(c["name"] != SESSION_COOKIE for c in page.context.cookies())
    # The session is over on the server too: the old cookie no longer opens a page.
    page.context.add_cookies(
        [
            {
                "name": session["name"],
                "value": session["value"],
                "domain": session["domain"],
                "path": session["path"],
            }
        ]
    )
    page.goto("/admin/reports")
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    expect(page.get_by_role("button", name="Masuk")).to_be_visible()


def test_the_report_list_shows_deadline_badges_and_filters(
    page: Page, admin: Account, reports: SeededReports
) -> None:
    login(page, admin)
    assert {r.tracking_id for r in reports.all()} <= listed_ids(page)
    overdue = _deadline_badge(page, reports.overdue.tracking_id)
    expect(overdue).to_have_text(re.compile(r"^Lewat \d+ hari kerja$"))
    expect(overdue).to_have_class(re.compile(r"\bb-overdue\b"))
    road = _deadline_badge(page, reports.road.tracking_id)
    expect(road).to_have_text(re.compile(r"^(\d hari kerja lagi|Jatuh tempo hari ini)$"))
    expect(road).to_have_class(re.compile(r"\bb-(ok|due)\b"))
    expect(_deadline_badge(page, reports.verified.tracking_id)).to_have_text(
        re.compile(r"^\d hari kerja lagi$")
    )
    rejected = _deadline_badge(page, reports.rejected.tracking_id)
    expect(rejected).to_have_text("Tanpa tenggat")
    expect(rejected).to_have_class(re.compile(r"\bb-none\b"))

    # A select's accessible name ends with its chosen option ("Status Semua").
    status = page.get_by_label(re.compile(r"^Status\b"))
    status.select_option("verified")
    page.get_by_role("button", name="Saring").click()
    expect(page).to_have_url(re.compile(r"[?&]status=verified(&|$)"))
    expect(status).to_have_value("verified")  # the form shows the filter in force
    shown = listed_ids(page)
    assert reports.verified.tracking_id in shown
    assert not shown & {reports.road.tracking_id, reports.overdue.tracking_id}
    assert reports.rejected.tracking_id not in shown
    assert set(page.locator("table.list tbody .status").all_inner_texts()) == {"Diverifikasi"}

    page.get_by_role("link", name="Hapus saringan").click()
    expect(status).to_have_value("")
    page.get_by_label("Hanya yang lewat tenggat").check()
    page.get_by_role("button", name="Saring").click()
    expect(page).to_have_url(re.compile(r"[?&]overdue=1(&|$)"))
    assert listed_ids(page) == {reports.overdue.tracking_id}


def test_an_officer_reveals_the_phone_and_the_status_change_reaches_the_citizen_once(
    page: Page, officer: Account, reports: SeededReports, console_stack: Stack
) -> None:
    report = reports.for_officer
    telegram = console_stack.telegram
    assert telegram.requests("sendMessage", chat_id=report.chat) == []
    login(page, officer)
    shown = listed_ids(page)
    assert report.tracking_id in shown
    assert reports.road.tracking_id not in shown  # another agency's report

    page.get_by_role("link", name=report.tracking_id, exact=True).click()
    expect(page).to_have_url(re.compile(f"/admin/reports/{report.tracking_id}$"))
    phone = _fact(page, "Telepon")
    expect(phone).to_have_text("+628*******890")
    expect(_fact(page, "Nama")).to_have_text("S*** A***")
    expect(page.get_by_text("Data pribadi disamarkan.")).to_be_visible()
    assert CITIZEN_PHONE not in page.content()

    page.get_by_role("link", name=re.compile(r"^Tampilkan data pribadi")).click()
    expect(page).to_have_url(re.compile(r"\?reveal=1$"))
    expect(phone).to_have_text(CITIZEN_PHONE)
    expect(_fact(page, "Nama")).to_have_text("Siti Aminah")
    expect(_fact(page, "Chat")).to_have_text(f"telegram:{report.chat}")

    note = "Petugas DLHK dijadwalkan mengangkut sampah besok pagi."
    page.get_by_label("Status baru").select_option("verified")
    page.get_by_label("Catatan untuk warga").fill(note)
    page.get_by_role("button", name="Simpan dan beri tahu warga").click()
    expect(page.get_by_role("status")).to_have_text("Status disimpan; warga akan diberi tahu.")
    expect(page).to_have_url(re.compile(f"/admin/reports/{report.tracking_id}\\?saved=1$"))
    expect(page.locator("h1 .status")).to_have_text("Diverifikasi")
    expect(page.locator("ol.timeline")).to_contain_text(note)
    expect(phone).to_have_text("+628*******890")  # masked again after the form

    telegram.wait_for(lambda tg: tg.requests("sendMessage", chat_id=report.chat), timeout=15)
    time.sleep(3)  # past the notifier's claim idle time (2 s): a duplicate would be here
    [request] = telegram.requests("sendMessage", chat_id=report.chat)
    assert request.ok, request
    message = str(request.params["text"])
    assert report.tracking_id in message
    assert note in message

    # The console shows the delivery once the notifier has reported it.
    deadline = time.monotonic() + 10
    sent = page.locator("table.list td .badge.n-sent")
    page.reload()
    while sent.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    expect(sent).to_have_count(1)


def test_the_english_switch_changes_the_interface_language(
    page: Page, admin: Account, reports: SeededReports
) -> None:
    page.goto("/admin/login")
    expect(_heading(page)).to_have_text("Masuk ke konsol")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(r"/admin/login$"))
    expect(_heading(page)).to_have_text("Log in to the console")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(admin.password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/reports$"))
    expect(_heading(page)).to_have_text("Reports")
    menu = page.get_by_role("navigation", name="menu")
    expect(menu.get_by_role("link")).to_contain_text(["Reports", "Users", "Audit log"])
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("button", name="Filter")).to_be_visible()
    expect(_deadline_badge(page, reports.rejected.tracking_id)).to_have_text("No deadline")

    page.get_by_role("link", name=reports.road.tracking_id, exact=True).click()
    expect(page.get_by_role("heading", name="Status history")).to_be_visible()
    expect(page.get_by_role("button", name="Save and notify the citizen")).to_be_visible()
    page.get_by_role("link", name="Bahasa Indonesia").click()
    expect(page).to_have_url(re.compile(f"/admin/reports/{reports.road.tracking_id}$"))
    expect(page.get_by_role("heading", name="Riwayat status")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "id")


def test_the_report_list_fits_a_phone_screen(
    phone_page: Page, admin: Account, reports: SeededReports
) -> None:
    page = phone_page
    login(page, admin)
    assert {r.tracking_id for r in reports.all()} <= listed_ids(page)
    expect(page.locator("table.list thead")).to_be_hidden()  # rows become stacked cards
    expect(report_row(page, reports.overdue.tracking_id)).to_be_visible()
    assert_fits_the_screen(page, "the report list")
    page.get_by_role("link", name=reports.verified.tracking_id, exact=True).click()
    expect(page.get_by_role("button", name="Simpan dan beri tahu warga")).to_be_visible()
    assert_fits_the_screen(page, "the report page")


def test_screenshots_of_the_main_pages(
    new_page: PageFactory, admin: Account, reports: SeededReports
) -> None:
    report_path = f"/admin/reports/{reports.verified.tracking_id}"
    desktop = new_page(DESKTOP)
    desktop.goto("/admin/login")
    screenshot(desktop, "login")
    login(desktop, admin)
    screenshot(desktop, "reports-desktop")
    desktop.goto(report_path)
    expect(desktop.get_by_role("heading", name="Riwayat status")).to_be_visible()
    screenshot(desktop, "report-desktop")
    desktop.goto("/admin/users")
    expect(_heading(desktop)).to_have_text("Pengguna konsol")
    screenshot(desktop, "users")
    desktop.goto("/admin/audit")
    expect(_heading(desktop)).to_have_text("Log audit")
    screenshot(desktop, "audit")

    phone = new_page(PHONE)
    login(phone, admin)
    screenshot(phone, "reports-phone")
    phone.goto(report_path)
    expect(phone.get_by_role("heading", name="Riwayat status")).to_be_visible()
    screenshot(phone, "report-phone")
    for name in ("users", "audit"):
        phone.goto(f"/admin/{name}")
        assert_fits_the_screen(phone, f"/admin/{name}")
        assert unlabelled_cells(phone) == 0, f"/admin/{name} shows a lone ':' in a cell"
        screenshot(phone, f"{name}-phone")
