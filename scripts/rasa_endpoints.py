"""Rasa's endpoints file for the current settings.

With no settings the committed `endpoints.yml` (SQLite tracker store, in-memory lock
store) is used as it is. `TRACKER_DATABASE_URL` (PostgreSQL) and `REDIS_URL` switch
Rasa to the shared stores that several Rasa servers behind a load balancer need.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml


def tracker_store_from_url(url: str) -> dict[str, Any]:
    """Rasa's SQL tracker store settings for a SQLAlchemy-style database URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        # sqlite:///relative.db -> "relative.db"; sqlite:////abs/path.db -> "/abs/path.db"
        return {"type": "SQL", "dialect": "sqlite", "db": parts.path[1:]}
    if scheme not in ("postgresql", "postgres"):
        raise ValueError(f"TRACKER_DATABASE_URL must be sqlite:/// or postgresql://, not {scheme}")
    store: dict[str, Any] = {
        "type": "SQL",
        "dialect": "postgresql",
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "db": parts.path.lstrip("/") or "rasa",
    }
    if parts.username:
        store["username"] = unquote(parts.username)
    if parts.password:
        store["password"] = unquote(parts.password)
    return store


def lock_store_from_url(url: str) -> dict[str, Any]:
    """Rasa's Redis lock store settings for a `redis://` URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"REDIS_URL must start with redis://, not {parts.scheme}")
    store: dict[str, Any] = {
        "type": "redis",
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(parts.path.lstrip("/") or 0),
        "key_prefix": "lapor",
    }
    if parts.password:
        store["password"] = unquote(parts.password)
    if parts.scheme == "rediss":
        store["use_ssl"] = True
    return store


#: How Rasa authenticates to the action server: the secret from Rasa's own environment,
#: resolved by Rasa when it reads the file, so it is never written to disk.
ACTION_SERVER_AUTH = {"Authorization": "Bearer ${ACTIONS_TOKEN}"}


def render_endpoints(
    base: dict[str, Any],
    actions_port: int,
    tracker_url: str | None,
    redis_url: str | None,
    actions_url: str | None = None,
) -> dict[str, Any]:
    """`base` (the committed endpoints.yml) adjusted to the settings.

    `actions_url` (the action servers' balancer, in production) replaces this machine's
    action server on `actions_port`.
    """
    endpoints = dict(base)
    endpoints["action_endpoint"] = {
        "url": actions_url or f"http://127.0.0.1:{actions_port}/webhook",
        "headers": dict(ACTION_SERVER_AUTH),
    }
    if tracker_url:
        endpoints["tracker_store"] = tracker_store_from_url(tracker_url)
    if redis_url:
        endpoints["lock_store"] = lock_store_from_url(redis_url)
    return endpoints


def write_endpoints(
    base_file: Path,
    target: Path,
    actions_port: int,
    tracker_url: str | None,
    redis_url: str | None,
    actions_url: str | None = None,
) -> Path:
    """Write the endpoints Rasa should use (readable by its owner only) and return its path."""
    base = yaml.safe_load(base_file.read_text(encoding="utf-8")) or {}
    rendered = render_endpoints(base, actions_port, tracker_url, redis_url, actions_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.touch(mode=0o600)
    target.chmod(0o600)  # the tracker store's password may be in it
    target.write_text(yaml.safe_dump(rendered, sort_keys=False), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> None:
    """`python -m scripts.rasa_endpoints TARGET`: Rasa's endpoints from the environment.

    Reads `TRACKER_DATABASE_URL`, `REDIS_URL`, `ACTIONS_URL` (else this machine's
    `ACTIONS_PORT`); the systemd unit of Rasa runs it before each start.
    """
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m scripts.rasa_endpoints TARGET")
    root = Path(__file__).resolve().parent.parent
    target = write_endpoints(
        root / "endpoints.yml",
        Path(args[0]),
        int(os.environ.get("ACTIONS_PORT", "5055")),
        os.environ.get("TRACKER_DATABASE_URL") or None,
        os.environ.get("REDIS_URL") or None,
        os.environ.get("ACTIONS_URL") or None,
    )
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
