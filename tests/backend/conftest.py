"""Backend fixtures: a migrated database (SQLite and PostgreSQL) and an API client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.app import create_app
from backend.auth import hash_password
from backend.db import make_engine
from backend.migrate import upgrade
from backend.models import Base, User
from backend.settings import BackendSettings
from backend.state import AppState
from tests.conftest import postgres_engine

SERVICE_TOKEN = "test-service-token-0123456789"
SECRET_KEY = "test-secret-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """An engine on a database migrated with Alembic, once per test session and kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'backend.db'}"
        engine = make_engine(url)
        upgrade(url)
    else:
        url, schema = request.getfixturevalue("postgres_schema_url")
        engine = postgres_engine(url, schema, pool_size=30)
        with engine.begin() as connection:
            upgrade(url, connection=connection)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    """The migrated engine, emptied after each test."""
    yield migrated_engine
    tables = list(reversed(Base.metadata.sorted_tables))
    with migrated_engine.begin() as connection:
        if migrated_engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


def make_settings(tmp_path: Path, **overrides: Any) -> BackendSettings:
    """Settings for tests, independent of the developer's environment and `.env`."""
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "backend_api_token": SERVICE_TOKEN,
        "backend_secret_key": SECRET_KEY,
        "attachments_dir": tmp_path / "attachments",
    }
    values.update(overrides)
    return BackendSettings(_env_file=None, **values)


@pytest.fixture
def settings(tmp_path: Path) -> BackendSettings:
    """Test settings with a temporary data directory."""
    return make_settings(tmp_path)


@pytest.fixture
def state(settings: BackendSettings, engine: Engine) -> AppState:
    """App state on the test database."""
    return AppState.from_settings(settings, engine=engine)


@pytest.fixture(scope="session")
def routed_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """One backend app for the session: FastAPI takes ~0.2 s to build its routes.

    The routes hold no state of their own; each test gives the app its own
    `app.state.backend` (the `app` fixture).
    """
    return create_app(settings=make_settings(tmp_path_factory.mktemp("routed-app")))


@pytest.fixture
def app(routed_app: FastAPI, state: AppState) -> Iterator[FastAPI]:
    """The backend app on this test's state (settings, database)."""
    routed_app.state.backend = state
    yield routed_app
    routed_app.dependency_overrides.clear()
    if hasattr(routed_app.state, "publisher"):
        del routed_app.state.publisher


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://backend.test") as c:
        yield c


def complaint_body(**overrides: Any) -> dict[str, Any]:
    """A valid create request, changed by `overrides`."""
    body: dict[str, Any] = {
        "report_type": "complaint",
        "category": "jalan_jembatan",
        "description": "Jalan di depan SDN 1 berlubang besar, sudah dua motor jatuh minggu ini.",
        "location": {
            "text": "Jl. Raya Serang km 20, Balaraja",
            "kecamatan": "Balaraja",
            "latitude": -6.2,
            "longitude": 106.45,
        },
        "incident_date": "2026-11-20",
        "privacy": "public",
        "channel": "telegram",
        "attachments": [],
        "reporter": {"name": "Siti Aminah", "phone": "+6281234567890", "chat_id": "telegram:42"},
    }
    body.update(overrides)
    return body


def count_rows(engine: Engine, model: type[Any]) -> int:
    """How many rows the table of `model` holds."""
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def add_user(
    engine: Engine, username: str, password: str, role: str, agency: str | None = None
) -> None:
    """Store a console user with a hashed password."""
    with Session(engine) as session:
        session.add(
            User(
                username=username,
                password_hash=hash_password(password),
                role=role,
                agency=agency,
                active=1,
            )
        )
        session.commit()


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    """Log in through the API and return the Authorization header of the session."""
    response = await client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def create_report(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """File a report through the API as the service and return its JSON."""
    response = await client.post(
        "/api/v1/complaints", json=complaint_body(**overrides), headers=AUTH
    )
    assert response.status_code == 201, response.text
    report: dict[str, Any] = response.json()
    return report
