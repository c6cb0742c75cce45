"""Fuzz every operation of the backend from its own OpenAPI document (schemathesis).

Positive and negative cases are sent in-process to an app on a migrated database
(SQLite and PostgreSQL) as the service: the `Authorization` header and the Open311
`api_key` carry the service token, so the fuzzer gets past authentication. Half of the
cases are steered to real category codes, kecamatan names and tracking IDs, so that
reports are actually created, read and moved through the workflow. No response may
be a server error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy.engine import Engine

from backend.app import create_app
from backend.db import utcnow
from backend.settings import PROJECT_ROOT
from backend.state import AppState
from backend.taxonomy import load_taxonomy
from tests.backend.conftest import SERVICE_TOKEN, make_settings

_TAXONOMY = load_taxonomy(
    PROJECT_ROOT / "data" / "categories.yaml", PROJECT_ROOT / "data" / "kecamatan.yaml"
)
CATEGORIES = sorted(_TAXONOMY.categories)
KECAMATAN = list(_TAXONOMY.kecamatan)
WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def api_schema(engine: Engine, tmp_path: Path) -> schemathesis.schemas.BaseSchema:
    """The app's OpenAPI document, loaded from the app itself."""
    app = create_app(state=AppState.from_settings(make_settings(tmp_path), engine=engine))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


def authenticate(case: schemathesis.Case) -> None:
    """Send the service token, replacing whatever the fuzzer generated for it."""
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    headers["Authorization"] = f"Bearer {SERVICE_TOKEN}"
    case.headers = headers
    if case.operation.path == "/open311/v2/requests.json" and isinstance(case.body, dict):
        case.body["api_key"] = SERVICE_TOKEN


def steer(case: schemathesis.Case, data: st.DataObject) -> None:
    """Sometimes swap generated values for ones the backend knows."""
    if not data.draw(st.booleans(), label="steer"):
        return
    body: Any = case.body
    if isinstance(body, dict):
        if "category" in body:
            body["category"] = data.draw(st.sampled_from(CATEGORIES), label="category")
        if "service_code" in body:
            body["service_code"] = data.draw(st.sampled_from(CATEGORIES), label="service_code")
        if isinstance(body.get("location"), dict) and "kecamatan" in body["location"]:
            body["location"]["kecamatan"] = data.draw(st.sampled_from(KECAMATAN), label="kec")
    for name in ("tracking_id", "request_id"):
        if case.path_parameters and name in case.path_parameters:
            number = data.draw(st.integers(1, 5), label="sequence")
            year = utcnow().astimezone(WIB).year
            case.path_parameters[name] = f"TNG-{year}-{number:06d}"
    if case.path_parameters and "conversation_id" in case.path_parameters:
        chat = data.draw(st.sampled_from(["telegram:42", "whatsapp:62811"]), label="chat")
        case.path_parameters["conversation_id"] = chat
    if isinstance(body, dict) and "chat_id" in body:
        body["chat_id"] = "telegram:42"  # the reporter of complaint_body()'s reports


FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,  # write no example database into the repository
)


@FUZZ
@schema.parametrize()
def test_no_operation_answers_with_a_server_error(case: schemathesis.Case) -> None:
    """Examples, coverage (boundary and invalid values, wrong methods) and fuzzing."""
    authenticate(case)
    response = case.call_and_validate(checks=[not_a_server_error])
    assert response.status_code < 500, response.text


@FUZZ
@schema.parametrize()
@schema.given(data=st.data())
def test_steered_requests_never_get_a_server_error(
    case: schemathesis.Case, data: st.DataObject
) -> None:
    """Fuzzing with known categories and tracking IDs, reaching the success paths."""
    authenticate(case)
    steer(case, data)
    response = case.call_and_validate(checks=[not_a_server_error])
    assert response.status_code < 500, response.text
