"""`validate_status_form`: reading a tracking ID in any case, with or without dashes."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.status import ValidateStatusForm
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


async def test_text_is_only_read_as_the_answer_to_the_question(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(slots={"requested_slot": None}, text="tng2026000012", intent="inform")
    assert await FORM.extract_tracking_id(dispatcher, tracker, DOMAIN) == {}
