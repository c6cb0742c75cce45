"""The action server's long-lived collaborators, created once per process on first use.

Nothing is created at import time. The server entry point closes them at shutdown;
tests install their own with `use_services`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import httpx

from actions.backend_client import BackendClient, make_http_client
from actions.pending import PendingStore
from actions.routing.dataset import CategoryInfo, load_categories
from actions.settings import ActionSettings, get_settings

if TYPE_CHECKING:
    from actions.routing.classifier import CategoryClassifier


@dataclass
class Services:
    """What actions need: the backend client, the pending-submission store, the classifier."""

    settings: ActionSettings
    http: httpx.AsyncClient
    backend: BackendClient
    pending: PendingStore

    @cached_property
    def categories(self) -> dict[str, CategoryInfo]:
        """The category taxonomy by code."""
        return load_categories()

    @cached_property
    def classifier(self) -> CategoryClassifier:
        """The category classifier (trained on first use when no saved model is current)."""
        from actions.routing.classifier import load_or_train

        return load_or_train()

    async def close(self) -> None:
        """Release connections."""
        await self.http.aclose()
        await asyncio.to_thread(self.pending.close)


_services: Services | None = None


def build_services(settings: ActionSettings | None = None) -> Services:
    """Create the services from settings."""
    settings = settings or get_settings()
    http = make_http_client(
        httpx.Timeout(
            settings.backend_timeout_seconds, connect=min(2.0, settings.backend_timeout_seconds)
        )
    )
    return Services(
        settings=settings,
        http=http,
        backend=BackendClient(http, settings.effective_backend_url, settings.backend_api_token),
        pending=PendingStore(settings.effective_pending_database_url),
    )


def get_services() -> Services:
    """The process's services, built on first use."""
    global _services  # one container per process, by design
    if _services is None:
        _services = build_services()
    return _services


def use_services(services: Services | None) -> None:
    """Install `services` (tests), or forget the current ones (None)."""
    global _services
    _services = services
