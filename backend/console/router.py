"""The console's routes and static files, added to the backend app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from backend.console import (
    routes_admin,
    routes_auth,
    routes_conversations,
    routes_dashboard,
    routes_duplicates,
    routes_reports,
    routes_threads,
)
from backend.console.web import PREFIX, install_console_errors

STATIC_DIR = Path(__file__).resolve().parent / "static"


def install_console(app: FastAPI) -> None:
    """Serve the console under `/admin` (call after the API's error handlers)."""
    for module in (
        routes_auth,
        routes_threads,
        routes_duplicates,
        routes_reports,
        routes_conversations,
        routes_dashboard,
        routes_admin,
    ):
        app.include_router(module.router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    install_console_errors(app)
