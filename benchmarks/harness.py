"""Small helpers shared by the benchmarks: latency summaries and child processes."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class Summary:
    """Latency and throughput of one benchmark phase."""

    name: str
    count: int
    seconds: float
    p50_ms: float
    p95_ms: float
    max_ms: float

    @property
    def per_second(self) -> float:
        """Completed operations per second."""
        return self.count / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        """One printable line."""
        return (
            f"{self.name:<28} n={self.count:<5} p50={self.p50_ms:7.1f} ms  "
            f"p95={self.p95_ms:7.1f} ms  max={self.max_ms:7.1f} ms  "
            f"{self.per_second:7.1f}/s"
        )


def summarise(name: str, latencies: Sequence[float], seconds: float) -> Summary:
    """Summarise latencies given in seconds."""
    ordered = sorted(latencies)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return Summary(
        name=name,
        count=len(ordered),
        seconds=seconds,
        p50_ms=cuts[49] * 1000,
        p95_ms=cuts[94] * 1000,
        max_ms=ordered[-1] * 1000,
    )


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_process(
    args: list[str], env: dict[str, str], log_path: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start a child process (a list starting with a program, or `-m module` for Python).

    Its output goes to `log_path` (or is discarded), so it can never block on a full pipe.
    """
    command = args if not args[0].startswith("-") else [sys.executable, *args]
    if log_path is None:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    with log_path.open("ab") as log:
        return subprocess.Popen(  # noqa: S603
            command, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
        )


def process_alive(pid: int) -> bool:
    """Whether a process with this ID exists (a zombie counts until it is reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_healthy(
    url: str, process: subprocess.Popen[bytes], timeout: float = 60, log_path: Path | None = None
) -> None:
    """Wait until `url` answers 200, or fail with the end of the child's log."""

    def log_tail() -> str:
        return log_path.read_text(errors="replace")[-4000:] if log_path else ""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process for {url} exited early:\n{log_tail()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not become healthy in {timeout} s:\n{log_tail()}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate a child and wait for it."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
