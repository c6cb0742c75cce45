"""`python -m bot notifier`: the notifier alone, as the gateway's child or on its own.

It connects the channels only to send (no webhook, no polling) and delivers status
updates until SIGTERM or SIGINT, or until the gateway that started it is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

from bot.gateway import Gateway
from bot.notifier.priority import apply_cpu_priority
from bot.notifier.process import PARENT_PID_ENV, watch_parent
from bot.settings import GatewaySettings

logger = logging.getLogger(__name__)


class NotifierDisabledError(RuntimeError):
    """NOTIFIER_ENABLED is false: there is nothing to run."""


async def run_notifier(settings: GatewaySettings) -> None:
    """Deliver status updates until asked to stop; then leave the events in hand unacknowledged."""
    if not settings.notifier_enabled:
        raise NotifierDisabledError("NOTIFIER_ENABLED is false: the notifier has nothing to do")
    applied = apply_cpu_priority(settings.notifier_cpu_priority)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    watching: asyncio.Task[None] | None = None
    parent = os.environ.get(PARENT_PID_ENV, "")
    if parent.isdigit():
        watching = asyncio.create_task(watch_parent(stopping, int(parent)))
    gateway = Gateway.build(settings)
    await gateway.start(serve=False)
    logger.info("notifier process %s running (CPU priority: %s)", os.getpid(), applied)
    try:
        await stopping.wait()
    finally:
        logger.info("notifier process %s stopping", os.getpid())
        await gateway.stop()
        if watching is not None:
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
