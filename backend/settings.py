"""Backend settings, read from environment variables (and `.env` when present)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, Field

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_DEFAULT = PROJECT_ROOT / "var"
#: LAPOR! v3 through the SPLP gateway (reference/lapor_v3.md; to be confirmed).
LAPOR_PRODUCTION_URL = "https://api-splp.layanan.go.id/lapor/3.0.0"


class BackendSettings(BaseSettings):
    """Settings of the complaint backend.

    Every field maps to the upper-case environment variable of the same name.
    """

    data_dir: Path = Field(default=DATA_DIR_DEFAULT, env="DATA_DIR")
    database_url: str = Field(default="", env="DATABASE_URL")
    tracker_database_url: str = Field(default="", env="TRACKER_DATABASE_URL")
    backend_host: str = Field(default="127.0.0.1", env="BACKEND_HOST")
    backend_port: int = Field(default=8000, env="BACKEND_PORT")
    backend_api_token: str = Field(default="", env="BACKEND_API_TOKEN")
    backend_secret_key: str = Field(default="", env="BACKEND_SECRET_KEY")
    officer_token_ttl_seconds: int = Field(default=8 * 3600, env="OFFICER_TOKEN_TTL_SECONDS")
    tracking_id_prefix: str = Field(default="TNG", env="TRACKING_ID_PREFIX", regex=r"^[A-Z]{2,6}$")
    timezone: str = Field(default="Asia/Jakarta", env="TIMEZONE")
    categories_file: Path = Field(
        default=PROJECT_ROOT / "data" / "categories.yaml", env="CATEGORIES_FILE"
    )
    kecamatan_file: Path = Field(
        default=PROJECT_ROOT / "data" / "kecamatan.yaml", env="KECAMATAN_FILE"
    )
    attachments_dir: Path | None = Field(default=None, env="ATTACHMENTS_DIR")
    attachment_max_bytes: int = Field(default=20 * 1024 * 1024, env="ATTACHMENT_MAX_BYTES")
    console_session_hours: int = Field(default=8, env="CONSOLE_SESSION_HOURS", ge=1, le=24)
    console_idle_minutes: int = Field(default=30, env="CONSOLE_IDLE_MINUTES", ge=1, le=24 * 60)
    console_cookie_secure: bool = Field(default=True, env="CONSOLE_COOKIE_SECURE")
    console_lockout_attempts: int = Field(default=5, env="CONSOLE_LOCKOUT_ATTEMPTS", ge=1)
    console_lockout_minutes: int = Field(default=15, env="CONSOLE_LOCKOUT_MINUTES", ge=1)
    verify_deadline_days: int = Field(default=3, env="VERIFY_DEADLINE_WORKING_DAYS")
    followup_deadline_days: int = Field(default=5, env="FOLLOWUP_DEADLINE_WORKING_DAYS")
    #: Working days the reporter has to answer an officer's question (then closed).
    reporter_answer_days: int = Field(default=10, env="REPORTER_ANSWER_WORKING_DAYS", ge=1, le=60)
    #: A takeover with no message either way for this long is handed back to the bot.
    takeover_idle_minutes: int = Field(default=30, env="TAKEOVER_IDLE_MINUTES", ge=1, le=24 * 60)
    #: Tell the citizen the officer's username when a person takes the chat over.
    takeover_show_agent_name: bool = Field(default=False, env="TAKEOVER_SHOW_AGENT_NAME")
    #: How often the backend closes unanswered reports and releases idle takeovers.
    thread_jobs_seconds: float = Field(default=60.0, env="THREAD_JOBS_SECONDS", gt=0, le=3600)
    #: How far the nearby search looks around a location pin (`backend.nearby`).
    nearby_radius_meters: float = Field(default=300.0, env="NEARBY_RADIUS_METERS", gt=0, le=5000)
    db_pool_size: int = Field(default=10, env="DB_POOL_SIZE")
    #: How long a request waits for the database (SQLite's write lock, a pooled
    #: connection) before it is answered 503 with Retry-After.
    db_busy_timeout_seconds: float = Field(default=5.0, env="DB_BUSY_TIMEOUT_SECONDS", gt=0, le=60)
    backend_threads: int = Field(default=4, env="BACKEND_THREADS", ge=1, le=64)
    log_level: str = Field(default="INFO", env="LOG_LEVEL")
    #: Conversations (Rasa's tracker store, the console's index) older are purged.
    conversation_retention_days: int = Field(default=365, env="CONVERSATION_RETENTION_DAYS", ge=1)
    #: Files of reports finished (resolved, closed, rejected, archived) longer ago are purged.
    attachment_retention_days: int = Field(default=730, env="ATTACHMENT_RETENTION_DAYS", ge=1)
    redis_url: str = Field(default="", env="REDIS_URL")
    events_stream: str = Field(default="lapor:events", env="EVENTS_STREAM")
    # SP4N-LAPOR! bridge (docs/lapor_bridge.md); off unless credentials are issued.
    lapor_enabled: bool = Field(default=False, env="LAPOR_ENABLED")
    lapor_base_url: str = Field(default=LAPOR_PRODUCTION_URL, env="LAPOR_BASE_URL")
    lapor_auth_secret: str = Field(default="", env="LAPOR_AUTH_SECRET")
    lapor_token: str = Field(default="", env="LAPOR_TOKEN")
    #: The shortest interval between two polls of one report.
    lapor_poll_seconds: float = Field(default=3600.0, env="LAPOR_POLL_SECONDS", gt=0)
    lapor_mapping_file: Path = Field(
        default=PROJECT_ROOT / "data" / "lapor_mapping.yaml", env="LAPOR_MAPPING_FILE"
    )
    lapor_timeout_seconds: float = Field(default=30.0, env="LAPOR_TIMEOUT_SECONDS", gt=0, le=300)
    lapor_retry_base_seconds: float = Field(default=30.0, env="LAPOR_RETRY_BASE_SECONDS", gt=0)
    lapor_retry_max_seconds: float = Field(default=1800.0, env="LAPOR_RETRY_MAX_SECONDS", gt=0)

    class Config:
        env_file = ".env"
        env_file_encoding = "utf-8"

    @property
    def effective_database_url(self) -> str:
        """The configured database, or a SQLite file under the data directory."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{self.data_dir / 'backend.db'}"

    @property
    def effective_tracker_database_url(self) -> str:
        """Rasa's SQL tracker store (read by the console), by default under the data dir."""
        if self.tracker_database_url:
            return normalise_database_url(self.tracker_database_url)
        return f"sqlite:///{self.data_dir / 'tracker.db'}"

    @property
    def effective_attachments_dir(self) -> Path:
        """Where uploaded attachments are stored."""
        return self.attachments_dir or self.data_dir / "attachments"


def normalise_database_url(url: str) -> str:
    """Accept the common `postgres://` spelling that SQLAlchemy 1.4 rejects."""
    if url.startswith("postgres://"):
        return "postgresql://" + url.removeprefix("postgres://")
    return url


@lru_cache(maxsize=1)
def get_settings() -> BackendSettings:
    """The process-wide settings, read once."""
    return BackendSettings()
