"""Storing uploaded files: type detected from the bytes, size-limited, no executables."""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype

from backend.errors import PayloadTooLargeError, UnsupportedMediaError

#: Content types citizens send: photos, documents, voice notes and short videos.
ALLOWED_TYPES: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/x-wav": "wav",
    "audio/amr": "amr",
    "audio/m4a": "m4a",
    "audio/aac": "aac",
    "video/mp4": "mp4",
    "video/3gpp": "3gp",
    "video/quicktime": "mov",
    "video/webm": "webm",
}

_EXECUTABLE_TYPES = frozenset(
    {
        "application/x-executable",
        "application/x-msdownload",
        "application/x-mach-binary",
        "application/x-elf",
        "application/x-sharedlib",
        "application/vnd.microsoft.portable-executable",
    }
)
_CHUNK = 64 * 1024


def detect_content_type(head: bytes) -> str:
    """The content type of a file from its first bytes; refuse what we do not accept."""
    if head.startswith((b"MZ", b"\x7fELF", b"#!")) or head[:4] in (
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xcf\xfa\xed\xfe",
        b"\xce\xfa\xed\xfe",
    ):
        raise UnsupportedMediaError(
            "Executable files are not accepted. Send a photo, PDF, audio or video."
        )
    kind = filetype.guess(head)
    mime: str | None = kind.mime if kind is not None else None
    if mime in _EXECUTABLE_TYPES:
        raise UnsupportedMediaError(
            "Executable files are not accepted. Send a photo, PDF, audio or video."
        )
    if mime is None or mime not in ALLOWED_TYPES:
        shown = mime or "an unrecognised type"
        raise UnsupportedMediaError(
            f"This file is {shown}, which is not accepted. "
            "Send a photo (JPEG, PNG, WebP), a PDF or Word/Excel document, audio or video."
        )
    return mime


def size_text(size: int) -> str:
    """A byte count for people: `20 MB`, `1.5 MB`, `1 KB`, `100 bytes`."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def clean_filename(name: str | None) -> str | None:
    """The client's file name without control characters, at most 255 characters.

    Control characters are never part of a real name, and PostgreSQL cannot store NUL.
    """
    cleaned = "".join(c for c in name or "" if unicodedata.category(c) != "Cc").strip()
    return cleaned[:255] or None


@dataclass(frozen=True)
class StoredFile:
    """A file written to the attachment directory."""

    id: str
    storage_name: str
    content_type: str
    size: int
    sha256: str


class AttachmentStore:
    """Writes and reads attachment files under one directory."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes

    def save(self, source: BinaryIO) -> StoredFile:
        """Copy `source` into the store, checking its type and size as it streams."""
        self.directory.mkdir(parents=True, exist_ok=True)
        head = source.read(8192)
        if not head:
            raise UnsupportedMediaError("The file is empty.")
        content_type = detect_content_type(head)
        attachment_id = uuid.uuid4().hex
        storage_name = f"{attachment_id}.{ALLOWED_TYPES[content_type]}"
        target = self.directory / storage_name
        partial = target.with_suffix(".part")
        digest = hashlib.sha256()
        size = 0
        try:
            with partial.open("wb") as out:
                chunk = head
                while chunk:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise PayloadTooLargeError(
                            f"The file is larger than {size_text(self.max_bytes)}."
                        )
                    digest.update(chunk)
                    out.write(chunk)
                    chunk = source.read(_CHUNK)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return StoredFile(attachment_id, storage_name, content_type, size, digest.hexdigest())

    def path_of(self, storage_name: str) -> Path:
        """The file on disk for a stored attachment."""
        return self.directory / Path(storage_name).name
