"""Fixtures for action tests: trackers, a dispatcher, and services on a fake backend.

`services` installs a `Services` whose HTTP client talks to an `httpx.MockTransport`
(`backend` holds the recorded requests and the canned answer), whose pending store is
a SQLite file in the test's tmp dir, and whose classifier must be asked for explicitly
(`classifier` fixture): a test that needs it unexpectedly fails instead of training a
model into the project's `var/`.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import BackendClient
from actions.pending import PendingStore
from actions.routing.classifier import CategoryClassifier, load_or_train
from actions.services import Services, use_services
from actions.settings import ActionSettings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BACKEND_URL = "http://backend.test"
TOKEN = "tok"
SENDER = "telegram:42"


def load_domain() -> dict[str, Any]:
    """The assistant's domain (slots, forms, responses) as the action server receives it."""
    with (PROJECT_ROOT / "domain.yml").open(encoding="utf-8") as handle:
        domain: dict[str, Any] = yaml.safe_load(handle)
    return domain


DOMAIN = load_domain()


def initial_slots() -> dict[str, Any]:
    """Every domain slot with its initial value (None unless the domain says otherwise)."""
    slots = {name: spec.get("initial_value") for name, spec in DOMAIN["slots"].items()}
    slots["requested_slot"] = None
    return slots


def make_tracker(
    *,
    sender_id: str = SENDER,
    slots: dict[str, Any] | None = None,
    text: str | None = None,
    intent: str | None = None,
    entities: dict[str, Any] | list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    """A tracker as the action server gets it after the user's latest message.

    `slots` overrides the domain's initial values (`requested_slot` included);
    `entities` is `{entity: value}` or a list of Rasa entity dicts.
    """
    all_slots = {**initial_slots(), **(slots or {})}
    if isinstance(entities, dict):
        entity_list = [{"entity": name, "value": value} for name, value in entities.items()]
    else:
        entity_list = list(entities or [])
    latest_message: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0} if intent else {},
        "entities": entity_list,
        "metadata": metadata or {},
    }
    if events is None:
        # The form appends extracted slot candidates after the user's message, so the
        # history ends with a non-slot event.
        events = [
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": text, "parse_data": latest_message},
        ]
    return Tracker(
        sender_id,
        all_slots,
        latest_message,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def responses(dispatcher: CollectingDispatcher) -> list[str | None]:
    """The response names the dispatcher was asked to utter, in order."""
    return [message.get("response") for message in dispatcher.messages]


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The last value set for each slot by `SlotSet` events."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@dataclass
class FakeBackend:
    """The MockTransport's handler: records requests and answers from `reply`.

    `reply` is called with each request; by default it answers 201 with a report.
    """

    requests: list[httpx.Request] = field(default_factory=list)
    reply: Callable[[httpx.Request], httpx.Response] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.reply is not None:
            return self.reply(request)
        return httpx.Response(201, json={"tracking_id": "TNG-2026-000001"})

    def json_bodies(self) -> list[Any]:
        """The JSON bodies of the recorded requests (None when empty)."""
        return [json.loads(r.content) if r.content else None for r in self.requests]


def make_settings(tmp_path: Path, **overrides: Any) -> ActionSettings:
    """Action settings independent of the environment and of `.env`."""
    values: dict[str, Any] = {
        "backend_url": BACKEND_URL,
        "backend_api_token": TOKEN,
        "data_dir": tmp_path,
    }
    values.update(overrides)
    return ActionSettings(_env_file=None, **values)


class _NoClassifier:
    """Stands in for the classifier in tests that do not ask for it."""

    def rank_many(self, texts: list[str]) -> Any:
        raise AssertionError(f"the classifier was used unexpectedly for {texts!r}")


@pytest.fixture
def fake_backend() -> FakeBackend:
    """The fake backend behind `services.http`."""
    return FakeBackend()


@pytest.fixture
async def services(tmp_path: Path, fake_backend: FakeBackend) -> AsyncIterator[Services]:
    """Services on the fake backend and a SQLite pending store, installed for actions."""
    settings = make_settings(tmp_path)
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake_backend))
    installed = Services(
        settings=settings,
        http=http,
        backend=BackendClient(http, BACKEND_URL, TOKEN),
        pending=PendingStore(f"sqlite:///{tmp_path / 'pending.db'}"),
    )
    installed.__dict__["classifier"] = _NoClassifier()
    use_services(installed)
    try:
        yield installed
    finally:
        use_services(None)
        await installed.close()


@pytest.fixture(scope="session")
def trained_classifier(tmp_path_factory: pytest.TempPathFactory) -> CategoryClassifier:
    """The category classifier, trained once per test session in a tmp dir."""
    return load_or_train(model_dir=tmp_path_factory.mktemp("classifier"))


@pytest.fixture
def classifier(services: Services, trained_classifier: CategoryClassifier) -> CategoryClassifier:
    """The trained classifier, installed into `services`."""
    services.__dict__["classifier"] = trained_classifier
    return trained_classifier


def missing_template_values(message: dict[str, Any]) -> set[str]:
    """Placeholders of the uttered response (any language variant) the message leaves unset."""
    variants = DOMAIN["responses"].get(message.get("response"), [])
    wanted = {
        name
        for variant in variants
        for name in re.findall(r"(?<!{){(\w+)}(?!})", variant.get("text", ""))
    }
    return {name for name in wanted if message.get(name) is None}


@pytest.fixture
def dispatcher() -> Iterator[CollectingDispatcher]:
    """Collects what actions utter; afterwards, checks every response named exists in the
    domain and got all its template values."""
    collecting = CollectingDispatcher()
    yield collecting
    for message in collecting.messages:
        name = message.get("response")
        assert name in DOMAIN["responses"], f"{name} is not a response of the domain"
        assert not missing_template_values(message), (name, missing_template_values(message))
