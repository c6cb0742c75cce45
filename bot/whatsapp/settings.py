"""WhatsApp settings, read from environment variables (and `.env`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseSettings, Field

#: Where SQLite files live by default (the same place as the rest of the gateway's).
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent.parent / "var"
#: The Graph API version the gateway is written and tested against.
GRAPH_API_VERSION = "v21.0"
DEFAULT_API_BASE_URL = f"https://graph.facebook.com/{GRAPH_API_VERSION}"


class WhatsAppSettings(BaseSettings):
    """Settings of the WhatsApp channel of the gateway.

    The channel is enabled when the access token, the phone number ID and the app
    secret are all set; the verify token is needed for Meta's webhook verification.
    """

    access_token: str = Field(default="", env="WHATSAPP_ACCESS_TOKEN")
    phone_number_id: str = Field(default="", env="WHATSAPP_PHONE_NUMBER_ID")
    app_secret: str = Field(default="", env="WHATSAPP_APP_SECRET")
    verify_token: str = Field(default="", env="WHATSAPP_VERIFY_TOKEN")
    api_base_url: str = Field(default=DEFAULT_API_BASE_URL, env="WHATSAPP_API_BASE_URL")
    template_name: str = Field(default="status_laporan", env="WHATSAPP_TEMPLATE_NAME")
    template_language: str = Field(default="id", env="WHATSAPP_TEMPLATE_LANGUAGE")
    question_template_name: str = Field(
        default="pertanyaan_laporan", env="WHATSAPP_QUESTION_TEMPLATE_NAME"
    )
    messages_per_second: float = Field(default=80.0, env="WHATSAPP_MESSAGES_PER_SECOND", gt=0)
    max_media_bytes: int = Field(default=20 * 1024 * 1024, env="WHATSAPP_MAX_MEDIA_BYTES", gt=0)
    timeout_seconds: float = Field(default=15.0, env="WHATSAPP_TIMEOUT_SECONDS", gt=0)
    max_retries: int = Field(default=4, env="WHATSAPP_MAX_RETRIES", ge=0)
    retry_base_seconds: float = Field(default=1.0, env="WHATSAPP_RETRY_BASE_SECONDS", gt=0)
    retry_max_seconds: float = Field(default=30.0, env="WHATSAPP_RETRY_MAX_SECONDS", gt=0)
    window_margin_seconds: float = Field(default=300.0, env="WHATSAPP_WINDOW_MARGIN_SECONDS", ge=0)
    # Meta redelivers an unanswered webhook for up to seven days.
    dedup_ttl_seconds: int = Field(default=8 * 86_400, env="WHATSAPP_DEDUP_TTL_SECONDS", gt=0)
    max_concurrent_messages: int = Field(default=256, env="GATEWAY_MAX_CONCURRENT_UPDATES", gt=0)
    notifier_share: float = Field(default=0.9, env="NOTIFIER_SHARE", gt=0, le=1)
    data_dir: Path = Field(default=DEFAULT_DATA_DIR, env="DATA_DIR")
    gateway_database_url: str = Field(default="", env="GATEWAY_DATABASE_URL")

    class Config:
        env_file = ".env"
        env_file_encoding = "utf-8"

    @property
    def enabled(self) -> bool:
        """Whether the channel can run: token, phone number ID and app secret are set."""
        return bool(self.access_token and self.phone_number_id and self.app_secret)

    @property
    def effective_database_url(self) -> str:
        """The gateway's durable store: the configured URL, or SQLite under DATA_DIR."""
        url = self.gateway_database_url
        if not url:
            return f"sqlite:///{self.data_dir / 'gateway.db'}"
        if url.startswith("postgres://"):
            return "postgresql://" + url.removeprefix("postgres://")
        return url

    @property
    def notification_rate(self) -> float:
        """Messages per second status updates may use (a share of the throughput)."""
        return self.messages_per_second * self.notifier_share

    @property
    def messages_url(self) -> str:
        """`POST` here to send: `{base}/{phone-number-id}/messages`."""
        return f"{self.api_base_url.rstrip('/')}/{self.phone_number_id}/messages"
