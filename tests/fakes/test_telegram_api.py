"""The fake Telegram Bot API speaks the real wire format: python-telegram-bot 22 as the client."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import os
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from tests.fakes import telegram_updates as tu
from tests.fakes.telegram_api import FakeTelegramAPI, RecordedRequest, UploadedFile

CHAT = 4242
OTHER_CHAT = 777

# PTB 22 warns inside RetryAfter's own constructor unless PTB_TIMEDELTA is set: not ours to fix.
ignore_retry_after_deprecation = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2.*retry_after:telegram.warnings.PTBDeprecationWarning"
)


@pytest.fixture
def tg() -> Iterator[FakeTelegramAPI]:
    """A running fake server."""
    with FakeTelegramAPI() as fake:
        yield fake


def make_bot(tg: FakeTelegramAPI, token: str | None = None) -> Bot:
    """A real PTB bot talking to the fake, exactly as the brief's wiring does."""
    return Bot(
        token or tg.token,
        base_url=f"{tg.base_url}/bot",
        base_file_url=f"{tg.base_url}/file/bot",
    )


@pytest.fixture
async def bot(tg: FakeTelegramAPI) -> AsyncIterator[Bot]:
    """An initialised PTB bot (``async with`` calls getMe)."""
    async with make_bot(tg) as ready:
        yield ready


def keyboard() -> InlineKeyboardMarkup:
    """A one-button inline keyboard."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("Buat laporan", callback_data="menu:lapor")]]
    )


def retry_after_seconds(error: RetryAfter) -> float:
    """`RetryAfter.retry_after` in seconds, whichever type this PTB version returns.

    PTB 22 returns an int (with a PTBDeprecationWarning) unless the ``PTB_TIMEDELTA``
    environment variable opts into `datetime.timedelta`.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    if os.getenv("PTB_TIMEDELTA", "false").lower().strip() in ("true", "1"):
        assert isinstance(value, dtm.timedelta)
    else:
        assert isinstance(value, int)
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# -- bot identity ------------------------------------------------------------------------------


async def test_initialize_calls_get_me(tg: FakeTelegramAPI, bot: Bot) -> None:
    assert bot.id == 123456
    assert bot.username == "lapor_tangerang_test_bot"
    me = await bot.get_me()
    assert me.is_bot is True
    assert me.can_join_groups is True
    assert me.supports_inline_queries is False
    assert [r.method for r in tg.requests()] == ["getMe", "getMe"]


async def test_wrong_token_is_invalid_token(tg: FakeTelegramAPI) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot(tg, token="999999:WRONG-TOKEN"):
            pass
    [request] = tg.requests()
    assert (request.method, request.status) == ("getMe", 401)
    assert request.response == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_unknown_method_is_404(tg: FakeTelegramAPI, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": CHAT})
    [request] = tg.requests("sendTelepathy")
    assert request.status == 404
    assert request.response == {"ok": False, "error_code": 404, "description": "Not Found"}


# -- sending -----------------------------------------------------------------------------------


async def test_send_message_with_inline_keyboard(tg: FakeTelegramAPI, bot: Bot) -> None:
    message = await bot.send_message(CHAT, "Halo, Budi!", reply_markup=keyboard())

    [request] = tg.requests("sendMessage")
    assert request.params == {
        "chat_id": CHAT,
        "text": "Halo, Budi!",
        "reply_markup": {
            "inline_keyboard": [[{"text": "Buat laporan", "callback_data": "menu:lapor"}]]
        },
    }
    assert request.http_method == "POST"
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.status == 200

    assert message.message_id == 1
    assert message.chat.id == CHAT
    assert message.chat.type == "private"
    assert message.from_user is not None and message.from_user.is_bot
    assert message.text == "Halo, Budi!"
    assert message.reply_markup == keyboard()
    assert abs(message.date.timestamp() - time.time()) < 5

    second = await bot.send_message(CHAT, "Kedua")
    other = await bot.send_message(OTHER_CHAT, "Chat lain")
    assert (second.message_id, other.message_id) == (2, 1)
    assert tg.sent_texts(CHAT) == ["Halo, Budi!", "Kedua"]
    assert [m["message_id"] for m in tg.sent_messages(CHAT)] == [1, 2]


async def test_send_message_validates_like_telegram(tg: FakeTelegramAPI, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, "   ")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    too_long_data = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(CHAT, "ok", reply_markup=too_long_data)
    assert tg.sent_texts(CHAT) == []
    assert len(tg.requests("sendMessage", CHAT, successful=False)) == 3


async def test_chat_action_and_callback_answer(tg: FakeTelegramAPI, bot: Bot) -> None:
    assert await bot.send_chat_action(CHAT, "typing") is True
    assert await bot.answer_callback_query("4411000000000000001", text="Oke") is True
    assert tg.requests("sendChatAction")[0].params == {"chat_id": CHAT, "action": "typing"}
    assert tg.requests("answerCallbackQuery")[0].params == {
        "callback_query_id": "4411000000000000001",
        "text": "Oke",
    }


async def test_edit_message_text_and_markup(tg: FakeTelegramAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Pilih kategori:", reply_markup=keyboard())

    edited = await bot.edit_message_text("Kategori: Jalan", chat_id=CHAT, message_id=sent.id)
    assert isinstance(edited, Message)
    assert edited.message_id == sent.message_id
    assert edited.text == "Kategori: Jalan"
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # editing text without reply_markup drops the keyboard

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Kategori: Jalan", chat_id=CHAT, message_id=sent.id)

    with_markup = await bot.edit_message_reply_markup(
        chat_id=CHAT, message_id=sent.id, reply_markup=keyboard()
    )
    assert isinstance(with_markup, Message)
    assert with_markup.reply_markup == keyboard()
    assert with_markup.text == "Kategori: Jalan"


async def test_edit_message_from_a_callback_update(tg: FakeTelegramAPI, bot: Bot) -> None:
    rows = [[{"text": "Ya", "callback_data": "ya"}, {"text": "Tidak", "callback_data": "tidak"}]]
    tg.queue_update(
        tu.callback(CHAT, "ya", message_id=55, message_text="Kirim?", inline_keyboard=rows)
    )
    # The fake knows the bot's message from the callback update, keyboard included.
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_reply_markup(
            chat_id=CHAT,
            message_id=55,
            reply_markup=InlineKeyboardMarkup.de_json({"inline_keyboard": rows}, bot),
        )
    edited = await bot.edit_message_reply_markup(chat_id=CHAT, message_id=55)
    assert isinstance(edited, Message)
    assert edited.text == "Kirim?"
    assert edited.reply_markup is None
    # A message the fake never saw can still be edited.
    unknown = await bot.edit_message_text("Baru", chat_id=CHAT, message_id=9_999)
    assert isinstance(unknown, Message) and unknown.text == "Baru"


async def test_empty_inline_keyboard_removes_the_keyboard(tg: FakeTelegramAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Pilih:", reply_markup=keyboard())
    cleared = await bot.edit_message_reply_markup(
        chat_id=CHAT, message_id=sent.id, reply_markup=InlineKeyboardMarkup([])
    )
    assert isinstance(cleared, Message)
    assert cleared.reply_markup is None
    # PTB drops the empty keyboard list on the wire: it sends reply_markup={}.
    assert tg.requests("editMessageReplyMarkup")[0].params["reply_markup"] == {}
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_reply_markup(
            chat_id=CHAT, message_id=sent.id, reply_markup=InlineKeyboardMarkup([])
        )


async def test_send_photo_and_document(tg: FakeTelegramAPI, bot: Bot) -> None:
    by_url = await bot.send_photo(CHAT, "https://lapor.example.id/peta.png", caption="Peta")
    assert by_url.photo and by_url.photo[-1].width == 1280
    assert by_url.caption == "Peta"
    url_request = tg.requests("sendPhoto")[0]
    assert url_request.content_type == "application/x-www-form-urlencoded"
    assert url_request.params["photo"] == "https://lapor.example.id/peta.png"

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    uploaded = await bot.send_photo(CHAT, png, filename="bukti.png")
    upload_request = tg.requests("sendPhoto")[1]
    # PTB switches to multipart/form-data as soon as a request carries a file.
    assert upload_request.content_type == "multipart/form-data"
    assert isinstance(upload_request.params["photo"], UploadedFile)
    assert upload_request.params["photo"].content == png
    assert upload_request.params["photo"].filename == "bukti.png"
    assert uploaded.photo[-1].file_size == len(png)
    # What the bot uploaded can be fetched back, as with Telegram.
    again = await bot.get_file(uploaded.photo[-1].file_id)
    assert bytes(await again.download_as_bytearray()) == png

    document = await bot.send_document(CHAT, b"%PDF-1.4 ...", filename="tanda-terima.pdf")
    assert document.document is not None
    assert document.document.file_name == "tanda-terima.pdf"
    assert document.document.mime_type == "application/pdf"
    assert [m.message_id for m in (by_url, uploaded, document)] == [1, 2, 3]

    async with httpx.AsyncClient() as client:
        no_photo = await client.post(f"{tg.api_url}/sendPhoto", data={"chat_id": CHAT})
    assert no_photo.status_code == 400
    assert no_photo.json()["description"] == "Bad Request: there is no photo in the request"


# -- webhook -----------------------------------------------------------------------------------


async def test_set_webhook_records_secret_and_allowed_updates(
    tg: FakeTelegramAPI, bot: Bot
) -> None:
    url = "https://lapor.example.id/telegram/webhook"
    assert await bot.set_webhook(
        url, secret_token="s3cret_Token-1", allowed_updates=["message", "callback_query"]
    )

    [request] = tg.requests("setWebhook")
    assert request.params == {
        "url": url,
        "secret_token": "s3cret_Token-1",
        "allowed_updates": ["message", "callback_query"],
    }
    assert request.response is not None
    assert request.response["description"] == "Webhook was set"
    assert tg.webhook["secret_token"] == "s3cret_Token-1"
    assert tg.allowed_updates == ["message", "callback_query"]

    info = await bot.get_webhook_info()
    assert info.url == url
    assert info.has_custom_certificate is False
    assert tuple(info.allowed_updates or ()) == ("message", "callback_query")

    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()

    assert await bot.delete_webhook(drop_pending_updates=True)
    assert tg.requests("deleteWebhook")[0].params == {"drop_pending_updates": True}
    assert (await bot.get_webhook_info()).url == ""
    assert tg.webhook == {}


async def test_set_webhook_needs_https(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
        await bot.set_webhook("http://127.0.0.1:8000/webhook")


# -- files -------------------------------------------------------------------------------------


async def test_get_file_and_download(tg: FakeTelegramAPI, bot: Bot) -> None:
    content = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4
    path = tg.add_file("AgACAgUAAxkBfoto", content, file_path="photos/file_1.jpg")
    assert path == "photos/file_1.jpg"

    file = await bot.get_file("AgACAgUAAxkBfoto")
    assert file.file_id == "AgACAgUAAxkBfoto"
    assert file.file_unique_id
    assert file.file_size == len(content)
    # PTB turns the relative file_path into the full download URL.
    assert file.file_path == f"{tg.base_url}/file/bot{tg.token}/photos/file_1.jpg"
    assert tg.requests("getFile")[0].response == {
        "ok": True,
        "result": {
            "file_id": "AgACAgUAAxkBfoto",
            "file_unique_id": file.file_unique_id,
            "file_size": len(content),
            "file_path": "photos/file_1.jpg",
        },
    }

    assert bytes(await file.download_as_bytearray()) == content
    [download] = tg.requests("downloadFile")
    assert (download.params, download.status, download.http_method) == (
        {"file_path": "photos/file_1.jpg"},
        200,
        "GET",
    )


async def test_declared_size_and_unknown_files(tg: FakeTelegramAPI, bot: Bot) -> None:
    tg.add_file("BQACAgbesar", b"tiny", declared_size=25 * 1024 * 1024)
    big = await bot.get_file("BQACAgbesar")
    assert big.file_size == 25 * 1024 * 1024
    assert big.file_path is not None and big.file_path.endswith("/photos/file_1.jpg")

    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("no-such-file")
    assert tg.requests("getFile", successful=False)[0].response == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: invalid file_id",
    }

    async with httpx.AsyncClient() as client:
        missing = await client.get(f"{tg.file_url}/photos/nothing.jpg")
    assert missing.status_code == 404


# -- fault injection ---------------------------------------------------------------------------


@ignore_retry_after_deprecation
async def test_retry_after(tg: FakeTelegramAPI, bot: Bot) -> None:
    tg.fail_next("sendMessage", kind="retry_after", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "Halo")
    assert retry_after_seconds(caught.value) == 7
    [failed] = tg.requests("sendMessage", successful=False)
    assert failed.status == 429
    assert failed.response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    # The fault is used up: the retry goes through.
    await bot.send_message(CHAT, "Halo")
    assert tg.sent_texts(CHAT) == ["Halo"]


async def test_forbidden(tg: FakeTelegramAPI, bot: Bot) -> None:
    tg.fail_next("sendMessage", kind="forbidden")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "Halo")
    assert tg.requests("sendMessage")[0].response == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }


async def test_bad_request_and_server_error(tg: FakeTelegramAPI, bot: Bot) -> None:
    tg.fail_next("editMessageText", kind="bad_request")
    tg.fail_next("sendMessage", kind="bad_request", description="Bad Request: chat not found")
    tg.fail_next("sendMessage", kind="server_error")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=1)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(CHAT, "x")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(CHAT, "x")
    assert [r.status for r in tg.requests()[1:]] == [400, 400, 502]
    assert tg.requests("sendMessage")[-1].response == {
        "ok": False,
        "error_code": 502,
        "description": "Bad Gateway",
    }


async def test_timeout_fault_times_the_client_out(tg: FakeTelegramAPI, bot: Bot) -> None:
    tg.fail_next("sendMessage", kind="timeout", delay=1.0)
    started = time.monotonic()
    with pytest.raises(TimedOut):
        await bot.send_message(CHAT, "lambat", read_timeout=0.3)
    assert time.monotonic() - started < 0.9
    # The server answers eventually; the record shows the late success.
    await tg.async_wait_for(lambda t: t.sent_texts(CHAT) == ["lambat"], timeout=3)


async def test_timeout_fault_does_not_block_other_requests(tg: FakeTelegramAPI) -> None:
    tg.fail_next("sendMessage", kind="timeout", delay=0.8, chat_id=CHAT)
    async with httpx.AsyncClient(base_url=tg.api_url) as client:

        async def send(chat_id: int) -> float:
            response = await client.post("/sendMessage", data={"chat_id": chat_id, "text": "x"})
            assert response.status_code == 200
            return time.monotonic()

        slow, fast = await asyncio.gather(send(CHAT), send(OTHER_CHAT))
    assert fast < slow - 0.5


async def test_chat_scoped_fault_spares_other_chats(tg: FakeTelegramAPI, bot: Bot) -> None:
    tg.fail_next("sendMessage", kind="forbidden", chat_id=CHAT)
    await bot.send_message(OTHER_CHAT, "tidak kena")
    with pytest.raises(Forbidden):
        await bot.send_message(CHAT, "kena")
    await bot.send_message(CHAT, "sudah pulih")
    assert tg.sent_texts(OTHER_CHAT) == ["tidak kena"]
    assert tg.sent_texts(CHAT) == ["sudah pulih"]


@ignore_retry_after_deprecation
async def test_faults_are_consumed_in_order(tg: FakeTelegramAPI, bot: Bot) -> None:
    tg.fail_next("SENDMESSAGE", kind="retry_after", retry_after=2, times=2)
    tg.fail_next("sendMessage", kind="forbidden")
    for _ in range(2):
        with pytest.raises(RetryAfter):
            await bot.send_message(CHAT, "x")
    with pytest.raises(Forbidden):
        await bot.send_message(CHAT, "x")
    await bot.send_message(CHAT, "x")
    assert [r.status for r in tg.requests("sendMessage")] == [429, 429, 403, 200]


def test_fail_next_rejects_unknown_kinds(tg: FakeTelegramAPI) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        tg.fail_next("sendMessage", kind="explode")


async def test_download_can_fail(tg: FakeTelegramAPI, bot: Bot) -> None:
    tg.add_file("f1", b"abc")
    tg.fail_next("downloadFile", kind="server_error")
    file = await bot.get_file("f1")
    with pytest.raises(NetworkError):
        await file.download_as_bytearray()
    assert bytes(await file.download_as_bytearray()) == b"abc"


# -- getUpdates --------------------------------------------------------------------------------


async def test_get_updates_serves_queued_updates_once(tg: FakeTelegramAPI, bot: Bot) -> None:
    factory = tu.UpdateFactory(first_update_id=1000)
    first = tg.queue_update(factory.text(CHAT, "/start"))
    second = tg.queue_update(factory.text(CHAT, "halo"))

    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first, second]
    assert updates[0].message is not None and updates[0].message.text == "/start"
    # Without an offset, unconfirmed updates are served again.
    assert len(await bot.get_updates(limit=1)) == 1

    assert await bot.get_updates(offset=second + 1) == ()
    third = tg.queue_update(factory.text(CHAT, "lagi"))
    assert [u.update_id for u in await bot.get_updates(offset=second + 1)] == [third]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == [third]
    assert await bot.get_updates(offset=third + 1) == ()
    assert tg.pending_updates == []

    request = tg.requests("getUpdates")[2]
    assert request.params == {"offset": second + 1}


async def test_get_updates_long_poll(tg: FakeTelegramAPI, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 2.0

    async def later() -> None:
        await asyncio.sleep(0.3)
        tg.queue_update(tu.text(CHAT, "datang"))

    started = time.monotonic()
    updates, _ = await asyncio.gather(
        bot.get_updates(timeout=10, allowed_updates=["message"]), later()
    )
    elapsed = time.monotonic() - started
    assert [u.message.text for u in updates if u.message] == ["datang"]
    assert 0.25 <= elapsed < 1.5
    assert tg.requests("getUpdates")[-1].params == {
        "timeout": 10,
        "allowed_updates": ["message"],
    }
    assert tg.allowed_updates == ["message"]


async def test_long_poll_is_capped() -> None:
    async with FakeTelegramAPI(long_poll_cap=0.3) as tg, make_bot(tg) as bot:
        started = time.monotonic()
        assert await bot.get_updates(timeout=30, read_timeout=5) == ()
        assert 0.25 <= time.monotonic() - started < 1.5


# -- rate enforcement --------------------------------------------------------------------------


def test_rate_limit_is_off_by_default(tg: FakeTelegramAPI) -> None:
    with httpx.Client(base_url=tg.api_url) as client:
        answers = [
            client.post("/sendMessage", data={"chat_id": CHAT, "text": f"m{i}"}) for i in range(40)
        ]
    assert {a.status_code for a in answers} == {200}
    assert tg.rate_violations == 0
    assert tg.accepted_send_times == []


@ignore_retry_after_deprecation
async def test_rate_limit_answers_429_like_telegram_and_counts_violations(
    bot: Bot, tg: FakeTelegramAPI
) -> None:
    tg.enforce_rate_limit(3)
    for chat in (CHAT, OTHER_CHAT, CHAT):  # the limit is over all chats together
        await bot.send_message(chat, "dalam batas")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(OTHER_CHAT, "lewat batas")
    assert retry_after_seconds(caught.value) == 1
    [refused] = tg.requests("sendMessage", successful=False)
    assert refused.status == 429
    assert refused.response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert tg.rate_violations == 1
    accepted = tg.accepted_send_times
    arrivals = [r.at for r in tg.requests("sendMessage", successful=True)]
    assert len(accepted) == 3
    assert all(a >= at for a, at in zip(accepted, arrivals, strict=True))
    assert tg.sent_texts(OTHER_CHAT) == ["dalam batas"]


def test_rate_limit_counts_sends_only_and_refused_sends_take_no_room(
    tg: FakeTelegramAPI,
) -> None:
    tg.enforce_rate_limit(2)
    with httpx.Client(base_url=tg.api_url) as client:

        def call(method: str, **data: Any) -> int:
            return client.post(f"/{method}", data={"chat_id": CHAT, **data}).status_code

        assert call("sendChatAction", action="typing") == 200
        assert call("getMe") == 200
        assert call("sendMessage", text="") == 400  # failed: gives its room back
        assert call("sendMessage", text="satu") == 200
        assert call("sendDocument", document="BQACAgUAAx-known") == 200
        assert call("sendChatAction", action="typing") == 200  # never limited
        assert call("sendPhoto", photo="AgACAgUAAx-known") == 429
        assert call("sendMessage", text="dua") == 429
    assert tg.rate_violations == 2
    assert len(tg.accepted_send_times) == 2
    tg.clear()
    assert (tg.rate_violations, tg.accepted_send_times) == (0, [])


def test_rate_limit_window_slides() -> None:
    with (
        FakeTelegramAPI(rate_limit=2, rate_window=0.6) as tg,
        httpx.Client(base_url=tg.api_url) as client,
    ):

        def send() -> int:
            return client.post("/sendMessage", data={"chat_id": CHAT, "text": "x"}).status_code

        assert send() == 200  # t = 0
        time.sleep(0.35)
        assert send() == 200  # t = 0.35
        assert send() == 429  # two in the last 0.6 s
        time.sleep(0.35)
        assert send() == 200  # t = 0.7: the first left the window, the second did not
        assert send() == 429
        tg.enforce_rate_limit(None)
        assert [send() for _ in range(5)] == [200] * 5
    assert tg.rate_violations == 2
    times = tg.accepted_send_times
    assert len(times) == 3
    assert times[1] - times[0] >= 0.3
    assert times[2] - times[0] >= 0.6


def test_rate_limit_rejects_nonsense(tg: FakeTelegramAPI) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        tg.enforce_rate_limit(0)
    with pytest.raises(ValueError, match="positive"):
        tg.enforce_rate_limit(30, window=0)


# -- parameter decoding across encodings -------------------------------------------------------


def test_query_json_and_multipart_parameters(tg: FakeTelegramAPI) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    with httpx.Client(base_url=tg.api_url) as client:
        by_query = client.get("/sendmessage", params={"chat_id": str(CHAT), "text": "[1, 2]"})
        by_json = client.post(
            "/SendMessage",
            json={"chat_id": str(CHAT), "text": "{not json}", "reply_markup": json.dumps(markup)},
        )
        by_multipart = client.post(
            "/sendMessage",
            data={"chat_id": str(CHAT), "text": "lampiran", "reply_markup": json.dumps(markup)},
            files={"document": ("laporan.pdf", b"%PDF-1.4 ...", "application/pdf")},
        )
    assert [r.status_code for r in (by_query, by_json, by_multipart)] == [200, 200, 200]
    assert by_json.json()["result"]["reply_markup"] == markup

    query, body, multipart = tg.requests("sendMessage")
    assert (query.http_method, query.params) == ("GET", {"chat_id": CHAT, "text": "[1, 2]"})
    assert body.content_type == "application/json"
    assert body.params == {"chat_id": CHAT, "text": "{not json}", "reply_markup": markup}
    assert multipart.content_type == "multipart/form-data"
    assert multipart.params["reply_markup"] == markup
    assert multipart.params["document"] == UploadedFile(
        "laporan.pdf", b"%PDF-1.4 ...", "application/pdf"
    )
    assert tg.sent_texts(CHAT) == ["[1, 2]", "{not json}", "lampiran"]


# -- sync use, waiting, recording --------------------------------------------------------------


def test_sync_use_and_wait_for(tg: FakeTelegramAPI) -> None:
    with httpx.Client() as client:
        reply = client.post(f"{tg.api_url}/sendMessage", data={"chat_id": CHAT, "text": "sync"})
    assert reply.json()["ok"] is True
    tg.wait_for(lambda t: t.sent_texts(CHAT) == ["sync"], timeout=1)

    with pytest.raises(AssertionError) as caught:
        tg.wait_for(lambda t: len(t.requests("sendMessage")) > 1, timeout=0.1)
    report = str(caught.value)
    assert "not met within 0.1s" in report
    assert "sendMessage -> 200" in report and "'sync'" in report

    tg.clear()
    assert tg.requests() == []


async def test_async_wait_for_does_not_block_the_loop(tg: FakeTelegramAPI, bot: Bot) -> None:
    async def reply_later() -> None:
        await asyncio.sleep(0.2)
        await bot.send_message(CHAT, "nanti")

    task = asyncio.create_task(reply_later())
    await tg.async_wait_for(lambda t: "nanti" in t.sent_texts(CHAT), timeout=3)
    await task
    with pytest.raises(AssertionError, match="not met"):
        await tg.async_wait_for(lambda t: False, timeout=0.05)


async def test_concurrent_requests_are_all_recorded(tg: FakeTelegramAPI, bot: Bot) -> None:
    messages = await asyncio.gather(*(bot.send_message(CHAT, f"m{i}") for i in range(40)))
    assert sorted(m.message_id for m in messages) == list(range(1, 41))
    records = tg.requests("sendMessage", CHAT, successful=True)
    assert len(records) == 40
    assert all(isinstance(r, RecordedRequest) for r in records)
    assert [r.at for r in records] == sorted(r.at for r in records)


async def test_latency_applies_to_every_request() -> None:
    async with FakeTelegramAPI(latency=0.2) as tg, make_bot(tg) as bot:
        started = time.monotonic()
        await bot.send_message(CHAT, "pelan")
        assert time.monotonic() - started >= 0.2


def test_restartable_and_stop_is_idempotent() -> None:
    fake = FakeTelegramAPI()
    fake.start()
    first = fake.base_url
    fake.stop()
    fake.stop()
    with fake, httpx.Client() as client:
        assert client.get(f"{fake.api_url}/getMe").json()["result"]["id"] == 123456
    assert first.startswith("http://127.0.0.1:")


# -- update factories parse into PTB objects ---------------------------------------------------


def parse(payload: dict[str, Any], bot: Bot) -> Update:
    """Round-trip through JSON (as the wire does) and let PTB parse it."""
    update = Update.de_json(json.loads(json.dumps(payload)), bot)
    assert update is not None
    return update


def test_update_factories_parse_into_ptb_objects() -> None:
    bot = Bot("123456:TEST-TOKEN")
    factory = tu.UpdateFactory(first_update_id=10, first_message_id=100)

    start = parse(factory.text(CHAT, "/start lapor", username="budi_s"), bot)
    assert start.update_id == 10
    assert start.message is not None
    assert start.message.text == "/start lapor"
    assert start.message.message_id == 100
    assert start.message.from_user is not None
    assert start.message.from_user.username == "budi_s"
    assert start.message.from_user.language_code == "id"
    assert start.message.chat.type == "private"
    assert start.message.chat.first_name == "Budi"
    assert start.message.parse_entities() == {start.message.entities[0]: "/start"}
    assert start.message.entities[0].type == "bot_command"
    assert (start.message.entities[0].offset, start.message.entities[0].length) == (0, 6)
    assert start.effective_user is not None and start.effective_user.id == CHAT

    plain = parse(factory.text(CHAT, "jalan rusak"), bot)
    assert plain.message is not None and plain.message.entities == ()

    rows = [[{"text": "Ya", "callback_data": "konfirmasi:ya"}]]
    pressed = parse(
        factory.callback(CHAT, "konfirmasi:ya", 7, "Kirim laporan?", inline_keyboard=rows), bot
    )
    query = pressed.callback_query
    assert isinstance(query, CallbackQuery)
    assert query.data == "konfirmasi:ya"
    assert query.chat_instance
    assert query.from_user.id == CHAT
    assert isinstance(query.message, Message)
    assert query.message.message_id == 7
    assert query.message.text == "Kirim laporan?"
    assert query.message.from_user is not None and query.message.from_user.is_bot
    assert query.message.reply_markup == InlineKeyboardMarkup.de_json(
        {"inline_keyboard": rows}, bot
    )

    where = parse(factory.location(CHAT, -6.2, 106.6), bot).message
    assert where is not None and where.location is not None
    assert (where.location.latitude, where.location.longitude) == (-6.2, 106.6)

    picture = parse(factory.photo(CHAT, "AgACfoto", caption="lubang"), bot).message
    assert picture is not None
    assert len(picture.photo) == 3
    assert picture.photo[-1].file_id == "AgACfoto"
    assert [p.file_size for p in picture.photo] == sorted(p.file_size or 0 for p in picture.photo)
    assert picture.caption == "lubang"

    doc = parse(factory.document(CHAT, "BQACdok", "foto.png", "image/png", 2048), bot).message
    assert doc is not None and doc.document is not None
    assert (doc.document.file_name, doc.document.mime_type, doc.document.file_size) == (
        "foto.png",
        "image/png",
        2048,
    )

    note = parse(factory.voice(CHAT, "AwACsuara", 5, 8000), bot).message
    assert note is not None and note.voice is not None
    assert note.voice.file_id == "AwACsuara"
    assert note.voice.file_size == 8000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        duration = note.voice.duration
    assert duration in (5, dtm.timedelta(seconds=5))

    sticker = parse(factory.sticker(CHAT), bot).message
    assert sticker is not None and sticker.sticker is not None
    assert sticker.sticker.type == "regular"
    assert sticker.text is None

    poll = parse(factory.poll(CHAT), bot).message
    assert poll is not None and poll.poll is not None
    assert [o.text for o in poll.poll.options] == ["Jl. Raya Serang", "Jl. Daan Mogot"]

    card = parse(factory.contact(CHAT, "+628111222333"), bot).message
    assert card is not None and card.contact is not None
    assert (card.contact.phone_number, card.contact.user_id) == ("+628111222333", CHAT)

    round_video = parse(factory.video_note(CHAT), bot).message
    assert round_video is not None and round_video.video_note is not None
    assert round_video.video_note.length == 384

    edited = parse(factory.edited_text(CHAT, 100, "jalan rusak parah"), bot)
    assert edited.message is None
    assert edited.edited_message is not None
    assert edited.edited_message.message_id == 100
    assert edited.edited_message.text == "jalan rusak parah"
    assert edited.edited_message.edit_date is not None
    assert edited.effective_message is edited.edited_message


def test_module_level_factories_count_up() -> None:
    first = tu.text(CHAT, "a")
    second = tu.sticker(CHAT)
    assert second["update_id"] == first["update_id"] + 1
    assert second["message"]["message_id"] > first["message"]["message_id"]
    assert set(first["message"]) == {"message_id", "from", "chat", "date", "text"}
    assert first["message"]["from"] == {
        "id": CHAT,
        "is_bot": False,
        "first_name": "Budi",
        "language_code": "id",
    }
