"""The gateway's Prometheus metrics, built with its app (`bot.app.create_app`), never at import.

- `lapor_conversation_turns_total{channel}`: citizens' messages relayed to Rasa.
- `lapor_conversation_turn_duration_seconds{channel}`: from the message to the last
  reply handed to the platform (Rasa's turn and the sending).
- `lapor_rasa_failures_total{channel}`: turns Rasa did not answer (the citizen got
  the apology).
- `lapor_webhook_rejections_total{channel,reason}`: webhook calls refused
  (`missing_secret`, `bad_secret`, `bad_signature`, `bad_verify_token`, `malformed`,
  `too_large`).
- `lapor_sends_total{channel,outcome}`: platform send calls (each attempt): `sent`,
  `429` (the platform's rate limit), `failed`.
- `lapor_notifications_total{channel,outcome}`: status updates handled by a notifier
  in this process: `sent`, `failed`, `skipped` (notifications off), `retry`,
  `interrupted` (a crash while sending: reported failed, never sent twice).
- `lapor_notifier_queue_depth`, `lapor_notifier_lag_seconds`: with Redis, the
  events of the stream not yet acknowledged by the notifiers' group and the age of
  the oldest, read at scrape time (whichever process the notifier runs in).

With the notifier in a child process (`NOTIFIER_PROCESS`), the child's counters
(`lapor_notifications_total`, its `lapor_sends_total`) are written to files in a
directory of the gateway's (prometheus_client's multiprocess mode) and added to the
gateway's own on each scrape.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from lapor_common.metrics import LATENCY_BUCKETS, WithChildProcesses, new_registry


class GatewayMetrics:
    """The gateway's collectors on a registry of its own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or new_registry()
        self.turns = Counter(
            "lapor_conversation_turns",
            "Citizens' messages relayed to Rasa, by channel.",
            ("channel",),
            registry=self.registry,
        )
        self.turn_seconds = Histogram(
            "lapor_conversation_turn_duration_seconds",
            "From a citizen's message to the last reply handed to the platform.",
            ("channel",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rasa_failures = Counter(
            "lapor_rasa_failures",
            "Turns Rasa did not answer (the citizen got an apology), by channel.",
            ("channel",),
            registry=self.registry,
        )
        self.webhook_rejections = Counter(
            "lapor_webhook_rejections",
            "Webhook calls refused, by channel and reason.",
            ("channel", "reason"),
            registry=self.registry,
        )
        self.sends = Counter(
            "lapor_sends",
            "Platform send calls (each attempt) by channel and outcome (sent, 429, failed).",
            ("channel", "outcome"),
            registry=self.registry,
        )
        self.notifications = Counter(
            "lapor_notifications",
            "Status updates handled by this process's notifier, by channel and outcome.",
            ("channel", "outcome"),
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "lapor_notifier_queue_depth",
            "Report events in the stream not yet acknowledged by the notifiers (Redis only).",
            registry=self.registry,
        )
        self.lag_seconds = Gauge(
            "lapor_notifier_lag_seconds",
            "Age of the oldest report event not yet acknowledged (0 when none; Redis only).",
            registry=self.registry,
        )
        self._children: WithChildProcesses | None = None

    @property
    def exposed(self) -> CollectorRegistry:
        """What `/metrics` shows: this process's counts, plus its children's if any."""
        return self._children.registry if self._children is not None else self.registry

    def count_children(self) -> Path:
        """A fresh directory for child processes' counts, added to `exposed` from now on."""
        self.forget_children()
        directory = Path(tempfile.mkdtemp(prefix="lapor-gateway-metrics-"))
        self._children = WithChildProcesses(self.registry, directory)
        return directory

    def forget_children(self) -> None:
        """Remove the children's directory (at stop)."""
        if self._children is not None:
            shutil.rmtree(self._children.directory, ignore_errors=True)
            self._children = None

    def turn(self, channel: str, seconds: float) -> None:
        """One relayed turn and how long it took."""
        self.turns.labels(channel).inc()
        self.turn_seconds.labels(channel).observe(seconds)

    def rejected(self, channel: str, reason: str) -> None:
        """A webhook call refused."""
        self.webhook_rejections.labels(channel, reason).inc()

    def sent(self, channel: str, outcome: str) -> None:
        """One send attempt to a platform: `sent`, `429` or `failed`."""
        self.sends.labels(channel, outcome).inc()

    def notified(self, channel: str, outcome: str) -> None:
        """One status update handled."""
        self.notifications.labels(channel or "unknown", outcome).inc()
