"""The notifier process's CPU priority, applied in a fresh interpreter (it cannot be undone)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.settings import CpuPriority, GatewaySettings

#: Starts a thread, applies the priority, starts another; prints each thread's policy.
PROBE = """
import json, os, sys, threading
from bot.notifier import priority
from bot.notifier.priority import apply_cpu_priority
from bot.settings import CpuPriority

def policy_of_this_thread(out, key):
    me = threading.get_native_id()
    out[key] = [os.sched_getscheduler(me), os.getpriority(os.PRIO_PROCESS, me)]

if "refused" in sys.argv[2:]:  # a system that refuses SCHED_IDLE
    def refuse(*args):
        raise PermissionError(1, "Operation not permitted")
    os.sched_setscheduler = refuse
if "vanished" in sys.argv[2:]:  # a thread that ends between listing and setting
    listed = priority._thread_ids
    priority._thread_ids = lambda: [*listed(), 2**22 + 1]  # above PID_MAX_LIMIT: no such thread
release = threading.Event()
policies = {}
early = threading.Thread(target=lambda: (release.wait(), policy_of_this_thread(policies, "early")))
early.start()
applied = apply_cpu_priority(CpuPriority(sys.argv[1]))
release.set()
early.join()
late = threading.Thread(target=policy_of_this_thread, args=(policies, "late"))
late.start()
late.join()
policy_of_this_thread(policies, "main")
print(json.dumps({"applied": applied, **policies}))
"""


def _probe(priority: str, *conditions: str) -> dict[str, object]:
    result = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-c", PROBE, priority, *conditions],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_idle_puts_every_thread_under_sched_idle_also_those_started_before() -> None:
    probe = _probe("idle")
    assert probe["applied"] == "SCHED_IDLE"
    assert probe["early"] == probe["late"] == probe["main"] == [os.SCHED_IDLE, 0]


def test_a_thread_that_ended_meanwhile_does_not_cost_the_others_sched_idle() -> None:
    probe = _probe("idle", "vanished")
    assert probe["applied"] == "SCHED_IDLE"
    assert probe["early"] == probe["late"] == probe["main"] == [os.SCHED_IDLE, 0]


def test_where_sched_idle_is_refused_the_lowest_nice_stands_in() -> None:
    probe = _probe("idle", "refused")
    assert probe["applied"] == "nice 19"
    assert probe["early"] == probe["late"] == probe["main"] == [os.SCHED_OTHER, 19]


def test_normal_changes_nothing() -> None:
    probe = _probe("normal")
    assert probe["applied"] == "normal"
    assert probe["early"] == probe["late"] == probe["main"] == [os.SCHED_OTHER, os.nice(0)]


def test_the_setting_defaults_to_idle_and_refuses_unknown_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NOTIFIER_CPU_PRIORITY", raising=False)
    assert GatewaySettings().notifier_cpu_priority is CpuPriority.IDLE
    monkeypatch.setenv("NOTIFIER_CPU_PRIORITY", "normal")
    assert GatewaySettings().notifier_cpu_priority is CpuPriority.NORMAL
    monkeypatch.setenv("NOTIFIER_CPU_PRIORITY", "realtime")
    with pytest.raises(ValueError, match="notifier_cpu_priority"):
        GatewaySettings()
