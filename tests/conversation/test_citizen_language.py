"""Regression tests of issue 14, through the real stack (Rasa REST channel, actions, backend).

Each test is a failure citizens met: corrections that lost the report, what was said
asked again, places that looped, choices with extra words refused, dates with no way
forward, a question read as a cancel, emergencies misread, status right after filing.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from tests.conversation.citizen import Chat, questions_in
from tests.conversation.conftest import Assistant

_senders = itertools.count(1)
FIRST_MESSAGE = (
    "Assalamualaikum pak, saya mau lapor jalan di desa sukamulya kec sukamulya rusak parah "
    "banyak lubang, kemarin sore motor anak saya jatuh disitu"
)


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()


def chat(assistant: Assistant, language: str = "id") -> Chat:
    number = next(_senders)
    meta = {"channel": "telegram", "chat_id": f"14{number}", "display_name": "Warga"}
    return Chat(assistant, f"telegram:14{number:04d}{language}", meta)


def reach_summary(citizen: Chat) -> str:
    """A complete report from the long first message, confirmed by yes/no answers."""
    citizen.say(FIRST_MESSAGE)
    assert "Lokasinya di Desa Suka Mulya, Kec. Sukamulya?" in citizen.text("ya")
    answer = citizen.text("leres")
    if "laporan serupa" in answer:  # an earlier test's report in the same desa (issue 18)
        answer = citizen.text("bukan, ini laporan baru")
    assert "Kejadiannya" in answer, citizen.transcript()
    assert "boleh dilihat siapa" in citizen.text("muhun")
    assert "foto" in citizen.text("publik aja")
    summary = citizen.text("gk ada pak")
    assert "Mohon periksa laporan" in summary, citizen.transcript()
    return summary


# --- 1. corrections ------------------------------------------------------------------


def test_menu_button_correction_files_the_new_location(assistant: Assistant) -> None:
    citizen = chat(assistant)
    reach_summary(citizen)
    assert "Bagian mana" in citizen.tap("Ubah")
    assert "Di mana lokasinya" in citizen.tap("Lokasi")
    summary = citizen.text("simpang Bitung, Curug")
    assert "Lokasi: simpang Bitung, Curug" in summary, citizen.transcript()
    assert "Nomor laporan" in citizen.text("ya")
    report = citizen.report()
    assert report["location"]["text"] == "simpang Bitung, Curug"
    assert report["location"]["kecamatan"] == "Curug"


def test_raw_change_field_payload_works(assistant: Assistant) -> None:
    citizen = chat(assistant)
    reach_summary(citizen)
    asked = citizen.text('/change_field{"field":"complaint_location"}')
    assert "Di mana lokasinya" in asked, citizen.transcript()
    assert "Lokasi: SDN Kemiri 2, Kemiri" in citizen.text("SDN Kemiri 2, Kemiri")


@pytest.mark.parametrize(
    ("correction", "answer", "check"),
    [
        ("ubah lokasi", "depan kantor desa Bojong Nangka", ("location", "kecamatan", "Kelapa Dua")),
        ("eh tanggalnya salah", "3 hari lalu", ("incident_date", None, 3)),
        ("ganti privasinya", "rahasia aja, takut", ("privacy", None, "confidential")),
    ],
)
def test_free_text_corrections_ask_again_and_file_the_new_value(
    assistant: Assistant, correction: str, answer: str, check: tuple[str, str | None, object]
) -> None:
    citizen = chat(assistant)
    reach_summary(citizen)
    asked = citizen.say(correction)
    assert questions_in(asked) == 1, citizen.transcript()
    assert "Mohon periksa laporan" in citizen.text(answer), citizen.transcript()
    assert "Nomor laporan" in citizen.text("ya")
    report = citizen.report()
    key, sub, expected = check
    if key == "incident_date":
        assert report[key] == (today() - dt.timedelta(days=int(str(expected)))).isoformat()
    elif sub:
        assert report[key][sub] == expected
    else:
        assert report[key] == expected


def test_the_part_to_change_can_be_typed(assistant: Assistant) -> None:
    citizen = chat(assistant)
    reach_summary(citizen)
    assert "Bagian mana" in citizen.tap("Ubah")
    assert "Kapan kejadiannya" in citizen.text("tanggal"), citizen.transcript()
    assert "Mohon periksa laporan" in citizen.text("2 hari lalu")
    citizen.text("ya")
    assert citizen.report()["incident_date"] == (today() - dt.timedelta(days=2)).isoformat()


def test_nothing_to_change_after_all_shows_the_summary(assistant: Assistant) -> None:
    citizen = chat(assistant)
    reach_summary(citizen)
    assert "Bagian mana" in citizen.text("bukan")
    assert "Mohon periksa laporan" in citizen.text("ga jadi, udah bener"), citizen.transcript()
    assert "Nomor laporan" in citizen.text("kirim")


def test_correction_with_its_value_comes_back_to_the_summary(assistant: Assistant) -> None:
    citizen = chat(assistant)
    reach_summary(citizen)
    summary = citizen.text("lokasinya harusnya di Curug")
    assert "Mohon periksa laporan" in summary, citizen.transcript()
    assert "Lokasi: Curug" in summary
    citizen.text("ya")
    assert citizen.report()["location"]["kecamatan"] == "Curug"


def test_a_question_at_the_summary_is_not_a_cancel(assistant: Assistant) -> None:
    citizen = chat(assistant)
    reach_summary(citizen)
    answer = citizen.text("jadi laporan abdi udh terkirim blm?")
    assert "Batalkan" not in answer
    assert "belum terkirim" in answer, citizen.transcript()
    assert "Nomor laporan" in citizen.text("ya")
    assert citizen.report()["location"]["kecamatan"] == "Sukamulya"


def test_only_a_confirmed_cancel_discards(assistant: Assistant) -> None:
    citizen = chat(assistant)
    reach_summary(citizen)
    assert "Batalkan laporan ini?" in citizen.text("batal")
    assert "Mohon periksa laporan" in citizen.text("tidak, lanjutkan"), citizen.transcript()
    assert "Nomor laporan" in citizen.text("ya kirim")


# --- 2. status -------------------------------------------------------------------------


def test_status_of_the_report_just_filed(assistant: Assistant) -> None:
    citizen = chat(assistant)
    reach_summary(citizen)
    citizen.text("ya")
    tracking_id = citizen.tracking_id()
    answer = citizen.text("gimana laporan saya tadi?")
    assert tracking_id and tracking_id in answer, citizen.transcript()
    assert "Diterima" in answer


def test_a_well_formed_unknown_id_is_not_found(assistant: Assistant) -> None:
    answer = chat(assistant).text("cek status TNG-1999-999999")
    assert "tidak ditemukan" in answer
    assert "belum seperti nomor laporan" not in answer


# --- 3. use what was said ----------------------------------------------------------------


def test_the_first_message_fills_place_and_date(assistant: Assistant) -> None:
    citizen = chat(assistant)
    reach_summary(citizen)
    citizen.text("ya")
    report = citizen.report()
    assert report["location"]["kecamatan"] == "Sukamulya"
    assert report["incident_date"] == (today() - dt.timedelta(days=1)).isoformat()
    assert report["description"].startswith("Assalamualaikum pak")


def test_i_wrote_it_already_is_not_stored_as_the_location(assistant: Assistant) -> None:
    citizen = chat(assistant)
    citizen.say("jalan rusak parah banyak lubang di desa sukamulya kec sukamulya, bahaya")
    assert "Lokasinya di" in citizen.text("ya")
    citizen.text("bukan")  # declines the suggestion: the question is asked
    answer = citizen.text("kan udh sy tulis tadi pak")
    assert "Lokasinya di Desa Suka Mulya, Kec. Sukamulya?" in answer, citizen.transcript()


def test_every_turn_asks_one_question(assistant: Assistant) -> None:
    citizen = chat(assistant)
    for message in [
        "sampah numpuk di pinggir jalan dekat pasar udah 2 minggu ga diangkut, bau banget",
        "ya",
        "rumah saya",  # no place: asked again, once
        "simpang Bitung, Curug",
        "ya",
        "anonim pak, jgn sampe ketauan sy yg lapor",
        "gk ada pak",
    ]:
        replies = citizen.say(message)
        assert questions_in(replies) == 1, citizen.transcript()


# --- 4. every question has a way forward ---------------------------------------------------


def test_extra_words_and_regional_answers(assistant: Assistant) -> None:
    citizen = chat(assistant)
    citizen.say(
        "lampu jalan di depan SDN Kemiri 2 kec. kemiri mati udah seminggu, gelap kalau malam"
    )
    citizen.text("leres")  # category
    citizen.text("muhun")  # place
    citizen.text("nggih")  # date
    assert "foto" in citizen.text("rahasia aja, takut"), citizen.transcript()
    assert "saya tunggu" in citizen.text("mangga kirim")
    assert "Mohon periksa laporan" in citizen.text("teu aya"), citizen.transcript()
    citizen.text("leres")
    report = citizen.report()
    assert report["privacy"] == "confidential"
    assert report["attachments"] == []
    assert report["location"]["kecamatan"] == "Kemiri"


@pytest.mark.parametrize(
    ("answer", "note"),
    [
        ("lupa, sekitar 2 mingguan lalu", "perkiraan"),
        ("dari bulan agustus", "bulan"),
        ("Tidak ingat tanggalnya", "tidak ingat"),
    ],
)
def test_approximate_dates_are_accepted_and_told_to_officers(
    assistant: Assistant, answer: str, note: str
) -> None:
    citizen = chat(assistant)
    citizen.say("jalan di depan pasar kemis berlubang besar, banyak motor jatuh")
    assert "Lokasinya di Kec. Pasar Kemis?" in citizen.text("ya")
    asked = citizen.text("ya")
    assert "Kapan kejadiannya" in asked, citizen.transcript()
    reply = citizen.tap(answer) if answer.startswith("Tidak ingat") else citizen.text(answer)
    assert "boleh dilihat siapa" in reply, citizen.transcript()
    citizen.text("publik")
    citizen.text("tidak ada")
    citizen.text("ya")
    report = citizen.report()
    assert note in report["description"]
    assert (report["incident_date"] is None) == (note == "tidak ingat")


def test_the_escape_works_with_buttons_and_free_text(assistant: Assistant) -> None:
    citizen = chat(assistant)
    citizen.say("jalan depan rumah saya rusak parah berlubang, bahaya buat motor")
    citizen.text("ya")
    for nonsense in ("rumah saya", "di situ", "pokoknya sana"):
        last = citizen.text(nonsense)
    assert "sulit dijawab" in last, citizen.transcript()
    assert "Di mana lokasinya" in citizen.tap("Coba lagi")
    for nonsense in ("rumah saya", "di situ", "pokoknya sana"):
        last = citizen.text(nonsense)
    assert "sulit dijawab" in last
    # Free text after the escape is read as the answer to the same question.
    assert "Kapan kejadiannya" in citizen.text("jl raya legok dekat pertigaan, legok")
    for nonsense in ("rumah saya", "di situ", "pokoknya sana"):
        last = citizen.text(nonsense)
    assert "sulit dijawab" in last
    assert "Jawab saja pertanyaan berikut" in citizen.tap("Bantuan"), citizen.transcript()
    assert "Batalkan laporan ini?" in citizen.text("batal aja deh")
    assert "Laporan dibatalkan" in citizen.text("iya batalkan")


# --- 5. places --------------------------------------------------------------------------------


def test_a_desa_in_two_kecamatan_is_asked_with_buttons(assistant: Assistant) -> None:
    citizen = chat(assistant)
    citizen.say("sampah numpuk di pinggir jalan deket pasar, udah bau banget")
    citizen.text("ya")
    assert "lebih dari satu kecamatan" in citizen.text("desa sukamulya")
    titles = [b["title"] for b in citizen.last_buttons]
    assert "Suka Mulya, Kec. Cikupa" in titles
    assert "Kapan kejadiannya" in citizen.tap("Suka Mulya, Kec. Cikupa"), citizen.transcript()
    citizen.text("kemarin")
    citizen.text("publik")
    summary = citizen.text("tidak ada")
    assert "Kec. Cikupa" in summary, citizen.transcript()


# --- 6. emergencies ----------------------------------------------------------------------------


def test_a_collapse_with_nobody_in_danger_is_a_normal_report(assistant: Assistant) -> None:
    citizen = chat(assistant)
    answer = citizen.text(
        "jembatan bambu di kampung kami ambruk kemarin, untung tidak ada korban, mohon dibangun"
    )
    assert "112" not in answer
    assert "kategori" in answer


def test_a_second_emergency_message_gets_other_numbers(assistant: Assistant) -> None:
    citizen = chat(assistant)
    first = citizen.text("tolong ada anak tenggelam di kali cisadane sekarang")
    assert "112" in first
    second = citizen.text("112 gk nyambung")
    assert second != first
    for number in ("115", "110", "113"):
        assert number in second


# --- 7. English ---------------------------------------------------------------------------------


def test_english_conversation_is_answered_in_english(assistant: Assistant) -> None:
    citizen = chat(assistant, "en")
    citizen.say("hello, the street light in front of my house in Cikupa is broken since last week")
    assert "Is the location Kec. Cikupa?" in citizen.text("yes")
    assert "It happened" in citizen.text("yes")
    assert "Who may see" in citizen.text("yes")
    citizen.text("anonymous please")
    assert "Please check your report" in citizen.text("no")
    assert "Tracking ID" in citizen.text("yes")
