"""Free-text checks: description length, privacy choice, skipping an optional step."""

from __future__ import annotations

import pytest

from actions.validators.text import (
    ANONYMOUS,
    CONFIDENTIAL,
    MAX_DESCRIPTION_CHARS,
    PUBLIC,
    TOO_LONG,
    TOO_SHORT,
    description_problem,
    is_skip,
    privacy_from_text,
)


@pytest.mark.parametrize(
    "text",
    [
        "rusak",
        "jalan rusak",
        "tolong",
        "ada masalah",
        "",
        "    ",
        "tolong pak ada masalah di sini",
        "rusak rusak rusak rusak rusak",  # one word, repeated
        "jalan rusak parah",  # three words
        "a b c d e f g",  # no word of two letters
        "!!! ??? ...",
    ],
)
def test_thin_descriptions_are_too_short(text: str) -> None:
    assert description_problem(text) == TOO_SHORT


@pytest.mark.parametrize(
    "text",
    [
        "jalan depan rumah saya berlubang besar",
        "lampu jalan mati di gang mawar",
        "Sampah menumpuk di pinggir jalan raya Serang km 20 sudah seminggu tidak diangkut.",
        "the street light in front of my house is broken",
        "x" * 10 + " jalan berlubang sangat dalam " + "y" * (MAX_DESCRIPTION_CHARS - 40),
    ],
)
def test_usable_descriptions(text: str) -> None:
    assert description_problem(text) is None


def test_descriptions_over_4000_characters_are_too_long() -> None:
    body = "jalan depan rumah saya berlubang besar. "
    assert description_problem((body * 200)[:MAX_DESCRIPTION_CHARS]) is None
    assert description_problem(body * 200) == TOO_LONG
    # Surrounding whitespace does not count.
    assert description_problem("  " + (body * 200)[:MAX_DESCRIPTION_CHARS] + "\n  ") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("publik", PUBLIC),
        ("public", PUBLIC),
        ("Public", PUBLIC),
        ("biasa aja", PUBLIC),
        ("biasa saja", PUBLIC),
        ("umum", PUBLIC),
        ("tidak apa-apa", PUBLIC),
        ("gpp", PUBLIC),
        ("tidak usah anonim", PUBLIC),  # negated choice
        ("gak rahasia", PUBLIC),
        ("boleh dipublikasikan", PUBLIC),
        ("anonim", ANONYMOUS),
        ("Anonim aja kak", ANONYMOUS),
        ("anonymous", ANONYMOUS),
        ("sembunyikan nama saya", ANONYMOUS),
        ("tolong disembunyikan namanya", ANONYMOUS),
        ("rahasiakan identitas saya", ANONYMOUS),  # the identity, not the report
        ("jangan tampilkan nama saya", ANONYMOUS),
        ("tanpa nama", ANONYMOUS),
        ("hide my name", ANONYMOUS),
        ("rahasia", CONFIDENTIAL),
        ("dirahasiakan", CONFIDENTIAL),
        ("RAHASIA!", CONFIDENTIAL),
        ("jangan dipublikasikan", CONFIDENTIAL),
        ("tidak mau dipublikasikan", CONFIDENTIAL),
        ("jangan diumumkan", CONFIDENTIAL),
        ("confidential", CONFIDENTIAL),
        ("private", CONFIDENTIAL),
        ("don't publish it", CONFIDENTIAL),
    ],
)
def test_privacy_from_text(text: str, expected: str) -> None:
    assert privacy_from_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "terserah",
        "hmm",
        "no",
        "anonim dan rahasia",  # two different choices: the bot asks with buttons
        "nama saya boleh ditampilkan",
    ],
)
def test_unclear_privacy_answers(text: str) -> None:
    assert privacy_from_text(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "tidak ada",
        "gak ada",
        "ga ada foto",
        "ga ada fotonya kak",
        "tdk ada",
        "lewati",
        "skip",
        "Skip!",
        "lanjut",
        "nanti aja",
        "nanti saja",
        "no photo",
        "no",
        "tidak",
        "gak usah",
        "belum ada foto",
    ],
)
def test_skips(text: str) -> None:
    assert is_skip(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ya",
        "ini fotonya",
        "tidak ada lampu di jalan",  # a description, not a refusal
        "ada",
        "foto",
    ],
)
def test_not_skips(text: str) -> None:
    assert not is_skip(text)
