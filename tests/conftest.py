"""Shared fixtures: real PostgreSQL and Redis in CI, SQLite always."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def service_missing(what: str, error: Exception) -> None:
    """Fail in CI (the service must be there), skip on a developer machine without it."""
    message = f"{what} is unreachable: {error}"
    if IN_CI:
        pytest.fail(f"{message} (CI needs it: start the service)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[tuple[str, str]]:
    """A fresh schema on the test PostgreSQL for this test session: (url, schema)."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, future=True)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means the server is not usable
        admin.dispose()
        service_missing(f"PostgreSQL at {POSTGRES_URL}", exc)
    try:
        yield POSTGRES_URL, schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def postgres_engine(url: str, schema: str, pool_size: int = 10) -> Engine:
    """An engine whose connections use `schema` first."""
    from backend.db import make_engine

    return make_engine(
        url, pool_size=pool_size, connect_args={"options": f"-csearch_path={schema}"}
    )
