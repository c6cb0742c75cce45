"""Run the Alembic migrations programmatically (used by `make run` and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config for this project's migrations on `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, connection: Connection | None = None) -> None:
    """Bring the database at `url` (or behind `connection`) to the newest schema."""
    config = alembic_config(url)
    if connection is not None:
        config.attributes["connection"] = connection
    command.upgrade(config, "head")


def downgrade_to_base(url: str, connection: Connection | None = None) -> None:
    """Remove every table the migrations created."""
    config = alembic_config(url)
    if connection is not None:
        config.attributes["connection"] = connection
    command.downgrade(config, "base")
