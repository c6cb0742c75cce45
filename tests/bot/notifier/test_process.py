"""The notifier's own process: started, restarted after a crash, stopped; settings passed on."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.harness import process_alive
from bot.notifier.process import PARENT_PID_ENV, NotifierProcess, watch_parent
from bot.settings import GatewaySettings, TelegramMode, as_environment
from bot.whatsapp.settings import WhatsAppSettings

#: A child that writes its parent's PID and a setting to a file, then waits.
WAITING_CHILD = """
import os, sys, time
with open(sys.argv[1], "a") as out:
    out.write(f"{os.getpid()} {os.environ['NOTIFIER_PARENT_PID']} {os.environ['PROBE']}\\n")
time.sleep(60)
"""

#: A child that ignores SIGTERM, says it is ready, and waits.
STUBBORN_CHILD = """
import signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open(sys.argv[1], "w").write("ready")
time.sleep(60)
"""


async def _until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def _lines(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.split() for line in path.read_text().splitlines()]


async def test_the_child_gets_the_settings_and_is_restarted_after_a_crash(tmp_path: Path) -> None:
    out = tmp_path / "started.txt"
    process = NotifierProcess(
        {"PROBE": "from-settings"},
        command=[sys.executable, "-c", WAITING_CHILD, str(out)],
        restart_delays=(0.05,),
    )
    await process.start()
    try:
        await _until(lambda: len(_lines(out)) == 1)
        [[first_pid, parent, probe]] = _lines(out)
        assert (int(first_pid), int(parent), probe) == (process.pid, os.getpid(), "from-settings")
        assert process.restarts == 0

        os.kill(int(first_pid), signal.SIGKILL)
        await _until(lambda: len(_lines(out)) == 2)
        second_pid = int(_lines(out)[1][0])
        assert second_pid != int(first_pid)
        assert process.pid == second_pid
        assert process.restarts == 1
    finally:
        await process.stop()
    assert not process_alive(second_pid)
    assert process.pid is None
    await asyncio.sleep(0.2)
    assert len(_lines(out)) == 2, "a stopped child must not be started again"


async def test_a_child_that_ignores_sigterm_is_killed_after_the_timeout(tmp_path: Path) -> None:
    ready = tmp_path / "ready.txt"
    process = NotifierProcess(
        {}, command=[sys.executable, "-c", STUBBORN_CHILD, str(ready)], stop_timeout=0.5
    )
    await process.start()
    pid = process.pid
    assert pid is not None
    await _until(ready.exists)
    started = time.monotonic()
    await process.stop()
    assert time.monotonic() - started < 5
    assert not process_alive(pid)


async def test_the_child_stops_when_its_parent_is_gone() -> None:
    parents = iter([100, 100, 1])
    stopping = asyncio.Event()
    await asyncio.wait_for(
        watch_parent(stopping, 100, interval=0.01, current_parent=lambda: next(parents)), 5
    )
    assert stopping.is_set()


async def test_the_child_keeps_running_while_its_parent_lives() -> None:
    stopping = asyncio.Event()
    watcher = asyncio.create_task(watch_parent(stopping, os.getppid(), interval=0.01))
    await asyncio.sleep(0.1)
    assert not stopping.is_set()
    assert not watcher.done()
    stopping.set()
    await asyncio.wait_for(watcher, 1)


def test_settings_pass_to_another_process_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = GatewaySettings(
        data_dir=tmp_path,
        redis_url="redis://127.0.0.1:6379/5",
        notifier_enabled=True,
        notifier_share=0.75,
        telegram_bot_token="123:ABC",
        telegram_webhook_url="https://example.go.id/hook",
        telegram_chat_burst=7,
        _env_file=None,  # type: ignore[call-arg]
    )
    whatsapp = WhatsAppSettings(
        access_token="token",
        phone_number_id="42",
        messages_per_second=12.5,
        data_dir=tmp_path,  # the variables both read have one value in a process
        notifier_share=0.75,
        _env_file=None,
    )
    environment = {**as_environment(whatsapp), **as_environment(gateway)}
    assert environment["NOTIFIER_ENABLED"] == "true"
    assert environment["DATA_DIR"] == str(tmp_path)
    assert PARENT_PID_ENV not in environment
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    again = GatewaySettings(_env_file=None)  # type: ignore[call-arg]
    assert again == gateway
    assert again.telegram_mode is TelegramMode.WEBHOOK
    assert WhatsAppSettings(_env_file=None) == whatsapp
