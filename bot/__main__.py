"""`python -m bot`: run the channel gateway."""

from __future__ import annotations

import logging

import uvicorn

from bot.app import create_app
from bot.settings import get_settings


def main() -> None:
    """Serve the gateway on GATEWAY_HOST:GATEWAY_PORT."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # httpx logs every request URL at INFO, and Telegram URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = get_settings()
    uvicorn.run(
        create_app(settings),
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_level="info",
        access_log=False,
    )


if __name__ == "__main__":
    main()
