"""The emergency keyword safety net."""

from __future__ import annotations

import pytest

from actions.validators.emergency import looks_like_emergency


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
