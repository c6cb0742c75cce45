"""Serving a test ASGI app on 127.0.0.1 from a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

import uvicorn
from starlette.types import ASGIApp

T = TypeVar("T")


class ThreadedServer:
    """Runs `app` with uvicorn on a free port in its own thread and event loop."""

    def __init__(
        self, app: ASGIApp, name: str, lifespan: Literal["auto", "on", "off"] = "off"
    ) -> None:
        self._app = app
        self._name = name
        self._lifespan = lifespan
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Serve; returns once the port accepts connections."""
        # Created with IPPROTO_TCP so that asyncio turns Nagle's algorithm off.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self._app, log_config=None, log_level="warning", lifespan=self._lifespan
        )
        server = uvicorn.Server(config)
        self._server = server

        async def serve() -> None:
            self.loop = asyncio.get_running_loop()
            await server.serve(sockets=[sock])

        self._thread = threading.Thread(
            target=lambda: asyncio.run(serve()), name=self._name, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{self._name} did not start")
            time.sleep(0.01)

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10) -> T:
        """Run `coroutine` on the server's event loop and return its result."""
        if self.loop is None:
            raise RuntimeError(f"{self._name} is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None
