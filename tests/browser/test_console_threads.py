"""Issue 17 in headless Chromium: asking the reporter, seeing the answer, taking a chat
over and handing it back, on desktop and phone widths.

The citizen's side goes through the API as the gateway would (`stack.api` with the
service token). Screenshots are copied to /tmp/shots for a person to look at.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.console_pages import (
    DESKTOP,
    PHONE,
    Account,
    PageFactory,
    SeededReports,
    assert_fits_the_screen,
    login,
    screenshot,
)
from tests.browser.tracker_seed import SeededConversations
from tests.gateway.test_notifier_end_to_end import Stack

SHOTS = Path("/tmp/shots")


def shot(page: Page, name: str) -> None:
    path = screenshot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def _ask_and_see_the_answer(
    page: Page, officer: Account, stack: Stack, tracking_id: str, chat: int, width: str
) -> None:
    login(page, officer)
    page.goto(f"/admin/reports/{tracking_id}")
    question = f"Mohon kirim foto tumpukan sampahnya ({width})."
    page.get_by_label("Tanya pelapor").fill(question)
    page.get_by_role("button", name="Kirim pertanyaan").click()
    expect(page.get_by_role("status").filter(has_text="Pertanyaan dikirim")).to_be_visible()
    expect(page.get_by_text("Menunggu jawaban pelapor")).to_be_visible()
    thread = page.locator("#thread ol.thread")
    expect(thread.locator("li").last).to_contain_text(question)
    assert_fits_the_screen(page, f"thread {width}")

    answer = f"Sudah saya foto, ada di depan gerbang sekolah ({width})."
    response = stack.api(
        "POST",
        f"/api/v1/complaints/{tracking_id}/thread",
        json={"chat_id": f"telegram:{chat}", "text": answer, "kind": "answer"},
    )
    assert response.status_code == 201, response.text

    page.goto("/admin/reports?unread=1")
    row = page.locator("table.list tbody tr", has_text=tracking_id)
    expect(row.get_by_text("Jawaban baru")).to_be_visible()
    page.goto(f"/admin/reports/{tracking_id}")
    expect(thread.locator("li").last).to_contain_text(answer)
    expect(thread.locator("li").last).to_contain_text("Pelapor")
    expect(page.get_by_text("Menunggu jawaban pelapor")).to_have_count(0)
    shot(page, f"thread-{width}")
    page.goto("/admin/reports?unread=1")
    expect(page.locator("table.list tbody tr", has_text=tracking_id)).to_have_count(0)


def test_an_officer_asks_and_sees_the_answer_on_desktop_and_phone(
    new_page: PageFactory, officer: Account, console_stack: Stack, reports: SeededReports
) -> None:
    report = reports.for_officer
    for viewport, width in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = new_page(viewport)
        _ask_and_see_the_answer(
            page, officer, console_stack, report.tracking_id, report.chat, width
        )


def test_take_over_write_and_hand_back_on_desktop_and_phone(
    new_page: PageFactory,
    officer: Account,
    admin: Account,
    console_stack: Stack,
    conversations: SeededConversations,
) -> None:
    chat = conversations.filed
    for viewport, width in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = new_page(viewport)
        login(page, officer)
        page.goto("/admin/conversations")
        page.get_by_role("link", name="S*** A***").click()
        expect(page).to_have_url(re.compile(r"/admin/conversations/\d+$"))
        conversation_url = page.url
        page.get_by_role("button", name="Ambil alih chat").click()
        expect(page.get_by_text("Anda sedang menjawab chat ini")).to_be_visible()

        # Someone else sees who holds it.
        other = new_page(DESKTOP)
        login(other, admin)
        other.goto(conversation_url)
        expect(
            other.get_by_text(f"Chat ini sedang dijawab oleh {officer.username}.")
        ).to_be_visible()
        expect(other.get_by_role("button", name="Ambil alih chat")).to_have_count(0)

        text = f"Selamat siang Bu, saya petugas DLHK ({width})."
        page.get_by_label("Pesan untuk warga").fill(text)
        page.get_by_role("button", name="Kirim").click()
        person = page.locator("ol.transcript li.person").last
        expect(person).to_contain_text(text)
        expect(person).to_contain_text("ditulis petugas")

        # The citizen answers while the page is open: the script shows it without a reload.
        reply = f"Siang Pak, sampahnya masih ada ({width})."
        response = console_stack.api(
            "POST", f"/api/v1/conversations/{chat.sender_id}/inbound", json={"text": reply}
        )
        assert response.status_code == 201, response.text
        expect(page.locator("ol.transcript li.user").last).to_contain_text(reply, timeout=15_000)
        assert_fits_the_screen(page, f"takeover {width}")
        shot(page, f"takeover-{width}")

        page.get_by_role("button", name="Kembalikan ke bot").click()
        expect(page.get_by_role("button", name="Ambil alih chat")).to_be_visible()
        after = console_stack.api(
            "POST", f"/api/v1/conversations/{chat.sender_id}/inbound", json={"text": "Halo?"}
        )
        assert after.status_code == 409  # the bot has it again
