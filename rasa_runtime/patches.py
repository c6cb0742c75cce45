"""Fixes for known costs in Rasa 3.6, applied in the Rasa server process at start.

Each fix keeps Rasa's behaviour and is applied only to the Rasa line it was written for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import rasa
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

logger = logging.getLogger(__name__)

#: The Rasa line these fixes were written for (and tested against).
RASA_LINE = "3.6."


def action_result_validator() -> Callable[[dict[str, Any]], None]:
    """A function that validates an action server's response against Rasa's schema.

    `RemoteAction._validate_action_result` calls `jsonschema.validate` for every
    custom action, which checks the schema itself against the JSON Schema meta-schema
    each time: about a fifth of the Rasa server's CPU in our load test. The schema never
    changes, so it is checked once here and one validator is reused.
    """
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def validate(result: dict[str, Any]) -> None:
        error = best_match(validator.iter_errors(result))
        if error is not None:
            raise error

    return validate


def reuse_action_result_validator() -> None:
    """Make `RemoteAction` validate responses with one prepared validator."""
    validate = action_result_validator()

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validate(result)
        except ValidationError as error:  # the same message as Rasa's own
            error.message += (
                ". Failed to validate Action server response from API, "
                "make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise
        return True

    RemoteAction._validate_action_result = _validate_action_result


def apply() -> bool:
    """Apply every fix; returns False (and changes nothing) on another Rasa line."""
    if not rasa.__version__.startswith(RASA_LINE):
        logger.warning("Rasa %s: fixes for %sx not applied", rasa.__version__, RASA_LINE)
        return False
    reuse_action_result_validator()
    return True
