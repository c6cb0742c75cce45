"""The actions and the domain agree: action names, responses, slots."""

from __future__ import annotations

import re

from rasa_sdk.executor import ActionExecutor

from actions.forms.complaint_form import DRAFT_SLOTS, FORM_SLOTS
from tests.actions.conftest import DOMAIN, PROJECT_ROOT

ACTION_FILES = sorted((PROJECT_ROOT / "actions").glob("*.py")) + sorted(
    (PROJECT_ROOT / "actions" / "forms").glob("*.py")
)


def test_every_action_of_the_server_is_in_the_domain_and_back() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    served = set(executor.actions)
    declared = {name for name in DOMAIN["actions"] if name.startswith(("action_", "validate_"))}
    assert served == declared


def test_every_response_the_actions_utter_exists() -> None:
    named = {
        name
        for path in ACTION_FILES
        for name in re.findall(r'"(utter_\w+)"', path.read_text(encoding="utf-8"))
    }
    assert named, "no response found: the pattern is wrong"
    assert sorted(named - set(DOMAIN["responses"])) == []


def test_the_forms_slots_are_domain_slots() -> None:
    # The contract slots, and the answer to the nearby reports offered after the place.
    required = DOMAIN["forms"]["complaint_form"]["required_slots"]
    assert [slot for slot in required if slot != "duplicate_choice"] == list(FORM_SLOTS)
    assert required.index("duplicate_choice") == required.index("complaint_location") + 1
    assert set(DRAFT_SLOTS) <= set(DOMAIN["slots"])
    assert DOMAIN["forms"]["status_form"]["required_slots"] == ["tracking_id"]
