"""The assistant's per-turn cost beside the bare Rasa bot's, measured side by side.

Issue 14's cost target compares the assistant with the bare Rasa 3.6 form bot in
`../shared/bench/` (four text slots, one custom action): its single-turn p50 over the
bare bot's, and its messages/s with 20 conversations at once over the bare bot's. Both
bots run on this machine in the same run, and both are driven by the same load script,
`../shared/bench/rest_load.py` (run as it is, never copied), over their REST channels,
alternately: bare one at a time, assistant one at a time, bare 20 at once, assistant
20 at once, for `--rounds` rounds. The assistant runs on the `make run` defaults.

Usage: python -m benchmarks.bare_compare [--shared ../shared] [--rounds 2]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import free_port, start_process, stop_process, wait_healthy
from scripts.stack import embedded_stack, free_ports, stack_processes

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")
MODEL = ROOT / "models" / "lapor.tar.gz"
#: Trained bare-bot models, by a hash of the bot's files (training takes minutes).
CACHE = ROOT / "var" / "bench" / "bare_bot"
RESULT = re.compile(
    r"turns (?P<turns>\d+) conc (?P<conc>\d+): p50 (?P<p50>\d+) ms p95 (?P<p95>\d+) ms "
    r"p99 (?P<p99>\d+) ms, (?P<rate>[\d.]+) msg/s"
)
TARGET_P50_RATIO = 1.5
TARGET_RATE_RATIO = 0.67


@dataclass(frozen=True)
class LoadResult:
    """One line of rest_load.py's output."""

    turns: int
    p50_ms: float
    p95_ms: float
    rate: float

    @classmethod
    def parse(cls, output: str) -> LoadResult:
        """Read rest_load.py's summary line."""
        found = RESULT.search(output)
        if found is None:
            raise RuntimeError(f"rest_load.py printed no summary: {output!r}")
        return cls(
            int(found["turns"]), float(found["p50"]), float(found["p95"]), float(found["rate"])
        )


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process and its waited-for children have used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def bot_hash(bot: Path) -> str:
    """A hash of every file of the bare bot (its cached model is reused while it matches)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in bot.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(bot)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def trained_bare_bot(source: Path, workdir: Path) -> Path:
    """A copy of the bare bot in `workdir` with its trained model; trains once per version."""
    bot = workdir / "bare_bot"
    shutil.copytree(source, bot)
    cached = CACHE / f"{bot_hash(source)}.tar.gz"
    if not cached.exists():
        print("training the bare bot (once per version of it) ...", flush=True)
        out = workdir / "bare_models"
        subprocess.run(  # noqa: S603 - our own virtualenv's rasa
            [RASA, "train", "--out", str(out)],
            cwd=bot,
            env={**os.environ, "PYTHONHASHSEED": "0"},
            check=True,
            capture_output=True,
            timeout=1800,
        )
        CACHE.mkdir(parents=True, exist_ok=True)
        shutil.copy(next(out.glob("*.tar.gz")), cached)
    return cached


def run_load(script: Path, concurrency: int, conversations: int, url: str) -> LoadResult:
    """One run of the shared load script against one REST channel."""
    done = subprocess.run(  # noqa: S603 - our interpreter, the shared script
        [sys.executable, str(script), str(concurrency), str(conversations), url],
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return LoadResult.parse(done.stdout)


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def main() -> None:
    """Start both bots, run the shared load script on each in turn, print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    bench = args.shared / "bench"
    script = bench / "rest_load.py"
    if not (bench / "bare_bot").is_dir() or not script.is_file():
        sys.exit(f"No bare bot at {bench}: pass --shared with the shared folder.")
    if not MODEL.exists():
        sys.exit("No trained model: run `python -m scripts.rasa_model` first.")

    workdir = Path(tempfile.mkdtemp(prefix="bare-compare-"))
    bare_model = trained_bare_bot(bench / "bare_bot", workdir)
    bare_bot = workdir / "bare_bot"
    bare_rasa_port, bare_actions_port = free_port(), free_port()
    (bare_bot / "endpoints.yml").write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{bare_actions_port}/webhook"\n'
    )
    data_dir = workdir / "assistant"
    data_dir.mkdir()
    ports = free_ports()
    env, endpoints = embedded_stack(data_dir, ports, "bench-token")
    env["LOG_LEVEL"] = "WARNING"
    processes = {}
    try:
        os.chdir(bare_bot)
        bare = [
            (
                "bare-actions",
                [RASA, "run", "actions", "--port", str(bare_actions_port)],
                f"http://127.0.0.1:{bare_actions_port}/health",
            ),
            (
                "bare-rasa",
                [RASA, "run", "--port", str(bare_rasa_port), "--model", str(bare_model)],
                f"http://127.0.0.1:{bare_rasa_port}/",
            ),
        ]
        for name, command, health in bare:
            log = workdir / f"{name}.log"
            processes[name] = start_process(command, {"PYTHONHASHSEED": "0"}, log)
            wait_healthy(health, processes[name], timeout=300, log_path=log)
        os.chdir(ROOT)
        for spec in stack_processes(ports, endpoints, MODEL, "bench"):
            log = data_dir / f"{spec.name}.log"
            processes[spec.name] = start_process(spec.command, env, log)
            wait_healthy(spec.health_url, processes[spec.name], timeout=300, log_path=log)

        urls = {
            "bare": f"http://127.0.0.1:{bare_rasa_port}/webhooks/rest/webhook",
            "assistant": f"http://127.0.0.1:{ports.rasa}/webhooks/rest/webhook",
        }
        for url in urls.values():  # warm both (first turns load models lazily)
            run_load(script, 1, 2, url)
        results: dict[tuple[str, int], list[LoadResult]] = {}
        print(f"Side by side on {os.cpu_count()} cores, load script {script}")
        for round_number in range(1, args.rounds + 1):
            for concurrency, conversations in ((1, 10), (20, 100)):
                for bot, url in urls.items():
                    pids = {
                        name: process.pid
                        for name, process in processes.items()
                        if name.startswith("bare-") == (bot == "bare")
                    }
                    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                    result = run_load(script, concurrency, conversations, url)
                    results.setdefault((bot, concurrency), []).append(result)
                    cost = ", ".join(
                        f"{name} {1000 * (cpu_seconds(pid) - before[name]) / result.turns:.1f}"
                        for name, pid in pids.items()
                    )
                    print(
                        f"round {round_number} {bot:<9} {concurrency:>2} at once: "
                        f"p50 {result.p50_ms:.0f} ms p95 {result.p95_ms:.0f} ms, "
                        f"{result.rate:.1f} msg/s; CPU ms per turn: {cost}",
                        flush=True,
                    )
        single = {b: median([r.p50_ms for r in results[(b, 1)]]) for b in urls}
        rate = {b: median([r.rate for r in results[(b, 20)]]) for b in urls}
        p50_ratio = single["assistant"] / single["bare"]
        rate_ratio = rate["assistant"] / rate["bare"]
        print(
            f"single-turn p50: assistant {single['assistant']:.0f} ms, bare "
            f"{single['bare']:.0f} ms: {p50_ratio:.2f}x (target <= {TARGET_P50_RATIO}x)"
        )
        print(
            f"20 at once: assistant {rate['assistant']:.1f} msg/s, bare {rate['bare']:.1f} "
            f"msg/s: {rate_ratio:.2f}x (target >= {TARGET_RATE_RATIO}x)"
        )
    finally:
        for process in reversed(list(processes.values())):
            stop_process(process)
        os.chdir(ROOT)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
