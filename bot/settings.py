"""Gateway settings, read from environment variables (and `.env`)."""

from __future__ import annotations

import os
import socket
from enum import Enum
from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, Field


class TelegramMode(str, Enum):
    """How Telegram updates reach the gateway."""

    OFF = "off"
    WEBHOOK = "webhook"
    POLLING = "polling"


class CpuPriority(str, Enum):
    """How the notifier process competes for the CPU with conversations."""

    IDLE = "idle"  # only the CPU time nothing else wants (Linux SCHED_IDLE)
    NORMAL = "normal"  # like every other process


class GatewaySettings(BaseSettings):
    """Settings of the channel gateway (`python -m bot`)."""

    data_dir: Path = Field(default=Path(__file__).resolve().parent.parent / "var", env="DATA_DIR")
    gateway_database_url: str = Field(default="", env="GATEWAY_DATABASE_URL")
    gateway_instance: str = Field(default="", env="GATEWAY_INSTANCE")
    gateway_host: str = Field(default="127.0.0.1", env="GATEWAY_HOST")
    gateway_port: int = Field(default=8080, env="GATEWAY_PORT")
    rasa_url: str = Field(default="", env="RASA_URL")
    rasa_port: int = Field(default=5005, env="RASA_PORT")
    rasa_timeout_seconds: float = Field(default=30.0, env="RASA_TIMEOUT_SECONDS")
    rasa_api_token: str = Field(default="", env="RASA_API_TOKEN")
    backend_url: str = Field(default="", env="BACKEND_URL")
    backend_port: int = Field(default=8000, env="BACKEND_PORT")
    backend_api_token: str = Field(default="", env="BACKEND_API_TOKEN")
    redis_url: str = Field(default="", env="REDIS_URL")
    dedup_ttl_seconds: int = Field(default=86_400, env="GATEWAY_DEDUP_TTL_SECONDS")
    apology_interval_seconds: float = Field(default=60.0, env="GATEWAY_APOLOGY_INTERVAL_SECONDS")
    max_concurrent_updates: int = Field(default=256, env="GATEWAY_MAX_CONCURRENT_UPDATES")

    notifier_enabled: bool = Field(default=True, env="NOTIFIER_ENABLED")
    notifier_process: bool = Field(default=True, env="NOTIFIER_PROCESS")
    notifier_concurrency: int = Field(default=16, env="NOTIFIER_CONCURRENCY")
    notifier_claim_idle_seconds: float = Field(default=30.0, env="NOTIFIER_CLAIM_IDLE_SECONDS")
    notifier_cpu_priority: CpuPriority = Field(
        default=CpuPriority.IDLE, env="NOTIFIER_CPU_PRIORITY"
    )
    notifier_share: float = Field(default=0.9, env="NOTIFIER_SHARE")
    notifier_interrupted_seconds: float = Field(default=60.0, env="NOTIFIER_INTERRUPTED_SECONDS")
    events_stream: str = Field(default="lapor:events", env="EVENTS_STREAM")

    telegram_bot_token: str = Field(default="", env="TELEGRAM_BOT_TOKEN")
    telegram_webhook_url: str = Field(default="", env="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: str = Field(default="", env="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org", env="TELEGRAM_API_BASE_URL"
    )
    telegram_max_file_bytes: int = Field(default=20 * 1024 * 1024, env="TELEGRAM_MAX_FILE_BYTES")
    telegram_messages_per_second: int = Field(default=30, env="TELEGRAM_MESSAGES_PER_SECOND", gt=0)
    telegram_reply_headroom: int = Field(default=1, env="TELEGRAM_REPLY_HEADROOM", ge=0)
    telegram_chat_messages_per_second: float = Field(
        default=1.0, env="TELEGRAM_CHAT_MESSAGES_PER_SECOND"
    )
    telegram_chat_burst: int = Field(default=3, env="TELEGRAM_CHAT_BURST")
    telegram_max_retries: int = Field(default=4, env="TELEGRAM_MAX_RETRIES")
    telegram_timeout_seconds: float = Field(default=15.0, env="TELEGRAM_TIMEOUT_SECONDS")

    class Config:
        env_file = ".env"
        env_file_encoding = "utf-8"

    @property
    def effective_rasa_url(self) -> str:
        """Rasa's base URL (defaults to this machine's Rasa port)."""
        return (self.rasa_url or f"http://127.0.0.1:{self.rasa_port}").rstrip("/")

    @property
    def effective_backend_url(self) -> str:
        """The backend's base URL (defaults to this machine's backend port)."""
        return (self.backend_url or f"http://127.0.0.1:{self.backend_port}").rstrip("/")

    @property
    def effective_database_url(self) -> str:
        """The gateway's own database (notification records); SQLite by default."""
        return self.gateway_database_url or f"sqlite:///{self.data_dir / 'gateway.db'}"

    @property
    def instance_name(self) -> str:
        """This gateway process's name among several (its Redis consumer name)."""
        return self.gateway_instance or f"{socket.gethostname()}-{os.getpid()}"

    @property
    def notifier_runs_apart(self) -> bool:
        """The notifier runs in a child process: asked for, and Redis shares the limits.

        Without Redis the rate limits live in one process, so the notifier stays in
        the gateway's.
        """
        return self.notifier_enabled and self.notifier_process and bool(self.redis_url)

    @property
    def telegram_mode(self) -> TelegramMode:
        """Webhook with a public URL, polling with only a token, otherwise off."""
        if not self.telegram_bot_token:
            return TelegramMode.OFF
        if self.telegram_webhook_url:
            return TelegramMode.WEBHOOK
        return TelegramMode.POLLING


def as_environment(settings: BaseSettings) -> dict[str, str]:
    """The environment variables that give another process these same settings."""
    environment: dict[str, str] = {}
    for name, field in settings.__fields__.items():
        value = getattr(settings, name)
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, Enum):
            text = str(value.value)
        else:
            text = str(value)
        environment[str(field.field_info.extra["env"])] = text
    return environment


@lru_cache(maxsize=1)
def get_settings() -> GatewaySettings:
    """The process-wide settings, read once."""
    return GatewaySettings()
