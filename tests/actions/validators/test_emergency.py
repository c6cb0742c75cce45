"""The emergency keyword safety net."""

from __future__ import annotations

import pytest

from actions.validators.emergency import asks_other_numbers, in_danger_now, looks_like_emergency


@pytest.mark.parametrize(
    "text",
    [
        "rumah tetangga kebakaran, apinya sudah besar",
        "ada anak tenggelam di kali cisadane",
        "bapak-bapak pingsan di pinggir jalan raya serang",
        "barusan ada begal di jalan sepi dekat rajeg",
        "ada maling masuk rumah sekarang",
        "tabrakan motor di depan pasar, korbannya berdarah",
        "the warehouse is on fire",
        "someone is being attacked near the station",
    ],
)
def test_danger_to_people_is_an_emergency(text: str) -> None:
    assert looks_like_emergency(text)


@pytest.mark.parametrize(
    "text",
    [
        "jalan depan rumah saya berlubang besar",
        "sampah tidak diangkut dua minggu",
        "lampu jalan mati sudah seminggu",
        "the street light has been off for a week",
        "ktp elektronik saya belum jadi",
    ],
)
def test_ordinary_complaints_are_not(text: str) -> None:
    assert not looks_like_emergency(text)


@pytest.mark.parametrize(
    "text",
    [
        "jembatan bambu di kampung kami ambruk, untung tidak ada korban",
        "atap sekolah SDN 2 ambruk semalam, mohon segera diperbaiki",
        "di sini sering kecelakaan karena jalan berlubang",
        "jalan rusak, kemarin sore motor anak saya jatuh",
    ],
)
def test_damage_with_nobody_in_danger_is_a_normal_report(text: str) -> None:
    assert not in_danger_now(text)


@pytest.mark.parametrize(
    "text", ["atap sekolah roboh menimpa murid", "barusan tabrakan, korbannya luka parah"]
)
def test_damage_with_people_at_risk_is_an_emergency(text: str) -> None:
    assert in_danger_now(text)


@pytest.mark.parametrize(
    "text", ["112 gk nyambung", "udah telpon gak diangkat", "ada nomor lain?", "112 is busy"]
)
def test_a_failed_112_call_asks_for_other_numbers(text: str) -> None:
    assert asks_other_numbers(text)


def test_thanks_is_not_a_failed_call() -> None:
    assert not asks_other_numbers("ok makasih pak")
