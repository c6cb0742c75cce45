"""Masking personal data for officers: names, phone numbers, NIK and e-mail addresses."""

from __future__ import annotations

import re
from collections.abc import Iterable

# A 16-digit NIK (national identity number), alone or with spaces/dots every 4-6 digits.
_NIK = re.compile(r"(?<!\d)\d{6}[ .]?\d{6}[ .]?\d{4}(?!\d)")
# Indonesian mobile and landline numbers: 08..., +62..., 62..., with spaces or dashes.
_PHONE = re.compile(r"(?<![\w+])(?:\+62|62|0)[\s-]?\d{2,4}(?:[\s-]?\d{2,5}){1,3}(?!\d)")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# Chat ids carry the phone number on WhatsApp: whatsapp:6281234567890.
_CHAT_ID = re.compile(r"^(?P<channel>[a-z]+):(?P<id>.+)$")


def mask_digits(value: str, keep_start: int = 4, keep_end: int = 3) -> str:
    """Keep the first and last few characters: `081234567890` -> `0812*****890`."""
    compact = value.strip()
    if len(compact) <= keep_start + keep_end:
        return "*" * len(compact)
    hidden = len(compact) - keep_start - keep_end
    return compact[:keep_start] + "*" * hidden + compact[len(compact) - keep_end :]


def mask_phone(phone: str | None) -> str:
    """A phone number with its middle hidden; empty for none."""
    return mask_digits(phone) if phone else ""


def mask_name(name: str | None) -> str:
    """The initial of each word: `Budi Santoso` -> `B*** S***`."""
    if not name:
        return ""
    return " ".join(f"{word[0]}***" for word in name.split())


def mask_email(email: str | None) -> str:
    """`budi.s@example.com` -> `b***@example.com`."""
    if not email:
        return ""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else mask_digits(email, 1, 0)


def mask_chat_id(chat_id: str | None) -> str:
    """`whatsapp:6281234567890` -> `whatsapp:6281******890`; other ids keep their end."""
    if not chat_id:
        return ""
    match = _CHAT_ID.match(chat_id)
    if not match:
        return mask_digits(chat_id, 0, 3)
    return f"{match['channel']}:{mask_digits(match['id'], 4 if len(match['id']) > 9 else 0, 3)}"


def redact_text(text: str) -> str:
    """Free text with every NIK, phone number and e-mail address in it masked."""
    text = _EMAIL.sub(lambda m: mask_email(m.group()), text)
    text = _NIK.sub(lambda m: mask_digits(m.group(), 4, 0), text)
    return _PHONE.sub(lambda m: mask_digits(m.group(), 4, 3), text)


class Redactor:
    """Masks free text for officers: known citizen names, NIK, phone numbers, e-mails.

    Names cannot be recognised in text by pattern, so the display names of the
    conversations being shown are given and masked wherever they appear.
    """

    def __init__(self, names: Iterable[str | None] = ()) -> None:
        known = sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len)
        alternatives = "|".join(re.escape(n) for n in reversed(known))
        self._names = re.compile(rf"(?i)\b(?:{alternatives})\b") if alternatives else None

    def __call__(self, text: str) -> str:
        """`text` with personal data masked."""
        if self._names is not None:
            text = self._names.sub(lambda m: mask_name(m.group()), text)
        return redact_text(text)


def unchanged(text: str) -> str:
    """The identity 'redactor' for viewers who may see personal data."""
    return text
