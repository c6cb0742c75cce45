"""Every console route against every role: who may do what, and what the others get."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.models import User
from tests.backend.conftest import add_user, create_report
from tests.backend.console_client import browser, logged_in, page_csrf
from tests.backend.test_api_attachments import PNG, upload
from tests.backend.test_api_takeovers import link

PASSWORD = "sandi-rahasia-123"
ROLES = ("admin", "officer", "viewer")
OK = (200, 303)

#: (method, path template, roles allowed). `{tid}` is a report of the officer's agency,
#: `{user}` another user's id, `{att}` an attachment of that report.
MATRIX: list[tuple[str, str, tuple[str, ...]]] = [
    ("GET", "/admin/reports", ("admin", "officer")),
    ("GET", "/admin/reports/{tid}", ("admin", "officer")),
    ("POST", "/admin/reports/{tid}/status", ("admin", "officer")),
    ("POST", "/admin/reports/{tid}/lapor", ("admin",)),
    ("POST", "/admin/reports/{tid}/duplicate-of", ("admin", "officer")),
    ("POST", "/admin/reports/{tid}/undo-merge", ("admin",)),
    ("POST", "/admin/reports/{tid}/questions", ("admin", "officer")),
    ("POST", "/admin/conversations/{conv}/takeover", ("admin", "officer")),
    ("POST", "/admin/conversations/{conv}/messages", ("admin", "officer")),
    ("GET", "/admin/conversations/{conv}/takeover.json", ("admin", "officer")),
    ("POST", "/admin/conversations/{conv}/release", ("admin", "officer")),
    ("GET", "/admin/reports/{tid}/attachments/{att}", ("admin", "officer")),
    ("GET", "/admin/conversations", ("admin", "officer")),
    ("GET", "/admin/conversations/export.jsonl", ("admin", "officer")),
    ("GET", "/admin/conversations/export.csv", ("admin", "officer")),
    ("GET", "/admin/dashboard", ("admin", "officer", "viewer")),
    ("GET", "/admin/users", ("admin",)),
    ("POST", "/admin/users", ("admin",)),
    ("POST", "/admin/users/{user}/active", ("admin",)),
    ("POST", "/admin/users/{user}/unlock", ("admin",)),
    ("GET", "/admin/audit", ("admin",)),
]
#: Routes whose "allowed" answer depends on data that does not exist here (404).
NEEDS_DATA = {
    "/admin/conversations/{conversation_id}",
    "/admin/conversations/{conversation_id}/export.{kind}",
}
PUBLIC = {"/admin", "/admin/login", "/admin/lang/{language}"}
#: Allowed routes answered 409 here: no forward to resolve, no original, nothing merged.
REFUSED_BY_DATA = ("/lapor", "/duplicate-of", "/undo-merge")


def test_the_matrix_covers_every_console_route(app: FastAPI) -> None:
    routes = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, APIRoute) and route.path.startswith("/admin")
        for method in route.methods
    }
    covered = {
        (
            m,
            p.replace("{tid}", "{tracking_id}")
            .replace("{user}", "{user_id}")
            .replace("{conv}", "{conversation_id}"),
        )
        for m, p, _ in MATRIX
    }
    covered |= {(m, p.replace("{att}", "{attachment_id}")) for m, p in covered}
    covered |= {("GET", p) for p in NEEDS_DATA | PUBLIC} | {("POST", "/admin/login")}
    covered |= {("POST", "/admin/logout"), ("GET", "/admin/conversations/export.{kind}")}
    assert routes - covered == set()


async def _fixtures(app: FastAPI, engine: Engine, client: Any) -> dict[str, str]:
    photo = (await upload(client, PNG, "foto.png", "image/png")).json()["id"]
    report = await create_report(client, category="sampah", attachments=[photo])  # DLHK
    with Session(engine) as session:
        other = session.execute(select(User.id).where(User.username == "spare")).scalar_one()
    link(engine, "telegram:42", report["tracking_id"], conversation_id=5)
    return {"tid": report["tracking_id"], "att": photo, "user": str(other), "conv": "5"}


@pytest.fixture
def accounts(engine: Engine) -> None:
    add_user(engine, "admin", PASSWORD, "admin")
    add_user(engine, "officer", PASSWORD, "officer", "DLHK")
    add_user(engine, "viewer", PASSWORD, "viewer")
    add_user(engine, "spare", PASSWORD, "viewer")


@pytest.mark.usefixtures("accounts")
@pytest.mark.parametrize("role", ROLES)
async def test_each_role_reaches_exactly_its_routes(
    app: FastAPI, engine: Engine, client: Any, role: str
) -> None:
    values = await _fixtures(app, engine, client)
    forms = {
        "/admin/reports/{tid}/status": {"status": "verified", "note": "cek"},
        "/admin/reports/{tid}/lapor": {"action": "resend"},
        # No such original / not merged: allowed, and answered 409 on the report page.
        "/admin/reports/{tid}/duplicate-of": {"original": "TNG-2026-999999"},
        "/admin/reports/{tid}/undo-merge": {},
        "/admin/reports/{tid}/questions": {"text": "Mohon foto lokasi."},
        "/admin/conversations/{conv}/takeover": {},
        "/admin/conversations/{conv}/messages": {"text": "Selamat siang"},
        "/admin/conversations/{conv}/release": {},
        "/admin/users": {"username": f"new-{role}", "role": "viewer", "password": "p" * 12},
        "/admin/users/{user}/active": {"active": "1"},
        "/admin/users/{user}/unlock": {},
    }
    async with logged_in(app, role, PASSWORD) as session:
        token = await page_csrf(session, "/admin/dashboard")
        for method, template, allowed in MATRIX:
            path = template.format(**values)
            if method == "GET":
                response = await session.get(path)
            else:
                data = {**forms[template], "csrf_token": token}
                response = await session.post(path, data=data)
            if role in allowed:
                # The bridge is off here: resolving a forward is allowed but finds none.
                ok = (*OK, 409) if template.endswith(REFUSED_BY_DATA) else OK
                assert response.status_code in ok, (role, method, path, response.text[:300])
            else:
                assert response.status_code == 403, (role, method, path, response.status_code)
                assert "Anda tidak berwenang" in response.text


@pytest.mark.parametrize(("method", "template", "_allowed"), MATRIX)
async def test_without_a_session_every_route_asks_for_a_login(
    app: FastAPI, method: str, template: str, _allowed: tuple[str, ...]
) -> None:
    path = template.format(tid="TNG-2026-000001", att="0" * 32, user="1", conv="1")
    async with browser(app) as anonymous:
        response = await anonymous.request(method, path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login")


@pytest.mark.usefixtures("accounts")
async def test_transcripts_are_for_case_workers_only(app: FastAPI) -> None:
    paths = ("/admin/conversations/999", "/admin/conversations/999/export.csv")
    async with logged_in(app, "viewer", PASSWORD) as viewer:
        for path in paths:
            assert (await viewer.get(path)).status_code == 403, path
    async with logged_in(app, "admin", PASSWORD) as admin:
        for path in paths:
            assert (await admin.get(path)).status_code == 404, path  # allowed, but no such one
