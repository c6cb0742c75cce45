"""Splitting long replies for channels with a message-size limit."""

from __future__ import annotations

import re

#: Where a sentence may end: ., ! or ? (with closing quotes or brackets), then space.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
#: Abbreviations whose dot ends no sentence (titles, addresses, numbering).
_ABBREVIATIONS = frozenset(
    {"bpk", "bp", "sdr", "sdri", "yth", "jl", "jln", "no", "kec", "kel", "kab", "ds", "rt"}
    | {"rw", "gg", "dr", "drs", "ir", "hj", "st", "mr", "mrs", "ms", "tgl"}
)


def _ends_sentence(before: str) -> bool:
    """Whether the text `before` a dot ends a sentence (not "Bpk." or "Jl.")."""
    words = before.split()
    if not words or not before.rstrip().endswith("."):
        return True
    word = words[-1].rstrip(".\"')]").lower()
    return word not in _ABBREVIATIONS and not (len(word) == 1 and word.isalpha())


def _pieces(text: str) -> list[str]:
    """Paragraphs, then sentences, each keeping the whitespace that follows it."""
    pieces: list[str] = []
    for paragraph in re.split(r"(?<=\n)", text):
        start = 0
        for match in _SENTENCE_END.finditer(paragraph):
            if not _ends_sentence(paragraph[start : match.start()]):
                continue
            pieces.append(paragraph[start : match.end()])
            start = match.end()
        if start < len(paragraph):
            pieces.append(paragraph[start:])
    return pieces


def _hard_split(piece: str, limit: int) -> list[str]:
    """A piece longer than the limit: cut at the last space, else anywhere."""
    parts: list[str] = []
    piece = piece.lstrip()
    while len(piece) > limit:
        spaces = [m.start() for m in re.finditer(r"\s", piece[: limit + 1])]
        cut = spaces[-1] if spaces and spaces[-1] > 0 else limit
        parts.append(piece[:cut])
        piece = piece[cut:].lstrip()
    if piece:
        parts.append(piece)
    return [part for part in parts if part.strip()]


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
            parts = _hard_split(piece, limit)
            if parts:
                chunks.extend(part.rstrip() for part in parts[:-1])
                current = parts[-1]
    if current.strip():
        chunks.append(current.rstrip())
    return chunks
