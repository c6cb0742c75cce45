"""Action server settings, read from environment variables (and `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, Field

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ActionSettings(BaseSettings):
    """Settings of the Rasa action server."""

    data_dir: Path = Field(default=PROJECT_ROOT / "var", env="DATA_DIR")
    actions_host: str = Field(default="127.0.0.1", env="ACTIONS_HOST")
    actions_port: int = Field(default=5055, env="ACTIONS_PORT")
    backend_url: str = Field(default="", env="BACKEND_URL")
    backend_port: int = Field(default=8000, env="BACKEND_PORT")
    backend_api_token: str = Field(default="", env="BACKEND_API_TOKEN")
    #: The secret Rasa sends (`Authorization: Bearer ...`, endpoints.yml) on every call.
    actions_token: str = Field(default="", env="ACTIONS_TOKEN")
    backend_timeout_seconds: float = Field(default=4.0, env="BACKEND_TIMEOUT_SECONDS")
    pending_database_url: str = Field(default="", env="ACTIONS_DATABASE_URL")
    pending_retry_seconds: float = Field(default=15.0, env="PENDING_RETRY_SECONDS")
    timezone: str = Field(default="Asia/Jakarta", env="TIMEZONE")

    class Config:
        env_file = ".env"
        env_file_encoding = "utf-8"

    @property
    def effective_backend_url(self) -> str:
        """The backend's base URL (defaults to this machine's backend port)."""
        return self.backend_url or f"http://127.0.0.1:{self.backend_port}"

    @property
    def effective_pending_database_url(self) -> str:
        """Where submissions waiting for the backend are kept (SQLite by default)."""
        return self.pending_database_url or f"sqlite:///{self.data_dir / 'actions.db'}"


@lru_cache(maxsize=1)
def get_settings() -> ActionSettings:
    """The process-wide settings, read once."""
    return ActionSettings()
