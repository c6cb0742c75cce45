"""Masking personal data (chat IDs, phone numbers, names) before it reaches a log."""

from __future__ import annotations


def mask(value: object, visible: int = 3) -> str:
    """Keep the last `visible` characters of an identifier: `telegram:123456789` -> `***789`."""
    text = str(value)
    if len(text) <= visible:
        return "*" * len(text)
    return "***" + text[-visible:]


def mask_name(name: str | None) -> str:
    """Keep the initial of a display name: `Budi Santoso` -> `B***`."""
    return f"{name[0]}***" if name else ""
