"""Rasa's endpoints file for the current settings.

With no settings the committed `endpoints.yml` (SQLite tracker store, in-memory lock
store) is used as it is. `TRACKER_DATABASE_URL` (PostgreSQL) and `REDIS_URL` switch
Rasa to the shared stores that several Rasa servers behind a load balancer need.
"""

from __future__ import annotations

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
    base: dict[str, Any], actions_port: int, tracker_url: str | None, redis_url: str | None
) -> dict[str, Any]:
    """`base` (the committed endpoints.yml) adjusted to the settings."""
    endpoints = dict(base)
    endpoints["action_endpoint"] = {
        "url": f"http://127.0.0.1:{actions_port}/webhook",
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
) -> Path:
    """Write the endpoints Rasa should use and return its path."""
    base = yaml.safe_load(base_file.read_text(encoding="utf-8")) or {}
    rendered = render_endpoints(base, actions_port, tracker_url, redis_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(rendered, sort_keys=False), encoding="utf-8")
    return target
