"""Splitting long replies for channels with a message-size limit."""

from __future__ import annotations

import re

#: Where a sentence ends: ., ! or ? (with closing quotes or brackets), then space.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")


def _pieces(text: str) -> list[str]:
    """Paragraphs, then sentences, each keeping the whitespace that follows it."""
    pieces: list[str] = []
    for paragraph in re.split(r"(?<=\n)", text):
        start = 0
        for match in _SENTENCE_END.finditer(paragraph):
            pieces.append(paragraph[start : match.end()])
            start = match.end()
        if start < len(paragraph):
            pieces.append(paragraph[start:])
    return pieces


def _hard_split(piece: str, limit: int) -> list[str]:
    """A piece longer than the limit: cut at the last space, else anywhere."""
    parts: list[str] = []
    while len(piece) > limit:
        cut = piece.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(piece[:cut])
        piece = piece[cut:].lstrip(" ")
    if piece:
        parts.append(piece)
    return parts


def split_message(text: str, limit: int = 4096) -> list[str]:
    """Split `text` into messages of at most `limit` characters.

    Cuts at paragraph and sentence boundaries; only a single sentence longer than the
    limit is cut between words (or, with no space at all, anywhere). Nothing is lost
    but the whitespace at the cuts.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text):
        if len(current) + len(piece) <= limit:
            current += piece
            continue
        if current.strip():
            chunks.append(current.rstrip())
        current = ""
        if len(piece) <= limit:
            current = piece
        else:
            *whole, rest = _hard_split(piece, limit)
            chunks.extend(part.rstrip() for part in whole)
            current = rest
    if current.strip():
        chunks.append(current.rstrip())
    return chunks
