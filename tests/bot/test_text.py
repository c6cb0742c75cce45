"""`split_message`: replies cut to a channel's size limit without losing words."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from bot.text import split_message


def assert_well_formed(chunks: list[str], limit: int) -> None:
    """Every chunk is within the limit and has something in it."""
    assert chunks, "at least one chunk"
    for chunk in chunks:
        assert len(chunk) <= limit, (len(chunk), chunk)
        assert chunk.strip(), f"empty chunk in {chunks!r}"


def words_of(chunks: list[str]) -> list[str]:
    """The words of the chunks read one after another (a cut separates words)."""
    return " ".join(chunks).split()


def test_text_within_the_limit_is_returned_unchanged() -> None:
    text = "Laporan Bapak/Ibu sudah kami terima.\n\nNomor pelacakan: TNG-2026-000123. "
    assert split_message(text, limit=len(text)) == [text]
    assert split_message("", limit=10) == [""]
    assert split_message("x" * 4096) == ["x" * 4096]


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        split_message("abc", limit=0)


def test_splits_at_sentence_ends() -> None:
    text = "Terima kasih atas laporannya. Petugas akan memeriksa lokasi. Mohon ditunggu ya!"
    chunks = split_message(text, limit=40)
    assert chunks == [
        "Terima kasih atas laporannya.",
        "Petugas akan memeriksa lokasi.",
        "Mohon ditunggu ya!",
    ]


def test_packs_several_sentences_into_one_chunk_when_they_fit() -> None:
    text = "Satu. Dua. Tiga. Empat. Lima."
    chunks = split_message(text, limit=17)
    assert chunks == ["Satu. Dua. Tiga.", "Empat. Lima."]


def test_sentence_end_after_closing_quote_or_bracket() -> None:
    text = 'Ia berkata "jalan rusak." Lalu pergi (tanpa pamit.) Selesai.'
    chunks = split_message(text, limit=26)
    assert chunks == ['Ia berkata "jalan rusak."', "Lalu pergi (tanpa pamit.)", "Selesai."]


def test_splits_at_paragraph_breaks() -> None:
    first = "Ringkasan laporan"
    second = "Kategori: jalan rusak"
    text = f"{first}\n{second}\nLokasi: Balaraja"
    # The line break after the second line counts against the limit too.
    chunks = split_message(text, limit=len(first) + 1 + len(second) + 1)
    assert chunks == [f"{first}\n{second}", "Lokasi: Balaraja"]
    assert split_message(text, limit=len(second) + 1) == [first, second, "Lokasi: Balaraja"]


def test_questions_and_exclamations_end_sentences() -> None:
    text = "Apakah lokasinya sudah benar? Jika ya, tekan Kirim! Terima kasih."
    chunks = split_message(text, limit=30)
    assert chunks == ["Apakah lokasinya sudah benar?", "Jika ya, tekan Kirim!", "Terima kasih."]


def test_no_chunk_exceeds_the_limit_and_no_word_is_lost() -> None:
    paragraph = (
        "Jalan di depan SDN 1 berlubang besar. Sudah dua motor jatuh minggu ini! "
        "Apakah bisa segera diperbaiki? Warga sekitar sangat khawatir.\n\n"
    )
    text = paragraph * 40
    for limit in (30, 64, 100, 257, 1000, 4096):
        chunks = split_message(text, limit)
        assert_well_formed(chunks, limit)
        assert words_of(chunks) == text.split()
        assert len(chunks) > 1


def test_a_sentence_longer_than_the_limit_is_cut_between_words() -> None:
    sentence = " ".join(f"kata{i:03d}" for i in range(200)) + "."
    chunks = split_message(sentence, limit=50)
    assert_well_formed(chunks, 50)
    assert words_of(chunks) == sentence.split()
    for chunk in chunks[:-1]:
        # Cut between words: a chunk ends with a whole word, and the next word would not fit.
        assert chunk.split()[-1].startswith("kata")
        assert len(chunk.split()[-1]) == len("kata000")
    # Greedy: each chunk (but the last) is filled until the next word does not fit.
    for chunk, following in itertools.pairwise(chunks):
        assert len(chunk) + 1 + len(following.split()[0]) > 50


def test_a_long_sentence_between_short_ones_keeps_the_short_ones_whole() -> None:
    long_sentence = " ".join(["panjang"] * 30) + "."
    text = f"Awal. {long_sentence} Akhir."
    chunks = split_message(text, limit=60)
    assert_well_formed(chunks, 60)
    assert words_of(chunks) == text.split()
    assert chunks[-1].endswith("Akhir.")


def test_a_word_longer_than_the_limit_is_cut_anywhere() -> None:
    word = "".join(chr(ord("a") + i % 26) for i in range(10_000))
    chunks = split_message(word, limit=4096)
    assert [len(c) for c in chunks] == [4096, 4096, 10_000 - 2 * 4096]
    assert "".join(chunks) == word


def test_a_long_word_inside_a_sentence_keeps_the_words_around_it() -> None:
    url = "https://lapor.example/" + "x" * 150
    text = f"Lihat foto di {url} terima kasih."
    chunks = split_message(text, limit=60)
    assert_well_formed(chunks, 60)
    assert "".join("".join(chunks).split()) == "".join(text.split())
    assert chunks[0] == "Lihat foto di"
    assert chunks[1].startswith("https://lapor.example/")
    assert chunks[-1].endswith("kasih.")


def test_indonesian_text_with_abbreviations_keeps_every_word() -> None:
    text = (
        "Laporan dari Bpk. Ahmad Suryadi tentang Jl. Raya Serang km 20 No. 5 sudah diterima. "
        "Petugas Dinas PUPR, Sdr. Budi, akan menghubungi Ibu Siti. "
        "Terima kasih, Bapak/Ibu. Mohon tunggu kabar dari kami!\n\n"
    ) * 10
    for limit in (40, 80, 150, 400):
        chunks = split_message(text, limit)
        assert_well_formed(chunks, limit)
        assert words_of(chunks) == text.split()


@pytest.mark.parametrize("phrase", ["Bpk. Budi", "Sdr. Budi", "Jl. Melati", "No. 12"])
def test_abbreviation_is_not_taken_for_a_sentence_end(phrase: str) -> None:
    """An abbreviation must not end a chunk when a real sentence end can.

    "Bpk. Budi" or "Jl. Melati" is one phrase; cutting after "Bpk." sends the title and
    the name as two messages although "Laporan diterima." offers a clean cut.
    """
    second = f"Tujuan: {phrase} di Balaraja, kami kabari besok pagi."
    text = f"Laporan diterima. {second}"
    chunks = split_message(text, limit=len(second) + 2)
    assert chunks == ["Laporan diterima.", second]


def test_whitespace_at_the_start_of_a_long_piece_gives_no_empty_chunk() -> None:
    """An indented paragraph longer than the limit must not produce an empty message."""
    text = "Judul\n   " + "a" * 100
    chunks = split_message(text, limit=20)
    assert_well_formed(chunks, 20)
    assert "".join("".join(chunks).split()) == "".join(text.split())


def test_a_word_that_fits_is_not_cut_after_leading_whitespace() -> None:
    """A word of exactly `limit` characters fits in a chunk of its own: it must stay whole."""
    word = "b" * 20
    text = f"Judul\n {word} akhir"
    chunks = split_message(text, limit=20)
    assert_well_formed(chunks, 20)
    assert words_of(chunks) == text.split()


def test_whitespace_only_text_longer_than_the_limit_gives_no_empty_chunk() -> None:
    chunks = split_message(" " * 50 + "\n" * 50, limit=20)
    assert all(chunk.strip() for chunk in chunks), chunks


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzBpkJl0123456789/,'-", min_size=1, max_size=50)
_END = st.sampled_from(["", "", "", ".", "!", "?", '."', ".)", ","])
_SEPARATOR = st.sampled_from([" ", " ", " ", " ", "  ", "\n", "\n\n", " \n", "\n  ", "\t"])


@st.composite
def texts(draw: st.DrawFn) -> str:
    """Word-like tokens with sentence ends, spaces, line and paragraph breaks between."""
    tokens = draw(st.lists(st.tuples(_WORD, _END), min_size=1, max_size=60))
    parts = [draw(st.sampled_from(["", "", "", " ", "\n", "  "]))]
    for word, end in tokens:
        parts.append(word + end)
        parts.append(draw(_SEPARATOR))
    return "".join(parts)


# Small limits more often: that is where long words and cuts show up. No "explain"
# phase: it adds half a minute to a failure and tells little here.
_LIMIT = st.one_of(
    st.integers(min_value=20, max_value=45), st.integers(min_value=20, max_value=500)
)


@settings(max_examples=300, deadline=None, phases=[p for p in Phase if p is not Phase.explain])
@given(text=texts(), limit=_LIMIT)
def test_property_chunks_fit_are_not_empty_and_keep_the_words(text: str, limit: int) -> None:
    chunks = split_message(text, limit)
    assert_well_formed(chunks, limit)
    # Nothing but whitespace is lost, and the order is kept...
    assert "".join("".join(chunks).split()) == "".join(text.split())
    # ...and a word that fits in a message is never cut in two.
    if max(len(word) for word in text.split()) <= limit:
        assert words_of(chunks) == text.split()
