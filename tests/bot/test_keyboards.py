"""Rasa buttons as Telegram inline keyboards, and back from a tapped button."""

from __future__ import annotations

import json

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.rasa import Button
from bot.shared_state import MemoryState
from bot.telegram.keyboards import (
    MAX_CALLBACK_BYTES,
    PAYLOAD_TTL_SECONDS,
    SHORT_TITLE,
    ButtonCodec,
    chosen_title,
)
from tests.bot.fakes import FakeClock


def long_payload(value: str = "jalan_jembatan") -> str:
    category = f"{value}_" + "x" * 60 + "_kecamatan_balaraja"
    return "/choose_category" + json.dumps({"category": category})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def codec(clock: FakeClock) -> ButtonCodec:
    return ButtonCodec(MemoryState(clock=clock))


async def test_short_payload_passes_through(codec: ButtonCodec) -> None:
    payload = '/choose_category{"category": "jalan"}'
    assert await codec.encode(payload) == payload
    assert await codec.decode(payload) == payload


async def test_payload_of_exactly_64_bytes_passes_through(codec: ButtonCodec) -> None:
    payload = "/x" + "a" * (MAX_CALLBACK_BYTES - 2)
    assert len(payload.encode()) == MAX_CALLBACK_BYTES
    assert await codec.encode(payload) == payload


async def test_long_payload_is_stored_under_a_short_key(codec: ButtonCodec) -> None:
    payload = long_payload()
    assert len(payload.encode()) > MAX_CALLBACK_BYTES
    key = await codec.encode(payload)
    assert key.startswith("#")
    assert len(key.encode()) <= MAX_CALLBACK_BYTES
    assert await codec.decode(key) == payload
    # Encoding the same payload again gives the same key; another payload another key.
    assert await codec.encode(payload) == key
    assert await codec.encode(long_payload("lampu_jalan")) != key


async def test_payload_short_in_characters_but_long_in_bytes_is_stored(
    codec: ButtonCodec,
) -> None:
    payload = "/choose_category" + json.dumps({"category": "é" * 20}, ensure_ascii=False)
    assert len(payload) <= MAX_CALLBACK_BYTES < len(payload.encode())
    key = await codec.encode(payload)
    assert key != payload
    assert len(key.encode()) <= MAX_CALLBACK_BYTES
    assert await codec.decode(key) == payload


async def test_stored_payload_can_be_decoded_by_another_codec_on_the_same_state(
    clock: FakeClock,
) -> None:
    state = MemoryState(clock=clock)
    key = await ButtonCodec(state).encode(long_payload())
    assert await ButtonCodec(state).decode(key) == long_payload()


async def test_stored_payload_expires(codec: ButtonCodec, clock: FakeClock) -> None:
    key = await codec.encode(long_payload())
    clock.advance(PAYLOAD_TTL_SECONDS - 1)
    assert await codec.decode(key) == long_payload()
    clock.advance(2)
    assert await codec.decode(key) is None


async def test_unknown_stored_key_decodes_to_none(codec: ButtonCodec) -> None:
    assert await codec.decode("#" + "0" * 32) is None
    assert await codec.decode("#") is None


async def test_payload_starting_with_hash_is_stored_too(codec: ButtonCodec) -> None:
    payload = "#hashtag"
    key = await codec.encode(payload)
    assert key != payload
    assert key.startswith("#")
    assert len(key.encode()) <= MAX_CALLBACK_BYTES
    assert await codec.decode(key) == payload


def buttons_of(titles: list[str]) -> list[Button]:
    return [Button(title=t, payload=f"/inform{json.dumps({'n': i})}") for i, t in enumerate(titles)]


def layout(markup: InlineKeyboardMarkup) -> list[list[str]]:
    return [[button.text for button in row] for row in markup.inline_keyboard]


async def test_keyboard_puts_two_short_titles_in_a_row(codec: ButtonCodec) -> None:
    markup = await codec.keyboard(buttons_of(["Ya", "Tidak", "Batal"]))
    assert layout(markup) == [["Ya", "Tidak"], ["Batal"]]
    short = "a" * SHORT_TITLE
    markup = await codec.keyboard(buttons_of([short, short]))
    assert layout(markup) == [[short, short]]


async def test_keyboard_puts_long_titles_one_a_row(codec: ButtonCodec) -> None:
    titles = ["Jalan dan jembatan rusak", "Ya", "Lampu jalan mati", "Tidak"]
    markup = await codec.keyboard(buttons_of(titles))
    assert layout(markup) == [[t] for t in titles]
    just_over = "a" * (SHORT_TITLE + 1)
    assert layout(await codec.keyboard(buttons_of([just_over, "b"]))) == [[just_over], ["b"]]


async def test_keyboard_callback_data_fit_and_decode_back(codec: ButtonCodec) -> None:
    buttons = [
        Button("Jalan", '/choose_category{"category": "jalan_jembatan"}'),
        Button("Sampah", long_payload("persampahan")),
        Button("Banjir", long_payload("drainase_dan_banjir")),
        Button("#lainnya", "#lainnya"),
    ]
    markup = await codec.keyboard(buttons)
    flat: list[InlineKeyboardButton] = [b for row in markup.inline_keyboard for b in row]
    assert [b.text for b in flat] == [b.title for b in buttons]
    for sent, button in zip(flat, buttons, strict=True):
        assert isinstance(sent.callback_data, str)
        assert len(sent.callback_data.encode()) <= MAX_CALLBACK_BYTES
        assert await codec.decode(sent.callback_data) == button.payload


async def test_empty_keyboard(codec: ButtonCodec) -> None:
    markup = await codec.keyboard([])
    assert layout(markup) == []


def test_chosen_title() -> None:
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Ya", callback_data="/affirm")],
            [
                InlineKeyboardButton("Tidak", callback_data="/deny"),
                InlineKeyboardButton("Kategori lain", callback_data="#abc"),
            ],
        ]
    )
    assert chosen_title(markup, "/affirm") == "Ya"
    assert chosen_title(markup, "/deny") == "Tidak"
    assert chosen_title(markup, "#abc") == "Kategori lain"
    assert chosen_title(markup, "/unknown") is None
    assert chosen_title(None, "/affirm") is None
