"""A console chat with the assistant through Rasa's REST channel (for `make run`)."""

from __future__ import annotations

import json
import os
import sys
import uuid

import httpx


def render(message: dict[str, object]) -> str:
    """One bot message as console text, buttons numbered."""
    lines = [str(message.get("text", ""))]
    buttons = message.get("buttons") or []
    if isinstance(buttons, list):
        lines += [
            f"  [{i}] {b.get('title')}" for i, b in enumerate(buttons, 1) if isinstance(b, dict)
        ]
    return "\n".join(line for line in lines if line)


def main() -> None:
    """Read lines, send them, print the replies; a number picks a button."""
    port = os.environ.get("RASA_PORT", "5005")
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    sender = f"web:console-{uuid.uuid4().hex[:8]}"
    buttons: list[dict[str, str]] = []
    print("Type a message (Ctrl+D to quit). Numbers pick a button.")
    with httpx.Client(timeout=30) as client:
        for line in sys.stdin:
            text = line.strip()
            if text.isdigit() and 0 < int(text) <= len(buttons):
                text = buttons[int(text) - 1]["payload"]
            body = {"sender": sender, "message": text, "metadata": {"channel": "web"}}
            replies = client.post(url, content=json.dumps(body)).json()
            buttons = []
            for reply in replies:
                print("bot>", render(reply))
                buttons += reply.get("buttons") or []


if __name__ == "__main__":
    main()
