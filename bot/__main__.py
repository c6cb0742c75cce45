"""`python -m bot`: run the channel gateway; `python -m bot notifier`: only its notifier."""

from __future__ import annotations

import argparse
import asyncio
import logging

import uvicorn

from bot.app import create_app
from bot.notifier.worker import run_notifier
from bot.settings import get_settings
from lapor_common.logs import configure_logging


def main() -> None:
    """Serve the gateway on GATEWAY_HOST:GATEWAY_PORT, or run the notifier alone."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "role",
        nargs="?",
        choices=("gateway", "notifier"),
        default="gateway",
        help="gateway (the default): webhooks, conversations and, unless NOTIFIER_ENABLED "
        "is false, the notifier; notifier: status updates only",
    )
    role = parser.parse_args().role
    configure_logging("gateway")
    # httpx logs every request URL at INFO, and Telegram URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = get_settings()
    if role == "notifier":
        asyncio.run(run_notifier(settings))
        return
    uvicorn.run(
        create_app(settings),
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_level="info",
        log_config=None,  # uvicorn's lines go through ours (JSON with LOG_FORMAT=json)
        access_log=False,
    )


if __name__ == "__main__":
    main()
