"""Helpers for console tests: a browser-like client that logs in through the forms."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token in the first form of a page."""
    match = _CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


@asynccontextmanager
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client over HTTPS (the session cookie is Secure) that keeps cookies."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://console.test") as c:
        yield c


async def console_login(
    client: httpx.AsyncClient, username: str, password: str, next_url: str = ""
) -> httpx.Response:
    """Fill in the login form like a person would; returns the POST's response."""
    page = await client.get("/admin/login")
    assert page.status_code == 200
    return await client.post(
        "/admin/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(page.text),
            "next": next_url,
        },
    )


async def page_csrf(client: httpx.AsyncClient, path: str) -> str:
    """The CSRF token of a logged-in page."""
    response = await client.get(path)
    assert response.status_code == 200, response.text[:500]
    return csrf_of(response.text)


@asynccontextmanager
async def logged_in(app: FastAPI, username: str, password: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser already logged in as `username`."""
    async with browser(app) as client:
        response = await console_login(client, username, password)
        assert response.status_code == 303, response.text[:300]
        yield client
