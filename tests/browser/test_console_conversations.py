"""The conversation pages and the dashboard in headless Chromium.

The conversations come from Rasa's tracker store (`conversations` fixture); the backend
indexes them when a page asks. Every test is a plain sync test (Playwright's sync API).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect
from sqlalchemy import create_engine, text

from tests.browser.console_pages import (
    DESKTOP,
    PHONE,
    Account,
    PageFactory,
    SeededReports,
    assert_fits_the_screen,
    login,
    screenshot,
    unlabelled_cells,
)
from tests.browser.tracker_seed import SEARCH_WORD, SeededConversations
from tests.gateway.test_notifier_end_to_end import Stack

CONVERSATION_URL = re.compile(r"/admin/conversations/(\d+)$")


def _heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def _listed(page: Page) -> Locator:
    """The citizens' names (links to the transcripts) in the conversation list, in order."""
    return page.locator("table.list tbody td:first-child a")


def _row(page: Page, who: str) -> Locator:
    link = page.get_by_role("link", name=who, exact=True)
    return page.locator("table.list tbody tr", has=link)


def _fact(page: Page, term: str) -> Locator:
    """The value next to `term` in the transcript's facts."""
    return page.locator("dl.facts dt", has_text=re.compile(f"^{term}$")).locator("+ dd")


def _open_conversation_list(page: Page) -> None:
    page.get_by_role("navigation", name="menu").get_by_role("link", name="Percakapan").click()
    expect(page).to_have_url(re.compile(r"/admin/conversations$"))
    expect(_heading(page)).to_have_text("Percakapan")


def _open_transcript(page: Page, who: str) -> int:
    """Click `who` in the conversation list; returns the conversation's id."""
    page.get_by_role("link", name=who, exact=True).click()
    expect(page).to_have_url(CONVERSATION_URL)
    expect(_heading(page)).to_have_text(f"Transkrip: {who}")
    match = CONVERSATION_URL.search(page.url)
    assert match is not None
    return int(match.group(1))


def _bubble(page: Page, kind: str, content: str) -> Locator:
    """The transcript entry of `kind` (user, bot, meta) whose text contains `content`."""
    return page.locator(f"ol.transcript > li.{kind}", has_text=content)


def _download_jsonl(page: Page, link: Locator) -> tuple[str, list[dict[str, Any]]]:
    """Click an export link; the download's file name and its lines, each parsed as JSON."""
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None, download.failure()
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert lines, "the export is empty"
    rows = [json.loads(line) for line in lines]
    assert all(isinstance(row, dict) for row in rows)
    return download.suggested_filename, rows


def test_search_finds_a_citizens_words_and_the_channel_filter_narrows_the_list(
    page: Page, admin: Account, conversations: SeededConversations
) -> None:
    login(page, admin)
    _open_conversation_list(page)
    expect(_listed(page)).to_have_text([chat.who for chat in conversations.newest_first()])

    search = page.get_by_label(re.compile(r"^Cari teks"))
    search.fill(SEARCH_WORD)
    page.get_by_role("button", name="Saring").click()
    expect(page).to_have_url(re.compile(f"[?&]q={SEARCH_WORD}(&|$)"))
    expect(search).to_have_value(SEARCH_WORD)
    filed = conversations.filed
    expect(_listed(page)).to_have_text([filed.who])  # the WhatsApp one says "sampah" too
    row = _row(page, filed.who)
    expect(row.locator(".badge")).to_have_text("Laporan dibuat")
    expect(row.get_by_role("link", name=str(filed.tracking_id))).to_be_visible()

    page.get_by_role("link", name="Hapus saringan").click()
    expect(search).to_have_value("")
    channel = page.get_by_label(re.compile(r"^Kanal\b"))
    channel.select_option("whatsapp")
    page.get_by_role("button", name="Saring").click()
    expect(page).to_have_url(re.compile(r"[?&]channel=whatsapp(&|$)"))
    expect(channel).to_have_value("whatsapp")
    expect(_listed(page)).to_have_text([conversations.abandoned.who])
    expect(_row(page, conversations.abandoned.who).locator(".badge")).to_have_text("Ditinggalkan")

    channel.select_option("telegram")
    page.get_by_role("button", name="Saring").click()
    expect(page).to_have_url(re.compile(r"[?&]channel=telegram(&|$)"))
    telegram = [c for c in conversations.newest_first() if c.channel == "telegram"]
    assert len(telegram) == 2
    expect(_listed(page)).to_have_text([chat.who for chat in telegram])
    expect(page.locator("table.list tbody td:nth-child(2)")).to_have_text(["telegram"] * 2)


def test_a_transcript_shows_messages_buttons_intents_slots_and_the_report_filed(
    page: Page, admin: Account, conversations: SeededConversations, reports: SeededReports
) -> None:
    chat = conversations.filed
    report = reports.for_officer
    assert chat.tracking_id == report.tracking_id
    login(page, admin)
    _open_conversation_list(page)
    conversation = _open_transcript(page, chat.who)

    expect(_fact(page, "Pengirim")).to_have_text(chat.sender_id)
    expect(_fact(page, "Kanal")).to_have_text("telegram")
    expect(_fact(page, "Hasil")).to_have_text("Laporan dibuat")
    # Every message of the citizen and the bot, in order.
    said = page.locator("ol.transcript > li.user .prose, ol.transcript > li.bot .prose")
    citizen, bot = chat.citizen_texts, chat.bot_texts
    expect(said).to_have_text([citizen[0], bot[0], bot[1], citizen[1], bot[2], citizen[2], bot[3]])
    greeting = _bubble(page, "bot", "selamat datang")
    expect(greeting.locator(".buttons span")).to_have_text(
        ["Buat laporan", "Cek status", "Bantuan"]
    )
    expect(greeting.locator("small")).to_contain_text("utter_greet")
    expect(_bubble(page, "user", "halo").locator("small")).to_contain_text("greet 0.93")
    expect(_bubble(page, "user", report.description).locator("small")).to_contain_text(
        "inform 0.88"
    )
    tapped = _bubble(page, "user", "Menekan tombol")
    expect(tapped).to_contain_text("Menekan tombol: Buat laporan")
    expect(tapped.locator("small")).to_contain_text("start_report 1.00")
    location = _bubble(page, "meta", '"Dekat kantor kecamatan Pasar Kemis"')
    expect(location).to_contain_text("Slot complaint_location =")
    expect(location.locator("code")).to_have_text("complaint_location")
    expect(_bubble(page, "meta", "action_submit_complaint")).to_be_visible()
    expect(_bubble(page, "meta", "Formulir dimulai")).to_contain_text("complaint_form")
    expect(_bubble(page, "bot", report.tracking_id)).to_be_visible()

    _fact(page, "Laporan terkait").get_by_role("link", name=report.tracking_id).click()
    expect(page).to_have_url(re.compile(f"/admin/reports/{report.tracking_id}$"))
    expect(_heading(page)).to_contain_text(report.tracking_id)
    expect(page.get_by_text(report.description)).to_be_visible()
    # ... and the report leads back to the conversation it was filed in.
    page.get_by_role("link", name="Transkrip", exact=True).click()
    expect(page).to_have_url(re.compile(f"/admin/conversations/{conversation}$"))


def test_an_officer_sees_the_conversation_masked_until_revealing_it(
    page: Page, officer: Account, conversations: SeededConversations
) -> None:
    chat = conversations.filed
    assert chat.display_name == "Siti Aminah"
    login(page, officer)
    _open_conversation_list(page)
    # Only the conversation linked to a DLHK report, its citizen's name masked.
    expect(_listed(page)).to_have_text(["S*** A***"])
    assert chat.display_name not in page.content()

    _open_transcript(page, "S*** A***")
    expect(_fact(page, "Pengirim")).to_have_text("telegram:*101")
    expect(page.get_by_text("Nama, nomor telepon, NIK dan email disamarkan.")).to_be_visible()
    expect(_bubble(page, "user", chat.citizen_texts[1])).to_be_visible()  # the problem stays
    assert chat.display_name not in page.content()  # nor in the session's metadata slot
    assert chat.sender_id not in page.content()

    page.get_by_role("link", name=re.compile(r"^Tampilkan data pribadi")).click()
    expect(page).to_have_url(re.compile(r"/admin/conversations/\d+\?reveal=1$"))
    expect(_heading(page)).to_have_text(f"Transkrip: {chat.display_name}")
    expect(_fact(page, "Pengirim")).to_have_text(chat.sender_id)
    expect(_bubble(page, "meta", "session_started_metadata")).to_contain_text(chat.display_name)
    expect(page.get_by_role("link", name=re.compile(r"^Tampilkan data pribadi"))).to_have_count(0)


def test_the_jsonl_exports_download_the_conversations_messages(
    page: Page, admin: Account, conversations: SeededConversations
) -> None:
    chat = conversations.filed
    login(page, admin)
    _open_conversation_list(page)
    conversation = _open_transcript(page, chat.who)
    name, rows = _download_jsonl(page, page.get_by_role("link", name="Ekspor JSONL"))
    assert name == f"percakapan-{conversation}.jsonl"
    assert {row["conversation_id"] for row in rows} == {conversation}
    assert {row["sender"] for row in rows} == {chat.sender_id}
    assert {row["channel"] for row in rows} == {"telegram"}
    said = [row["text"] for row in rows if row["kind"] == "user"]
    assert said == list(chat.citizen_texts)
    replies = [(row["text"], row["name"]) for row in rows if row["kind"] == "bot"]
    assert [reply for reply, _ in replies] == list(chat.bot_texts)
    assert replies[-1][1] == "utter_submitted"
    greet = next(row for row in rows if row["text"] == "halo")
    assert (greet["intent"], greet["confidence"]) == ("greet", 0.93)
    assert {"button", "slot", "action", "session_start"} <= {row["kind"] for row in rows}

    # The list's export takes the filters in force.
    _open_conversation_list(page)
    page.get_by_label(re.compile(r"^Kanal\b")).select_option("whatsapp")
    page.get_by_role("button", name="Saring").click()
    expect(_listed(page)).to_have_text([conversations.abandoned.who])
    exports = page.locator("p.exports")
    name, rows = _download_jsonl(page, exports.get_by_role("link", name="JSONL", exact=True))
    assert name == "percakapan.jsonl"
    assert {row["sender"] for row in rows} == {conversations.abandoned.sender_id}
    said = [row["text"] for row in rows if row["kind"] == "user"]
    assert said == list(conversations.abandoned.citizen_texts)
    assert [row["text"] for row in rows if row["kind"] == "button"] == ["Sampah & Kebersihan"]


def _report_count(stack: Stack) -> int:
    engine = create_engine(stack.backend_env["DATABASE_URL"], future=True)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM reports")).scalar_one())
    finally:
        engine.dispose()


def _chart(page: Page, title: str) -> Locator:
    return page.get_by_role("img", name=title, exact=True)


def _assert_charts_fit_and_read(page: Page) -> None:
    """Every chart's box stays inside its card (a chart too wide would be cut off or widen
    the page) and its 12-unit text is drawn at least 9 pixels high (not shrunk to fit)."""
    charts: list[dict[str, Any]] = page.evaluate(
        """() => [...document.querySelectorAll('main .card svg[role=img]')].map(svg => {
            const box = svg.parentElement.getBoundingClientRect();
            const card = svg.closest('.card').getBoundingClientRect();
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return {
                name: svg.getAttribute('aria-label'),
                inside: box.width > 0 && box.left >= card.left && box.right <= card.right,
                text_px: scale * parseFloat(svg.getAttribute('font-size')),
            };
        })"""
    )
    assert len(charts) == 5, charts
    assert [c["name"] for c in charts if not c["inside"]] == [], f"charts stick out: {charts}"
    small = [c for c in charts if c["text_px"] < 9]
    assert small == [], f"chart text too small to read: {small}"


def test_the_dashboard_shows_figures_and_inline_charts(
    page: Page,
    admin: Account,
    conversations: SeededConversations,
    reports: SeededReports,
    console_stack: Stack,
    backend_url: str,
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    login(page, admin)
    page.get_by_role("navigation", name="menu").get_by_role("link", name="Dasbor").click()
    expect(page).to_have_url(re.compile(r"/admin/dashboard$"))
    expect(_heading(page)).to_have_text("Dasbor")

    figures = page.locator(".figure")
    expect(figures).to_have_count(7)
    reports_total = _report_count(console_stack)
    assert reports_total >= len(reports.all())
    expect(figures.nth(0).locator("strong")).to_have_text(str(reports_total))
    # Issue 17: reporters' answers against officers' questions, and the median time.
    expect(figures.nth(3)).to_contain_text("Jawaban pelapor")
    expect(figures.nth(3)).to_contain_text(re.compile(r"dari \d+ pertanyaan"))
    expect(figures.nth(4)).to_contain_text("Median waktu jawaban pelapor")
    # 10 citizen messages in the four conversations, 3 of them not understood.
    expect(figures.nth(5).locator("strong")).to_have_text(re.compile(r"^30,0%$"))
    expect(figures.nth(5)).to_contain_text("3 dari 10 pesan")
    expect(figures.nth(6)).to_contain_text("Ditinggalkan")
    expect(figures.nth(6).locator("strong")).to_have_text("1")
    for figure in figures.all():
        expect(figure.locator("strong")).to_be_visible()
        expect(figure.locator("strong")).not_to_be_empty()

    charts = page.locator("main svg[role=img]")
    expect(charts).to_have_count(5)
    for chart in charts.all():
        expect(chart).to_be_visible()
    funnel = _chart(page, "Corong percakapan bot")
    expect(funnel.locator("text.chart-value")).to_have_text(["4 (100%)", "2 (50%)", "1 (25%)"])
    expect(funnel.locator("text.chart-label")).to_have_text(
        ["Percakapan dimulai", "Mulai mengisi laporan", "Laporan terkirim"]
    )
    abandoned = _chart(page, "Berhenti di langkah")
    expect(abandoned.locator("text.chart-label")).to_have_text(["Lokasi"])
    for title in ("Laporan per status", "Laporan per kategori", "Laporan per kecamatan"):
        values = _chart(page, title).locator("text.chart-value").all_text_contents()
        assert sum(int(value) for value in values) == reports_total, (title, values)
    category = _chart(page, "Laporan per kategori")
    expect(category.locator("text.chart-label").filter(has_text="Sampah")).to_have_count(1)
    _assert_charts_fit_and_read(page)

    outside = [url for url in requested if not url.startswith((backend_url, "data:"))]
    assert outside == [], f"the dashboard loaded from elsewhere: {outside}"
    assert any(url.startswith(f"{backend_url}/admin/static/") for url in requested)


def test_the_dashboard_fits_a_phone_screen(
    phone_page: Page, admin: Account, conversations: SeededConversations
) -> None:
    page = phone_page
    login(page, admin)
    page.goto("/admin/dashboard")
    expect(page.locator("main svg[role=img]")).to_have_count(5)
    expect(page.locator(".figure strong").first).to_be_visible()
    assert_fits_the_screen(page, "the dashboard")
    _assert_charts_fit_and_read(page)


def test_screenshots_of_the_conversation_pages_and_the_dashboard(
    new_page: PageFactory, admin: Account, conversations: SeededConversations
) -> None:
    chat = conversations.filed
    desktop = new_page(DESKTOP)
    login(desktop, admin)
    _open_conversation_list(desktop)
    expect(_listed(desktop)).to_have_count(4)
    screenshot(desktop, "conversations-desktop")
    _open_transcript(desktop, chat.who)
    screenshot(desktop, "conversation-desktop")
    desktop.goto("/admin/dashboard")
    expect(desktop.locator("main svg[role=img]")).to_have_count(5)
    screenshot(desktop, "dashboard-desktop")

    phone = new_page(PHONE)
    login(phone, admin)
    phone.goto("/admin/conversations")
    expect(_listed(phone)).to_have_count(4)
    assert_fits_the_screen(phone, "the conversation list")
    assert unlabelled_cells(phone) == 0, "the conversation list shows a lone ':' in a cell"
    screenshot(phone, "conversations-phone")
    _open_transcript(phone, chat.who)
    assert_fits_the_screen(phone, "a transcript")
    screenshot(phone, "conversation-phone")
    phone.goto("/admin/dashboard")
    expect(phone.locator("main svg[role=img]")).to_have_count(5)
    screenshot(phone, "dashboard-phone")
