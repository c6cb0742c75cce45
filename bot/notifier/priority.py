"""The notifier process's CPU priority: conversations first when both want the CPU.

With `CpuPriority.IDLE` the notifier process runs under Linux's SCHED_IDLE policy: it
gets the CPU time no other process wants, so a gateway (or the backend, or the
database) that has a conversation turn to handle runs at once instead of waiting for
the notifier's time slice. A batch of status updates needs about a quarter of a core,
so on a machine that is not saturated the notifier still sends as fast as the limits
allow; on a saturated one, conversations win, as they should. Where SCHED_IDLE is not
allowed, the lowest `nice` value stands in for it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from bot.settings import CpuPriority

logger = logging.getLogger(__name__)

_TASKS = Path("/proc/self/task")

#: The lowest CPU priority `nice` can give.
LOWEST_NICE = 19


def _thread_ids() -> list[int]:
    """Every thread of this process (Linux applies the policy per thread)."""
    try:
        return [int(task.name) for task in _TASKS.iterdir()]
    except OSError:
        return [0]  # 0: the calling thread


def _for_every_thread(apply: Callable[[int], None]) -> None:
    """`apply(thread_id)` for each thread; one that ended meanwhile is skipped."""
    for thread_id in _thread_ids():
        try:
            apply(thread_id)
        except ProcessLookupError:
            continue


def apply_cpu_priority(priority: CpuPriority) -> str:
    """Give this process (all its threads, and those it starts later) `priority`.

    Returns:
        What was applied: "SCHED_IDLE", "nice 19" or "normal".
    """
    if priority is CpuPriority.NORMAL:
        return "normal"
    policy = getattr(os, "SCHED_IDLE", None)
    if policy is not None:
        try:
            _for_every_thread(lambda tid: os.sched_setscheduler(tid, policy, os.sched_param(0)))
            return "SCHED_IDLE"
        except OSError as exc:  # e.g. a container that forbids it
            logger.warning("SCHED_IDLE refused (%s): using nice 19 instead", exc)
    _for_every_thread(lambda tid: os.setpriority(os.PRIO_PROCESS, tid, LOWEST_NICE))
    return f"nice {LOWEST_NICE}"
