"""Rasa buttons as reply buttons or lists; message bodies; a reply as WhatsApp messages."""

from __future__ import annotations

import pytest

from bot.rasa import BotReply, Button
from bot.shared_state import MemoryState
from bot.whatsapp.compose import (
    FALLBACK_TEXTS,
    LIST_BUTTON,
    MORE_CHOICES,
    ChoiceTexts,
    ReplyComposer,
    choice_texts,
    gateway_text,
)
from bot.whatsapp.interactive import (
    MAX_BUTTON_ID,
    MAX_ROW_ID,
    Choice,
    PayloadCodec,
    body_limit,
    interactive_messages,
    list_message,
    reply_buttons,
    truncate,
    unique,
)
from bot.whatsapp.messages import (
    envelope,
    image_message,
    read_receipt,
    template_message,
    template_parameter,
    text_message,
)

TEXTS = ChoiceTexts(list_button="Lihat pilihan", more_choices="Pilihan lainnya:")


def choices(count: int, title: str = "Pilihan {n}") -> list[Choice]:
    return [Choice(f"/c{n}", title.format(n=n)) for n in range(count)]


# --- titles and limits -------------------------------------------------------------------


def test_truncate_cuts_with_an_ellipsis_only_when_needed() -> None:
    assert truncate("Sampah", 20) == "Sampah"
    assert truncate("x" * 20, 20) == "x" * 20
    assert truncate("Infrastruktur jalan dan jembatan", 20) == "Infrastruktur jalan…"
    assert len(truncate("y" * 50, 24)) == 24
    assert truncate("  spasi   ganda \n baris ", 30) == "spasi ganda baris"


def test_one_to_three_choices_are_reply_buttons() -> None:
    message = reply_buttons("Kirim laporan?", choices(3, "Judul yang sangat panjang {n}"))
    assert message["type"] == "button"
    assert message["body"] == {"text": "Kirim laporan?"}
    buttons = message["action"]["buttons"]
    assert [b["reply"]["id"] for b in buttons] == ["/c0", "/c1", "/c2"]
    assert all(b["type"] == "reply" for b in buttons)
    assert all(len(b["reply"]["title"]) <= 20 for b in buttons)
    assert buttons[0]["reply"]["title"] == "Judul yang sangat p…"


@pytest.mark.parametrize(("count", "body"), [(0, "Pilih"), (4, "Pilih"), (2, "  ")])
def test_reply_buttons_refuse_what_whatsapp_refuses(count: int, body: str) -> None:
    with pytest.raises(ValueError):
        reply_buttons(body, choices(count))


def test_a_list_has_up_to_ten_rows_and_keeps_long_titles_in_the_description() -> None:
    items = choices(10)
    items[3] = Choice("/long", "Pelayanan administrasi kependudukan dan catatan sipil")
    message = list_message("Kategori?", items, "Lihat kategori sekarang juga")
    assert message["type"] == "list"
    assert message["action"]["button"] == "Lihat kategori seka…"
    [section] = message["action"]["sections"]
    assert len(section["rows"]) == 10
    long_row = section["rows"][3]
    assert long_row["title"] == "Pelayanan administrasi…"
    assert len(long_row["title"]) <= 24
    assert long_row["description"] == "Pelayanan administrasi kependudukan dan catatan sipil"
    assert "description" not in section["rows"][0]


def test_a_description_is_cut_to_72_characters() -> None:
    message = list_message("?", [Choice("/x", "kata " * 30)], "Pilih")
    description = message["action"]["sections"][0]["rows"][0]["description"]
    assert len(description) == 72 and description.endswith("…")


@pytest.mark.parametrize(("count", "label"), [(0, "Pilih"), (11, "Pilih"), (3, " ")])
def test_lists_refuse_what_whatsapp_refuses(count: int, label: str) -> None:
    with pytest.raises(ValueError):
        list_message("Kategori?", choices(count), label)


@pytest.mark.parametrize(
    ("count", "shapes"),
    [
        (1, [("button", 1)]),
        (3, [("button", 3)]),
        (4, [("list", 4)]),
        (10, [("list", 10)]),
        (11, [("list", 10), ("list", 1)]),
        (18, [("list", 10), ("list", 8)]),
        (25, [("list", 10), ("list", 10), ("list", 5)]),
    ],
)
def test_the_3_and_10_limits_decide_buttons_lists_and_pages(
    count: int, shapes: list[tuple[str, int]]
) -> None:
    messages = interactive_messages("Pilih:", choices(count), "Lihat", "Lainnya:")
    found = []
    for message in messages:
        if message["type"] == "button":
            found.append(("button", len(message["action"]["buttons"])))
        else:
            found.append(("list", len(message["action"]["sections"][0]["rows"])))
    assert found == shapes
    bodies = [m["body"]["text"] for m in messages]
    assert bodies[0] == "Pilih:" and all(b == "Lainnya:" for b in bodies[1:])


def test_repeated_ids_are_dropped_and_nothing_is_nothing() -> None:
    repeated = [Choice("/a", "A"), Choice("/b", "B"), Choice("/a", "A lagi")]
    assert unique(repeated) == [Choice("/a", "A"), Choice("/b", "B")]
    assert interactive_messages("?", [], "Lihat", "Lainnya") == []


def test_body_limits() -> None:
    assert body_limit(3) == 1024
    assert body_limit(4) == 4096


# --- payload IDs -------------------------------------------------------------------------


async def test_short_payloads_are_their_own_ids_and_long_ones_are_stored() -> None:
    codec = PayloadCodec(MemoryState())
    assert await codec.encode("/affirm") == "/affirm"
    long_payload = '/inform{"complaint_category": "' + "x" * 300 + '"}'
    reply_id = await codec.encode(long_payload, MAX_BUTTON_ID)
    assert reply_id.startswith("#") and len(reply_id) <= MAX_ROW_ID
    assert await codec.decode(reply_id) == long_payload
    assert await codec.decode("/affirm") == "/affirm"
    assert await codec.decode("#" + "f" * 32) is None
    assert await codec.encode("#looks-stored") != "#looks-stored"


async def test_the_id_limit_depends_on_buttons_or_rows() -> None:
    codec = PayloadCodec(MemoryState())
    payload = "/" + "p" * 220
    assert await codec.encode(payload, MAX_BUTTON_ID) == payload
    assert await codec.encode(payload, MAX_ROW_ID) != payload


# --- message bodies ----------------------------------------------------------------------


def test_message_bodies_in_metas_shapes() -> None:
    assert envelope("628111", text_message("halo")) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "628111",
        "type": "text",
        "text": {"preview_url": False, "body": "halo"},
    }
    assert image_message("https://x/y.png", "peta") == {
        "type": "image",
        "image": {"link": "https://x/y.png", "caption": "peta"},
    }
    assert read_receipt("wamid.A") == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.A",
    }
    assert read_receipt("wamid.A", typing=True)["typing_indicator"] == {"type": "text"}


def test_templates_with_and_without_parameters() -> None:
    assert template_message("status_laporan", "id") == {
        "type": "template",
        "template": {"name": "status_laporan", "language": {"code": "id"}},
    }
    with_params = template_message("status_laporan", "id", ["TNG-1", "Selesai"])
    [component] = with_params["template"]["components"]
    assert component == {
        "type": "body",
        "parameters": [{"type": "text", "text": "TNG-1"}, {"type": "text", "text": "Selesai"}],
    }


def test_template_parameters_are_one_line_and_never_empty() -> None:
    assert template_parameter("Selesai\n\ndicek\toleh     petugas") == "Selesai dicek oleh petugas"
    assert template_parameter("   ") == "-"
    long = template_parameter("x" * 2000)
    assert len(long) == 1000 and long.endswith("…")


# --- a reply as messages -----------------------------------------------------------------


async def test_a_reply_with_buttons_ends_in_the_interactive_message() -> None:
    composer = ReplyComposer(PayloadCodec(MemoryState()), {"id": TEXTS})
    reply = BotReply(
        text="Kirim laporan?", buttons=(Button("Kirim", "/affirm"), Button("Batal", "/deny"))
    )
    [message] = await composer.messages(reply)
    assert message["type"] == "interactive"
    assert message["interactive"]["body"]["text"] == "Kirim laporan?"


async def test_buttons_without_text_get_a_body() -> None:
    composer = ReplyComposer(PayloadCodec(MemoryState()), {"id": TEXTS})
    [message] = await composer.messages(BotReply(buttons=(Button("Ya", "/affirm"),)))
    assert message["interactive"]["body"]["text"] == TEXTS.more_choices


async def test_text_then_image_and_nothing_for_an_empty_reply() -> None:
    composer = ReplyComposer(PayloadCodec(MemoryState()), {"id": TEXTS})
    messages = await composer.messages(BotReply(text="Peta:", image="https://x/p.png"))
    assert [m["type"] for m in messages] == ["text", "image"]
    assert await composer.messages(BotReply(text="   ")) == []


async def test_labels_follow_the_language_and_indonesian_is_required() -> None:
    english = ChoiceTexts(list_button="See choices", more_choices="More choices:")
    composer = ReplyComposer(PayloadCodec(MemoryState()), {"id": TEXTS, "en": english})
    reply = BotReply(text="Which?", buttons=tuple(Button(f"B{n}", f"/b{n}") for n in range(5)))
    [in_english] = await composer.messages(reply, "en")
    [in_indonesian] = await composer.messages(reply, "jv")
    assert in_english["interactive"]["action"]["button"] == "See choices"
    assert in_indonesian["interactive"]["action"]["button"] == TEXTS.list_button
    with pytest.raises(ValueError):
        ReplyComposer(PayloadCodec(MemoryState()), {"en": english})


def test_choice_texts_in_each_language() -> None:
    texts = choice_texts(lambda name, language: f"{name}/{language}")
    assert texts["en"] == ChoiceTexts(f"{LIST_BUTTON}/en", f"{MORE_CHOICES}/en")
    assert set(texts) == {"id", "en"}


def test_gateway_texts_fall_back_until_domain_has_them() -> None:
    def missing(name: str, language: str) -> str:
        raise KeyError(name)

    assert gateway_text(missing, LIST_BUTTON, "id") == FALLBACK_TEXTS[LIST_BUTTON]
    assert gateway_text(lambda name, language: f"{name}:{language}", LIST_BUTTON, "en") == (
        f"{LIST_BUTTON}:en"
    )
