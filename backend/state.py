"""Everything the web app needs at run time, built once per app (never at import)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from backend.attachments import AttachmentStore
from backend.auth import TokenAuthority
from backend.complaints import Policy
from backend.db import make_engine, make_reader_engine, make_session_factory
from backend.settings import BackendSettings
from backend.taxonomy import Taxonomy, load_taxonomy


@dataclass
class AppState:
    """The backend's long-lived collaborators."""

    settings: BackendSettings
    engine: Engine
    sessions: sessionmaker
    #: Sessions that only read: on SQLite they never take the write lock.
    read_sessions: sessionmaker
    tracker_engine: Engine
    taxonomy: Taxonomy
    policy: Policy
    tokens: TokenAuthority
    attachments: AttachmentStore

    @classmethod
    def from_settings(cls, settings: BackendSettings, engine: Engine | None = None) -> AppState:
        """Build the state from settings; `engine` may be given by tests."""
        engine = engine or make_engine(
            settings.effective_database_url,
            pool_size=settings.db_pool_size,
            busy_timeout=settings.db_busy_timeout_seconds,
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            read_sessions=make_session_factory(engine, read_only=True),
            # Rasa's conversation store, read by the console; no connection until used.
            tracker_engine=make_reader_engine(settings.effective_tracker_database_url),
            taxonomy=load_taxonomy(settings.categories_file, settings.kecamatan_file),
            policy=Policy(
                tracking_prefix=settings.tracking_id_prefix,
                timezone=ZoneInfo(settings.timezone),
                verify_days=settings.verify_deadline_days,
                followup_days=settings.followup_deadline_days,
                lapor_enabled=settings.lapor_enabled,
            ),
            tokens=TokenAuthority(
                settings.backend_api_token,
                settings.backend_secret_key,
                settings.officer_token_ttl_seconds,
            ),
            attachments=AttachmentStore(
                settings.effective_attachments_dir, settings.attachment_max_bytes
            ),
        )
