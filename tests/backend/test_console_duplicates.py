"""Console: the report page's duplicates card, merging and undoing (audited, CSRF)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.models import AuditEntry
from tests.backend.conftest import AUTH, add_user, create_report
from tests.backend.console_client import logged_in, page_csrf

pytestmark = pytest.mark.anyio
PASSWORD = "sandi-rahasia-123"


def audit_actions(engine: Engine) -> list[tuple[str, str | None]]:
    with Session(engine) as session:
        rows = session.execute(select(AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.id))
        return [(r.action, r.detail) for r in rows if r.action in ("merge", "unmerge")]


async def test_an_officer_merges_and_an_admin_undoes(
    app: FastAPI, engine: Engine, client: Any
) -> None:
    orig = (await create_report(client))["tracking_id"]
    dup = (await create_report(client))["tracking_id"]
    await client.post(
        f"/api/v1/complaints/{orig}/followers", json={"chat_id": "telegram:7"}, headers=AUTH
    )
    add_user(engine, "petugas", PASSWORD, "officer", "DBMSDA")
    add_user(engine, "admin", PASSWORD, "admin")
    async with logged_in(app, "petugas", PASSWORD) as officer:
        page = await officer.get(f"/admin/reports/{orig}")
        assert "Warga yang mengikuti" in page.text and "Tandai sebagai duplikat dari" in page.text
        token = await page_csrf(officer, f"/admin/reports/{dup}")
        refused = await officer.post(
            f"/admin/reports/{dup}/duplicate-of", data={"original": orig, "csrf_token": "x"}
        )
        assert refused.status_code == 403
        done = await officer.post(
            f"/admin/reports/{dup}/duplicate-of", data={"original": orig, "csrf_token": token}
        )
        assert done.status_code == 303, done.text[:300]
        merged_page = (await officer.get(f"/admin/reports/{dup}")).text
        assert f'href="/admin/reports/{orig}"' in merged_page
        assert "Batalkan penggabungan" not in merged_page  # officers do not undo
        original_page = (await officer.get(f"/admin/reports/{orig}")).text
        assert f'href="/admin/reports/{dup}"' in original_page
        itself = await officer.post(
            f"/admin/reports/{orig}/duplicate-of", data={"original": orig, "csrf_token": token}
        )
        assert itself.status_code == 409 and "itself" in itself.text
    assert audit_actions(engine) == [("merge", f'{{"original": "{orig}"}}')]
    async with logged_in(app, "admin", PASSWORD) as admin:
        token = await page_csrf(admin, f"/admin/reports/{dup}")
        assert "Batalkan penggabungan" in (await admin.get(f"/admin/reports/{dup}")).text
        undone = await admin.post(f"/admin/reports/{dup}/undo-merge", data={"csrf_token": token})
        assert undone.status_code == 303
    report = (await client.get(f"/api/v1/complaints/{dup}", headers=AUTH)).json()
    assert report["status"] == "received" and report["duplicate_of"] is None
    assert [a for a, _ in audit_actions(engine)] == ["merge", "unmerge"]


async def test_the_dashboard_ranks_reports_by_followers(
    app: FastAPI, engine: Engine, client: Any
) -> None:
    one = (await create_report(client))["tracking_id"]
    two = (await create_report(client))["tracking_id"]
    await create_report(client)  # no followers: not ranked
    for tid, chats in ((one, ["telegram:1"]), (two, ["telegram:2", "telegram:3"])):
        for chat in chats:
            response = await client.post(
                f"/api/v1/complaints/{tid}/followers", json={"chat_id": chat}, headers=AUTH
            )
            assert response.status_code == 201
    add_user(engine, "admin", PASSWORD, "admin")
    async with logged_in(app, "admin", PASSWORD) as admin:
        page = (await admin.get("/admin/dashboard")).text
    card = page[page.index('id="most-reported"') :]
    assert "Paling banyak dilaporkan" in page
    assert card.index(two) < card.index(one)
    assert card.count("/admin/reports/TNG-") == 2
