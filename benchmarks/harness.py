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


def start_process(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a child Python process with `env` added to this one's environment."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Wait until `url` answers 200, or fail with the child's error output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"process exited early:\n{errors}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy in {timeout} s")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate a child and wait for it."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
