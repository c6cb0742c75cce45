"""The notifier in a process of its own, started and watched over by the gateway.

A batch of status updates costs the notifier most of a CPU core (database records,
Redis, three HTTP calls per update). In the gateway's own event loop that work queues
in front of every conversation turn; in a child process the operating system gives the
two their own cores and time slices, and the child runs at idle CPU priority
(`bot.notifier.priority`), so citizens who chat during a batch are answered as fast as
without it. Rate limits stay shared through Redis.

The child is `python -m bot notifier` with the gateway's environment. It is restarted
when it dies (with a growing delay when it keeps dying), stopped with SIGTERM (its
events in hand go back to the stream unacknowledged) and killed only if it does not
stop in time. It stops by itself when the gateway dies (`watch_parent`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence

logger = logging.getLogger(__name__)

#: What the gateway runs: the notifier alone, with the same settings.
NOTIFIER_COMMAND = (sys.executable, "-m", "bot", "notifier")

#: Set for the child: the gateway's process ID, so that the child stops when it dies.
PARENT_PID_ENV = "NOTIFIER_PARENT_PID"

#: Seconds before each restart after a crash; the last one repeats.
RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)

#: A child that ran this long is healthy again: the next crash restarts it quickly.
HEALTHY_AFTER_SECONDS = 60.0


class NotifierProcess:
    """Runs the notifier command as a child process, restarting it when it dies.

    Args:
        environment: The settings for the child, as environment variables (on top of
            this process's environment).
        command: What to run.
        restart_delays: Seconds to wait before each restart after a crash.
        stop_timeout: How long `stop()` waits after SIGTERM before SIGKILL.
    """

    def __init__(
        self,
        environment: Mapping[str, str],
        command: Sequence[str] = NOTIFIER_COMMAND,
        restart_delays: Sequence[float] = RESTART_DELAYS,
        stop_timeout: float = 20.0,
    ) -> None:
        self._environment = {**os.environ, **environment, PARENT_PID_ENV: str(os.getpid())}
        self._command = list(command)
        self._delays = list(restart_delays)
        self._stop_timeout = stop_timeout
        self._process: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False
        self._spawned_at = 0.0
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        """The running child's process ID (None while it is down)."""
        process = self._process
        if process is None or process.returncode is not None:
            return None
        return process.pid

    async def start(self) -> None:
        """Start the child and watch over it."""
        await self._spawn()
        self._supervisor = asyncio.create_task(self._supervise())

    async def _spawn(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            *self._command,
            env=self._environment,
            start_new_session=True,  # a Ctrl-C in the terminal is the gateway's to pass on
        )
        self._spawned_at = time.monotonic()
        logger.info("notifier process %s started", self._process.pid)

    async def _supervise(self) -> None:
        crashes = 0
        while self._process is not None:
            code = await self._process.wait()
            if self._stopping:
                return
            healthy = time.monotonic() - self._spawned_at > HEALTHY_AFTER_SECONDS
            crashes = 1 if healthy else crashes + 1
            delay = self._delays[min(crashes, len(self._delays)) - 1]
            logger.error(
                "notifier process %s exited with %s; restarting in %.0f s",
                self._process.pid,
                code,
                delay,
            )
            await asyncio.sleep(delay)
            if self._stopping:
                return
            try:
                await self._spawn()
            except OSError as exc:  # the old, finished process stands: the next round waits
                logger.error("notifier process not started: %s", exc)
            self.restarts += 1

    async def stop(self) -> None:
        """SIGTERM the child and wait for it; SIGKILL when it takes too long."""
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), self._stop_timeout)
            except asyncio.TimeoutError:
                logger.error("notifier process %s did not stop: killed", process.pid)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor


async def watch_parent(
    stopping: asyncio.Event,
    parent: int,
    interval: float = 0.5,
    current_parent: Callable[[], int] = os.getppid,
) -> None:
    """Set `stopping` once `parent` is no longer this process's parent (it died)."""
    while not stopping.is_set():
        if current_parent() != parent:
            logger.warning("the gateway (process %s) is gone: stopping the notifier", parent)
            stopping.set()
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stopping.wait(), interval)
