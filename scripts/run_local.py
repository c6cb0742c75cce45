"""`make run`: start every service on this machine with embedded defaults.

Reads `.env` when present, creates the data directory and local secrets on first
run, starts each service as a child process, waits until it is healthy, prints
where to talk to it, and stops everything on Ctrl+C.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx
from dotenv import dotenv_values, load_dotenv

from scripts.rasa_endpoints import write_endpoints
from scripts.rasa_model import MODEL, train
from scripts.stack import Ports, StackProcess, stack_processes

ROOT = Path(__file__).resolve().parent.parent
LOCAL_SECRETS = ("BACKEND_API_TOKEN", "BACKEND_SECRET_KEY", "RASA_API_TOKEN", "ACTIONS_TOKEN")


@dataclass
class Service:
    """One child process and how to tell it is ready."""

    spec: StackProcess
    startup_seconds: float = 300
    process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        """The service's name."""
        return self.spec.name


def ensure_local_secrets(data_dir: Path) -> None:
    """Generate service secrets once per machine when the environment has none."""
    secrets_file = data_dir / "local-secrets.env"
    stored = (
        {k: v for k, v in dotenv_values(secrets_file).items() if v} if secrets_file.exists() else {}
    )
    missing = [name for name in LOCAL_SECRETS if not os.environ.get(name) and name not in stored]
    if missing:
        with secrets_file.open("a", encoding="utf-8") as out:
            for name in missing:
                out.write(f"{name}={secrets.token_urlsafe(32)}\n")
        secrets_file.chmod(0o600)
        print(f"Generated {', '.join(missing)} in {secrets_file} (kept out of git).")
    load_dotenv(secrets_file, override=False)


def train_if_stale() -> None:
    """Train the Rasa model when its inputs changed (a few minutes), else reuse it."""
    print("Checking the Rasa model ...", flush=True)
    result = train()
    if result is None:
        print("  the model is up to date", flush=True)
    elif result.returncode != 0:
        sys.exit(f"rasa train failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    else:
        print(f"  trained {MODEL.relative_to(ROOT)}", flush=True)


def services(data_dir: Path) -> list[Service]:
    """The services to start, in order."""
    ports = Ports(
        backend=int(os.environ.get("BACKEND_PORT", "8000")),
        actions=int(os.environ.get("ACTIONS_PORT", "5055")),
        rasa=int(os.environ.get("RASA_PORT", "5005")),
        gateway=int(os.environ.get("GATEWAY_PORT", "8080")),
    )
    endpoints = write_endpoints(
        ROOT / "endpoints.yml",
        data_dir / "endpoints.yml",
        ports.actions,
        os.environ.get("TRACKER_DATABASE_URL") or None,
        os.environ.get("REDIS_URL") or None,
    )
    specs = stack_processes(
        ports,
        endpoints,
        MODEL,
        os.environ["RASA_API_TOKEN"],
        os.environ.get("RASA_HOST", "127.0.0.1"),
    )
    return [Service(spec) for spec in specs]


def telegram_status() -> str:
    """How the gateway connects to Telegram with the current settings."""
    if not os.environ.get("TELEGRAM_BOT_TOKEN"):
        return "off (set TELEGRAM_BOT_TOKEN in .env to chat on Telegram)"
    if os.environ.get("TELEGRAM_WEBHOOK_URL"):
        return f"webhook at {os.environ['TELEGRAM_WEBHOOK_URL']}"
    return "long polling (no public URL needed): message your bot on Telegram"


def start(service: Service) -> None:
    """Start `service` and wait for its health check, or exit with its error output."""
    log_dir = ROOT / "var" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{service.name}.log"
    print(f"Starting {service.name} (log: {log_path.relative_to(ROOT)}) ...", flush=True)
    with log_path.open("ab") as log:
        service.process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            service.spec.command,
            cwd=ROOT,
            env=dict(os.environ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + service.startup_seconds
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
            sys.exit(f"{service.name} stopped while starting. Last log lines:\n{tail}")
        try:
            if httpx.get(service.spec.health_url, timeout=2).status_code == 200:
                print(f"  {service.name} is ready at {service.spec.health_url}", flush=True)
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit(f"{service.name} did not become healthy within {service.startup_seconds:.0f} s")


def stop_all(running: list[Service]) -> None:
    """Stop children in reverse order."""
    for service in reversed(running):
        if service.process and service.process.poll() is None:
            service.process.terminate()
    for service in reversed(running):
        if service.process:
            try:
                service.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                service.process.kill()


def main() -> None:
    """Start everything, print where to chat, and wait for Ctrl+C."""
    os.chdir(ROOT)
    load_dotenv(ROOT / ".env", override=False)
    data_dir = Path(os.environ.get("DATA_DIR", ROOT / "var"))
    data_dir.mkdir(parents=True, exist_ok=True)
    ensure_local_secrets(data_dir)
    # `make run` serves plain HTTP on 127.0.0.1: a Secure cookie would not stick in
    # every browser. Production sits behind HTTPS and keeps the default (true).
    os.environ.setdefault("CONSOLE_COOKIE_SECURE", "false")
    running: list[Service] = []

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop_all(running)
        sys.exit(0)

    signal.signal(signal.SIGTERM, _stop)
    try:
        train_if_stale()
        for service in services(data_dir):
            running.append(service)
            start(service)
        backend = os.environ.get("BACKEND_PORT", "8000")
        rasa_port = os.environ.get("RASA_PORT", "5005")
        print(
            "\nEverything is running.\n"
            f"  Telegram:      {telegram_status()}\n"
            f"  Chat here:     {sys.executable} -m scripts.chat\n"
            f"  REST channel:  POST http://127.0.0.1:{rasa_port}/webhooks/rest/webhook "
            '{"sender": "web:me", "message": "halo"}\n'
            f"  Backend API:   http://127.0.0.1:{backend}/docs  (tokens in "
            f"{data_dir / 'local-secrets.env'})\n"
            f"  Open311:       http://127.0.0.1:{backend}/open311/v2/services.json\n"
            f"  Console:       http://127.0.0.1:{backend}/admin  (first administrator: "
            f"{sys.executable} -m backend create-admin NAME)\n"
            "Press Ctrl+C to stop.",
            flush=True,
        )
        while all(s.process and s.process.poll() is None for s in running):
            time.sleep(1)
        stopped = [s.name for s in running if s.process and s.process.poll() is not None]
        print(f"Stopped unexpectedly: {', '.join(stopped)}; see var/logs/.", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\nStopping ...")
    finally:
        stop_all(running)


if __name__ == "__main__":
    main()
