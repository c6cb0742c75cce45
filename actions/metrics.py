"""The action server's Prometheus metrics: one set per process, created on first use.

Nothing is created at import time (`get_metrics()` builds them; tests install their
own with `use_metrics`), and never on prometheus_client's global registry.

- `lapor_actions_total{action}`: custom actions run, by name.
- `lapor_nlu_fallbacks_total`: `action_fallback` runs (Rasa's NLU fallback, and its
  core fallback when no rule fits): the assistant did not understand.
- `lapor_forms_started_total`: reports begun (`action_start_report`).
- `lapor_forms_submitted_total{outcome}`: confirmed reports handed to the backend:
  `filed`, `kept` (the backend was down: kept and sent later) or `rejected`.
- `lapor_forms_abandoned_total{step}`: reports cancelled by the citizen, by the
  question they were at (`requested_slot`; `summary` at the confirmation, `none`).
- `lapor_pending_submissions`: kept reports still waiting for the backend (read at
  scrape time).
- `lapor_pending_sent_total`: kept reports the retry loop got through.
"""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from actions.pending import PendingStore
from lapor_common.metrics import new_registry

FALLBACK_ACTION = "action_fallback"


class ActionMetrics:
    """The action server's collectors on a registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or new_registry()
        self.actions = Counter(
            "lapor_actions", "Custom actions run, by name.", ("action",), registry=self.registry
        )
        self.fallbacks = Counter(
            "lapor_nlu_fallbacks",
            "Turns the assistant did not understand (action_fallback ran).",
            registry=self.registry,
        )
        self.forms_started = Counter(
            "lapor_forms_started", "Reports begun.", registry=self.registry
        )
        self.forms_submitted = Counter(
            "lapor_forms_submitted",
            "Confirmed reports handed to the backend, by outcome (filed, kept, rejected).",
            ("outcome",),
            registry=self.registry,
        )
        self.forms_abandoned = Counter(
            "lapor_forms_abandoned",
            "Reports cancelled by the citizen, by the question they were at.",
            ("step",),
            registry=self.registry,
        )
        self.pending = Gauge(
            "lapor_pending_submissions",
            "Kept reports still waiting for the backend.",
            registry=self.registry,
        )
        self.pending_sent = Counter(
            "lapor_pending_sent",
            "Kept reports sent to the backend by the retry loop.",
            registry=self.registry,
        )

    def action_called(self, action_call: Any) -> None:
        """Count one call of rasa_sdk's webhook (`{"next_action": ...}`)."""
        if not isinstance(action_call, dict):
            return
        name = action_call.get("next_action")
        if not isinstance(name, str) or not name:
            return
        self.actions.labels(name).inc()
        if name == FALLBACK_ACTION:
            self.fallbacks.inc()

    def form_abandoned(self, requested_slot: Any, at_summary: Any) -> None:
        """A report cancelled at `requested_slot` (or at the summary)."""
        step = str(requested_slot) if requested_slot else ("summary" if at_summary else "none")
        self.forms_abandoned.labels(step).inc()

    async def refresh(self, pending: PendingStore) -> None:
        """Before a scrape: how many kept reports wait (one count query, off the loop)."""
        self.pending.set(await asyncio.to_thread(pending.waiting))


_metrics: ActionMetrics | None = None


def get_metrics() -> ActionMetrics:
    """The process's metrics, built on first use."""
    global _metrics  # one set per process, like the services
    if _metrics is None:
        _metrics = ActionMetrics()
    return _metrics


def use_metrics(metrics: ActionMetrics | None) -> None:
    """Install `metrics` (tests), or forget the current ones (None)."""
    global _metrics
    _metrics = metrics
