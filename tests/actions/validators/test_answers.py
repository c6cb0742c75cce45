"""Reading yes/no, privacy, attachment and report-type answers with extra words."""

from __future__ import annotations

import pytest

from actions.validators.answers import (
    ANONYMOUS,
    ASPIRATION,
    COMPLAINT,
    CONFIDENTIAL,
    INFORMATION,
    NO_ATTACHMENT,
    PUBLIC,
    WILL_SEND,
    read_attachment_answer,
    read_no_attachment,
    read_privacy,
    read_report_type,
    read_yes_no,
    words_of,
)

YES = [
    "iya", "ya", "yoi", "bener", "betul", "leres", "muhun", "nggih", "enggeh", "sip", "ok",
    "oke", "yes", "boleh", "mangga", "iya bener", "ya pak betul", "Iyaaa", "okee", "iye bang",
    "sudah benar pak", "betul sekali", "that's right", "yes please", "Yeah", "tidak salah",
    "gpp", "gak papa", "hooh", "siap pak", "oh iya bener",
]  # fmt: skip
NO = [
    "bukan", "salah", "tidak", "nggak", "gak", "gk", "teu", "henteu", "mboten", "no",
    "bukan pak", "bukan, salah", "tidak, salah", "iya, eh bukan", "nope", "not really",
    "kagak", "ora", "sanes", "gakk", "ya gak", "salah pak, bukan di situ", "no, wrong",
]  # fmt: skip
NEITHER = [
    "", "   ", "jalan rusak ya pak", "jalan rusak, tidak bisa lewat", "no 12", "lokasi di cikupa",
    "hmm", "pak", "saya kurang tahu", "kemarin sore",
]  # fmt: skip


@pytest.mark.parametrize("text", YES)
def test_yes(text: str) -> None:
    assert read_yes_no(text) is True


@pytest.mark.parametrize("text", NO)
def test_no(text: str) -> None:
    assert read_yes_no(text) is False


@pytest.mark.parametrize("text", NEITHER)
def test_neither_yes_nor_no(text: str) -> None:
    assert read_yes_no(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Iyaaa bener!!", ["iya", "bener"]),
        ("gakk", ["gak"]),
        ("gpp", ["gpp"]),
        ("no. 12", ["no", "12"]),
        ("don't", ["dont"]),
    ],
)
def test_words_of(text: str, expected: list[str]) -> None:
    assert words_of(text) == expected


def test_words_of_keeps_clause_marks_when_asked() -> None:
    assert words_of("bukan, salah!", clauses=True) == ["bukan", ",", "salah", ","]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("anonim pak, jgn sampe ketauan sy yg lapor", ANONYMOUS),
        ("anonim", ANONYMOUS),
        ("anonimm aja", ANONYMOUS),
        ("nama saya jangan ditampilkan", ANONYMOUS),
        ("identitas saya dirahasiakan", ANONYMOUS),
        ("sembunyikan nama saya", ANONYMOUS),
        ("takut ketahuan", ANONYMOUS),
        ("anonymous please", ANONYMOUS),
        ("rahasia aja, takut", CONFIDENTIAL),
        ("rahasiah", CONFIDENTIAL),
        ("jangan dipublikasikan", CONFIDENTIAL),
        ("keep it confidential", CONFIDENTIAL),
        ("private", CONFIDENTIAL),
        ("biasa aja", PUBLIC),
        ("publik", PUBLIC),
        ("boleh ditampilkan", PUBLIC),
        ("public is fine", PUBLIC),
        ("ga usah dirahasiakan", PUBLIC),
        ("tidak perlu anonim", PUBLIC),
        ("terbuka saja", PUBLIC),
        ("jalan rusak", None),
        ("terserah", None),
        ("", None),
    ],
)
def test_read_privacy(text: str, expected: str | None) -> None:
    assert read_privacy(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gk ada pak", NO_ATTACHMENT),
        ("teu aya", NO_ATTACHMENT),
        ("tidak ada foto", NO_ATTACHMENT),
        ("nanti aja", NO_ATTACHMENT),
        ("skip", NO_ATTACHMENT),
        ("no", NO_ATTACHMENT),
        ("gaada", NO_ATTACHMENT),
        ("ora ono", NO_ATTACHMENT),
        ("mboten wonten", NO_ATTACHMENT),
        ("ga bisa kirim", NO_ATTACHMENT),
        ("gak usah kirim", NO_ATTACHMENT),
        ("belum ada", NO_ATTACHMENT),
        ("no photo", NO_ATTACHMENT),
        ("tidak", NO_ATTACHMENT),
        ("mangga kirim", WILL_SEND),
        ("ada, sebentar", WILL_SEND),
        ("nanti saya kirim", WILL_SEND),
        ("ini fotonya", WILL_SEND),
        ("iya ada", WILL_SEND),
        ("sure, sending it now", WILL_SEND),
        ("jalan rusak parah", None),
        ("", None),
    ],
)
def test_read_attachment_answer(text: str, expected: str | None) -> None:
    assert read_attachment_answer(text) == expected
    assert read_no_attachment(text) is (expected == NO_ATTACHMENT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("keluhan", COMPLAINT),
        ("mau ngadu", COMPLAINT),
        ("pengaduan", COMPLAINT),
        ("I want to complain", COMPLAINT),
        ("lapor jalan rusak", COMPLAINT),
        ("usul aja", ASPIRATION),
        ("saran buat pemda", ASPIRATION),
        ("aspirasi", ASPIRATION),
        ("I have a suggestion", ASPIRATION),
        ("bukan keluhan, cuma saran", ASPIRATION),
        ("laporan, isinya usulan", ASPIRATION),
        ("mau tanya info", INFORMATION),
        ("permintaan informasi", INFORMATION),
        ("just a question", INFORMATION),
        ("halo", None),
        ("", None),
    ],
)
def test_read_report_type(text: str, expected: str | None) -> None:
    assert read_report_type(text) == expected
