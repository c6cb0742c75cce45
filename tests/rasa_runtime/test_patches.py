"""The Rasa server's fixes keep Rasa's behaviour."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from rasa_runtime import patches

VALID: dict[str, Any] = {
    "events": [{"event": "slot", "name": "privacy", "value": "public"}],
    "responses": [{"response": "utter_ask_privacy", "buttons": []}],
}
INVALID: dict[str, Any] = {"events": [{"event": "slot", "name": 42}], "responses": []}


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch) -> RemoteAction:
    original = RemoteAction._validate_action_result
    monkeypatch.setattr(RemoteAction, "_validate_action_result", original)
    assert patches.apply()
    action: RemoteAction = RemoteAction.__new__(RemoteAction)
    return action


def test_the_fix_accepts_and_refuses_exactly_what_rasa_does(patched: RemoteAction) -> None:
    assert patched._validate_action_result(VALID) is True
    with pytest.raises(ValidationError) as ours:
        patched._validate_action_result(INVALID)
    with pytest.raises(ValidationError) as rasas:
        jsonschema.validate(INVALID, RemoteAction.action_response_format_spec())
    assert ours.value.message.startswith(rasas.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_the_schema_is_checked_once_not_per_response(
    patched: RemoteAction, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[object] = []
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    original = validator_class.check_schema
    monkeypatch.setattr(
        validator_class, "check_schema", classmethod(lambda cls, s: checks.append(s) or original(s))
    )
    for _ in range(20):
        patched._validate_action_result(VALID)
    assert checks == []
    jsonschema.validate(VALID, RemoteAction.action_response_format_spec())
    assert len(checks) == 1  # what Rasa's own code did for every response


def test_nothing_is_changed_on_another_rasa_line(monkeypatch: pytest.MonkeyPatch) -> None:
    before = RemoteAction._validate_action_result
    monkeypatch.setattr(patches.rasa, "__version__", "4.0.0")
    assert patches.apply() is False
    assert RemoteAction._validate_action_result is before
