"""`validate_status_form`: reading a tracking ID in any case, with or without dashes."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.status import ValidateStatusForm, canonical_id, means_latest_report
from tests.actions.conftest import DOMAIN, make_tracker, responses, slot_events

FORM = ValidateStatusForm()


async def run_form(
    dispatcher: CollectingDispatcher,
    text: str,
    *,
    intent: str = "inform",
    entities: dict[str, Any] | None = None,
    requested: str | None = "tracking_id",
) -> dict[str, Any]:
    tracker = make_tracker(
        slots={"requested_slot": requested},
        text=text,
        intent=intent,
        entities=entities,
        active_loop="status_form",
    )
    return slot_events(await FORM.run(dispatcher, tracker, DOMAIN))


@pytest.mark.parametrize(
    "text",
    ["tng2026000012", "TNG 2026 12", "TNG-2026-000012", " tng-2026-12 ", "TNG.2026.000012"],
)
async def test_tracking_id_is_normalised(dispatcher: CollectingDispatcher, text: str) -> None:
    assert await run_form(dispatcher, text) == {"tracking_id": "TNG-2026-000012"}
    assert dispatcher.messages == []


async def test_tracking_id_from_an_entity_in_any_message(
    dispatcher: CollectingDispatcher,
) -> None:
    slots = await run_form(
        dispatcher,
        "cek laporan tng2026000345 dong",
        intent="check_status",
        entities={"tracking_id": "tng2026000345"},
        requested=None,
    )
    assert slots == {"tracking_id": "TNG-2026-000345"}


@pytest.mark.parametrize("text", ["halo", "TNG-2026-000000", "12345"])
async def test_not_a_tracking_id(dispatcher: CollectingDispatcher, text: str) -> None:
    assert await run_form(dispatcher, text) == {"tracking_id": None}
    assert responses(dispatcher) == ["utter_tracking_id_invalid"]


@pytest.mark.parametrize(("text", "intent"), [("laporan saya", "my_reports"), ("batal", "cancel")])
async def test_an_interruption_is_not_an_answer(
    dispatcher: CollectingDispatcher, text: str, intent: str
) -> None:
    assert await run_form(dispatcher, text, intent=intent) == {}
    assert dispatcher.messages == []


async def test_an_id_written_in_a_status_question_is_read(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(
        slots={"requested_slot": None}, text="cek tng 2026 000012 dong", intent="check_status"
    )
    assert await FORM.extract_tracking_id(dispatcher, tracker, DOMAIN) == {
        "tracking_id": "tng 2026 000012"
    }


async def test_a_well_formed_unknown_year_is_still_an_id(
    dispatcher: CollectingDispatcher,
) -> None:
    assert await run_form(dispatcher, "TNG-1999-999999") == {"tracking_id": "TNG-1999-999999"}
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("TNG-1999-999999", "TNG-1999-999999"),
        ("tng2026000123", "TNG-2026-000123"),
        ("halo", None),
        ("TNG-2026-000000", None),
    ],
)
def test_canonical_ids(text: str, canonical: str | None) -> None:
    assert canonical_id(text) == canonical


@pytest.mark.parametrize(
    ("text", "latest"),
    [("gimana laporan saya tadi?", True), ("laporan yang barusan", True), ("halo", False)],
)
def test_the_report_just_filed(text: str, latest: bool) -> None:
    assert means_latest_report(text) is latest
