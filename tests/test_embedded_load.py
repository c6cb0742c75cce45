"""The `make run` defaults (SQLite, no Redis) under 30 s of load, as in CI.

The full version, 2 minutes on SQLite beside PostgreSQL, is `python -m
benchmarks.embedded_load` in `make bench`. Here: 8 clients filing, 8 changing statuses,
the notifier telling every reporter on the fake Telegram API, an admin browsing the
console and Rasa's tracker store being written meanwhile. Every report and status
change must be stored, every update delivered exactly once, `/health` answered within
a second throughout, and no 500.
"""

from __future__ import annotations

from benchmarks.embedded_load import Plan, run


def test_the_embedded_default_holds_30_seconds_of_load() -> None:
    result = run(Plan(seconds=30))
    figures = "\n".join(result.lines())
    assert result.ok, figures
    assert result.server_errors == 0, figures
    assert len(result.created) >= 100, figures  # it kept filing the whole time
    assert len(result.changed) == len(result.created), figures
    assert result.page_latencies, figures  # the console answered
    assert result.tracker_turns > 0, figures
    assert max(result.health_latencies) < 1.0, figures
