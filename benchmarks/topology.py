"""The production topology from the shipped files in `deploy/`, on this machine.

The systemd units' commands (`deploy/systemd/*.service`: ExecStartPre, ExecStart and
Environment, with `%i` the instance's port) and the nginx configuration
(`deploy/nginx/lapor.conf`) are read from the repository and run as they are, with
three things swapped for a throw-away run: the install prefix `/opt/lapor` (this
checkout), the environment file `/etc/lapor/lapor.env` (written here, on fresh
PostgreSQL databases and a Redis database of this machine) and the ports (free ones,
so nothing clashes with a running stack). A unit whose command does not start, or an
nginx file that does not load, fails the run.

`python -m benchmarks.topology` runs the load with faults and prints the figures; the
short version is `tests/deploy/test_topology.py`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
UNIT_DIR = ROOT / "deploy" / "systemd"
NGINX_CONF = ROOT / "deploy" / "nginx" / "lapor.conf"
INSTALL_PREFIX = "/opt/lapor"
ENV_FILE = "/etc/lapor/lapor.env"
TLS_DIR = "/etc/lapor/tls"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class Unit:
    """The parts of a systemd unit file that say how its service runs."""

    name: str
    exec_start_pre: tuple[str, ...]
    exec_start: str
    environment: tuple[str, ...]
    environment_files: tuple[str, ...]
    working_directory: str

    @classmethod
    def read(cls, path: Path) -> Unit:
        """Parse `path`'s [Service] section (continuation lines are not used in ours)."""
        section = ""
        values: dict[str, list[str]] = {}
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line
                continue
            if section == "[Service]" and "=" in line:
                key, _, value = line.partition("=")
                values.setdefault(key.strip(), []).append(value.strip())
        (start,) = values["ExecStart"]
        return cls(
            name=path.name,
            exec_start_pre=tuple(values.get("ExecStartPre", [])),
            exec_start=start,
            environment=tuple(values.get("Environment", [])),
            environment_files=tuple(values.get("EnvironmentFile", [])),
            working_directory=values.get("WorkingDirectory", [INSTALL_PREFIX])[0],
        )


def unit(name: str) -> Unit:
    """A shipped unit by file name (`lapor-backend@.service`)."""
    return Unit.read(UNIT_DIR / name)


def read_env_file(path: Path) -> dict[str, str]:
    """A systemd environment file: `NAME=value` lines."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def expand(value: str, instance: str, environ: dict[str, str]) -> str:
    """systemd's specifiers (`%i`, `%H`, `%%`) and `${VAR}` of the unit's environment."""
    value = value.replace("%%", "\0").replace("%i", instance).replace("%H", socket.gethostname())
    value = re.sub(r"\$\{(\w+)\}", lambda m: environ.get(m[1], ""), value).replace("\0", "%")
    return value.replace(INSTALL_PREFIX, str(ROOT))


@dataclass
class Instance:
    """One running instance of a unit: `unit@instance`."""

    unit: Unit
    instance: str
    env_file: Path
    run_dir: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def label(self) -> str:
        """`lapor-backend@8000`-like name (with our port)."""
        return self.unit.name.replace("@.service", f"@{self.instance}").removesuffix(".service")

    @property
    def log_path(self) -> Path:
        """Where its output goes."""
        return self.run_dir / f"{self.label}.log"

    def environment(self) -> dict[str, str]:
        """The process environment systemd would give it."""
        environ = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
        for file in self.unit.environment_files:
            if file.lstrip("-") != ENV_FILE:
                raise ValueError(f"{self.unit.name}: unexpected EnvironmentFile {file}")
            environ.update(read_env_file(self.env_file))
        for assignment in self.unit.environment:
            for part in shlex.split(assignment):
                key, _, value = part.partition("=")
                environ[key] = expand(value, self.instance, environ)
        runtime = self.run_dir / f"runtime-{self.label}"
        runtime.mkdir(mode=0o700, exist_ok=True)
        environ["RUNTIME_DIRECTORY"] = str(runtime)
        return environ

    def start(self) -> None:
        """Run ExecStartPre lines to completion, then ExecStart in its own process group."""
        environ = self.environment()
        cwd = expand(self.unit.working_directory, self.instance, environ)
        with self.log_path.open("ab") as log:
            for line in self.unit.exec_start_pre:
                done = subprocess.run(  # noqa: S603 - the shipped unit's own command
                    shlex.split(expand(line, self.instance, environ)),
                    cwd=cwd,
                    env=environ,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
                if done.returncode != 0:
                    raise RuntimeError(f"{self.label}: ExecStartPre failed: {self.tail()}")
            self.process = subprocess.Popen(  # noqa: S603 - the shipped unit's own command
                shlex.split(expand(self.unit.exec_start, self.instance, environ)),
                cwd=cwd,
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its children die with it, as in its cgroup
            )
        self.starts += 1

    def kill(self) -> None:
        """`kill -9` the instance and everything it started."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """Stop it as systemd would: SIGTERM to the group, SIGKILL after a while."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self) -> str:
        """The end of its log."""
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def wait_healthy(self, url: str, timeout: float = 120) -> float:
        """Seconds until `url` answered 200; fails with the log when it exits or never does."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.label} exited while starting:\n{self.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2).status_code == 200:
                    return time.monotonic() - started
            time.sleep(0.2)
        raise RuntimeError(f"{self.label} not healthy after {timeout} s:\n{self.tail()}")


def free_ports(count: int) -> list[int]:
    """`count` TCP ports nobody listens on right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def shipped_ports(conf: str) -> list[int]:
    """Every port the shipped nginx file names (upstream servers and listeners), in order."""
    found = re.findall(r"127\.0\.0\.1:(\d+)|listen (\d+)(?=[ ;])", conf)
    ports: list[int] = []
    for upstream, listen in found:
        port = int(upstream or listen)
        if port not in ports:
            ports.append(port)
    return ports


def render_nginx(conf: str, ports: dict[int, int], tls_dir: Path) -> str:
    """The shipped nginx file with its ports swapped for `ports` and the TLS files' paths."""
    missing = [p for p in shipped_ports(conf) if p not in ports]
    if missing:
        raise ValueError(f"no port given for {missing}")

    def swap(match: re.Match[str]) -> str:
        return f"{match[1]}{ports[int(match[2])]}"

    rendered = re.sub(r"(127\.0\.0\.1:|listen )(\d+)(?=[ ;])", swap, conf)
    return rendered.replace(TLS_DIR, str(tls_dir))


def nginx_main_conf(run_dir: Path, site: Path) -> str:
    """An nginx.conf for a throw-away run: everything under `run_dir`, then the site file."""
    return f"""
worker_processes 1;
pid {run_dir}/nginx.pid;
error_log {run_dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {run_dir}/nginx-body;
    proxy_temp_path {run_dir}/nginx-proxy;
    fastcgi_temp_path {run_dir}/nginx-fastcgi;
    uwsgi_temp_path {run_dir}/nginx-uwsgi;
    scgi_temp_path {run_dir}/nginx-scgi;
    include {site};
}}
"""


def tool(name: str) -> str:
    """The full path of a program of this machine (nginx, openssl)."""
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed (Debian: apt-get install {name})")
    return found


def self_signed_certificate(tls_dir: Path) -> None:
    """`fullchain.pem` and `privkey.pem` for localhost (openssl)."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 - Debian's openssl, by its full path
        [
            tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost",
            "-keyout", str(tls_dir / "privkey.pem"), "-out", str(tls_dir / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip


@dataclass
class Nginx:
    """nginx from Debian's package, on the shipped site file."""

    run_dir: Path
    ports: dict[int, int]
    process: subprocess.Popen[bytes] | None = None

    @property
    def main_conf(self) -> Path:
        """The nginx.conf of this run."""
        return self.run_dir / "nginx.conf"

    def write(self) -> None:
        """Render the site file and the main file."""
        tls_dir = self.run_dir / "tls"
        self_signed_certificate(tls_dir)
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.run_dir / f"nginx-{temp}").mkdir(exist_ok=True)
        site = self.run_dir / "lapor.conf"
        site.write_text(render_nginx(NGINX_CONF.read_text(), self.ports, tls_dir))
        self.main_conf.write_text(nginx_main_conf(self.run_dir, site))

    def check(self) -> subprocess.CompletedProcess[str]:
        """`nginx -t` on the files."""
        return subprocess.run(  # noqa: S603 - Debian's nginx, by its full path
            [tool("nginx"), "-t", "-c", str(self.main_conf), "-p", str(self.run_dir)],
            capture_output=True,
            text=True,
            check=False,
        )

    def start(self) -> None:
        """Run nginx in the foreground of its own process."""
        self.process = subprocess.Popen(  # noqa: S603 - Debian's nginx, by its full path
            [
                tool("nginx"),
                "-c",
                str(self.main_conf),
                "-p",
                str(self.run_dir),
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(self.run_dir / "nginx-stderr.log").open("ab"),
        )

    def stop(self) -> None:
        """Stop nginx."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"


@dataclass
class Prometheus:
    """Prometheus from Debian's package on the shipped scrape config (ports swapped,
    scraped every second instead of 15 s so a test need not wait)."""

    run_dir: Path
    ports: dict[int, int]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def write(self) -> Path:
        """The rendered config, next to a copy of the shipped alert rules."""
        config = (PROMETHEUS_DIR / "prometheus.yml").read_text()
        rendered = re.sub(
            r"127\.0\.0\.1:(\d+)", lambda m: f"127.0.0.1:{self.ports[int(m[1])]}", config
        )
        rendered = rendered.replace("scrape_interval: 15s", "scrape_interval: 1s")
        (self.run_dir / "alerts.yml").write_text((PROMETHEUS_DIR / "alerts.yml").read_text())
        path = self.run_dir / "prometheus.yml"
        path.write_text(rendered)
        return path

    def start(self) -> None:
        """Serve on a free port; returns once its API answers."""
        config = self.write()
        (self.port,) = free_ports(1)
        self.process = subprocess.Popen(  # noqa: S603 - Debian's prometheus, by its full path
            [
                tool("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={self.run_dir / 'prometheus-data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(self.run_dir / "prometheus.log").open("ab"),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url("/-/ready"), timeout=2).status_code == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(
            "prometheus did not start: " + (self.run_dir / "prometheus.log").read_text()[-2000:]
        )

    def url(self, path: str) -> str:
        """`path` on its HTTP API."""
        return f"http://127.0.0.1:{self.port}{path}"

    def query(self, expression: str) -> float | None:
        """The single value of an instant query (None when it has no sample)."""
        answer = httpx.get(self.url("/api/v1/query"), params={"query": expression}, timeout=10)
        answer.raise_for_status()
        result = answer.json()["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    def targets_up(self, job: str) -> int:
        """How many of `job`'s targets the last scrape reached."""
        return int(self.query(f'sum(up{{job="{job}"}})') or 0)

    def stop(self) -> None:
        """Stop it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@contextlib.contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A throw-away database on this machine's PostgreSQL; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Topology:
    """The backend and action servers behind nginx, two instances each, from `deploy/`."""

    run_dir: Path
    database_url: str
    instances: dict[str, list[Instance]] = field(default_factory=dict)
    nginx: Nginx | None = None
    public_port: int = 0
    backend_token: str = field(default_factory=lambda: uuid.uuid4().hex)
    actions_token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def env_file(self, internal: dict[str, int]) -> Path:
        """The environment file every unit reads (`/etc/lapor/lapor.env` in production)."""
        path = self.run_dir / "lapor.env"
        lines = {
            "DATABASE_URL": self.database_url,
            "DATA_DIR": str(self.run_dir / "data"),
            "ATTACHMENTS_DIR": str(self.run_dir / "attachments"),
            "BACKEND_API_TOKEN": self.backend_token,
            "BACKEND_SECRET_KEY": uuid.uuid4().hex,
            "ACTIONS_TOKEN": self.actions_token,
            "BACKEND_URL": f"http://127.0.0.1:{internal['backend']}",
            "ACTIONS_URL": f"http://127.0.0.1:{internal['actions']}/webhook",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "WARNING",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        }
        path.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
        path.chmod(0o600)
        return path

    def url(self, path: str) -> str:
        """`path` through nginx's public TLS side."""
        return f"https://127.0.0.1:{self.public_port}{path}"


SHIPPED = {
    "backend": ("lapor-backend@.service", (8000, 8001), "/health"),
    "actions": ("lapor-actions@.service", (5055, 5056), "/health"),
}


@contextlib.contextmanager
def topology(run_dir: Path, kinds: tuple[str, ...] = ("backend", "actions")) -> Iterator[Topology]:
    """Migrate, start two instances of each of `kinds` and nginx; stop all afterwards."""
    run_dir.mkdir(parents=True, exist_ok=True)
    conf = NGINX_CONF.read_text()
    shipped = shipped_ports(conf)
    ports = dict(zip(shipped, free_ports(len(shipped)), strict=True))
    with postgres_database("topology") as database_url:
        topo = Topology(run_dir=run_dir, database_url=database_url)
        env_file = topo.env_file({"backend": ports[8100], "actions": ports[5150]})
        migrate = Instance(unit("lapor-migrate.service"), "", env_file, run_dir)
        migrate.start()
        if migrate.process is None or migrate.process.wait(timeout=120) != 0:
            raise RuntimeError(f"migrations failed:\n{migrate.tail()}")
        try:
            for kind in kinds:
                name, shipped_instances, _ = SHIPPED[kind]
                topo.instances[kind] = [
                    Instance(unit(name), str(ports[p]), env_file, run_dir)
                    for p in shipped_instances
                ]
            for running in topo.instances.values():
                for instance in running:
                    instance.start()
            for kind, running in topo.instances.items():
                for instance in running:
                    instance.wait_healthy(f"http://127.0.0.1:{instance.instance}{SHIPPED[kind][2]}")
            topo.nginx = Nginx(run_dir, ports)
            topo.nginx.write()
            checked = topo.nginx.check()
            if checked.returncode != 0:
                raise RuntimeError(f"nginx -t failed:\n{checked.stderr}")
            topo.public_port = ports[443]
            topo.nginx.start()
            yield topo
        finally:
            if topo.nginx is not None:
                topo.nginx.stop()
            for running in topo.instances.values():
                for instance in running:
                    instance.stop()


# --- The benchmark: filing through nginx while instances die ------------------------------


@dataclass
class FaultRun:
    """Figures of one run: requests, their latencies, and each fault's cost."""

    latencies: list[float] = field(default_factory=list)
    retries: int = 0
    failures: int = 0
    filed: int = 0
    faults: list[str] = field(default_factory=list)


def report_body(n: int) -> dict[str, Any]:
    """A complaint of its own (description and reporter numbered `n`)."""
    return {
        "report_type": "complaint",
        "category": "jalan_jembatan",
        "description": f"Jalan berlubang besar nomor {n} di depan pasar, motor sering jatuh",
        "location": {"text": "Jl. Raya Serang", "kecamatan": "Cikupa"},
        "privacy": "public",
        "channel": "api",
        "reporter": {"name": "Warga", "chat_id": f"telegram:{700_000 + n}"},
    }


def file_report(
    client: httpx.Client, topo: Topology, n: int, attempts: int = 50
) -> tuple[int, int]:
    """File report `n` through nginx as a careful client does: a failed call (no answer,
    or nginx's 502/503/504) is sent again with the same Idempotency-Key. Returns the last
    status (0: never answered) and how many calls were retried."""
    headers = {"Authorization": f"Bearer {topo.backend_token}", "Idempotency-Key": uuid.uuid4().hex}
    for attempt in range(attempts):
        try:
            response = client.post(
                topo.url("/api/v1/complaints"), json=report_body(n), headers=headers
            )
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code not in (502, 503, 504):
            return response.status_code, attempt
        time.sleep(0.2)
    return 0, attempts


def _file_reports(
    topo: Topology, stop: threading.Event, worker: int, run: FaultRun, lock: threading.Lock
) -> None:
    """File reports until `stop`."""
    n = worker
    with httpx.Client(verify=False, timeout=10) as client:  # noqa: S501 - our own test certificate
        while not stop.is_set():
            started = time.monotonic()
            status, retries = file_report(client, topo, n)
            with lock:
                run.retries += retries
                if status == 201:
                    run.latencies.append(time.monotonic() - started)
                    run.filed += 1
                else:
                    run.failures += 1
            n += 8


def stored_reports(database_url: str) -> tuple[int, int]:
    """Reports in the database, and how many distinct descriptions they have."""
    engine = create_engine(database_url, future=True)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT count(*), count(DISTINCT description) FROM reports"))
            total, distinct = row.one()
            return int(total), int(distinct)
    finally:
        engine.dispose()


def main() -> None:
    """`python -m benchmarks.topology`: 8 clients filing through nginx for about a minute,
    while each backend worker and each action server is killed (SIGKILL) and restarted."""
    from benchmarks.harness import summarise

    run_dir = Path(tempfile.mkdtemp(prefix="lapor-topology-"))  # logs kept for a look after
    run = FaultRun()
    lock = threading.Lock()
    stop = threading.Event()
    with topology(run_dir) as topo:
        workers = [
            threading.Thread(target=_file_reports, args=(topo, stop, w, run, lock))
            for w in range(8)
        ]
        started = time.monotonic()
        for thread in workers:
            thread.start()
        time.sleep(5)
        victims = [*topo.instances["backend"], *topo.instances["actions"]]
        for victim in victims:
            victim.kill()
            down = time.monotonic()
            time.sleep(3)
            victim.start()
            up = victim.wait_healthy(f"http://127.0.0.1:{victim.instance}/health")
            run.faults.append(
                f"kill -9 {victim.label}: restarted after 3.0 s, healthy {up:.1f} s later "
                f"({time.monotonic() - down:.1f} s out)"
            )
            time.sleep(5)
        stop.set()
        for thread in workers:
            thread.join()
        seconds = time.monotonic() - started
        total, distinct = stored_reports(topo.database_url)
    print(f"--- topology: 2 backends + 2 action servers behind nginx (TLS), {seconds:.0f} s")
    print(f"  logs: {run_dir}")
    print("  " + summarise("file a report (with retries)", run.latencies, seconds).line())
    print(f"  filed {run.filed}, stored {total} ({distinct} distinct), failed {run.failures}")
    print(f"  retried requests: {run.retries}")
    for line in run.faults:
        print(f"  {line}")
    ok = run.failures == 0 and total == distinct == run.filed
    print(f"  checks: {'all passed' if ok else 'FAILED'}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
