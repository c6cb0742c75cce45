"""Words shown to citizens for codes: statuses, report types, privacy choices."""

from __future__ import annotations

STATUS_LABELS = {
    "id": {
        "received": "Diterima, menunggu verifikasi",
        "verified": "Diverifikasi dan diteruskan ke instansi",
        "in_progress": "Sedang ditindaklanjuti instansi",
        "resolved": "Selesai ditindaklanjuti",
        "closed": "Ditutup",
        "rejected": "Ditolak (bukan wewenang)",
        "archived": "Diarsipkan",
    },
    "en": {
        "received": "Received, awaiting verification",
        "verified": "Verified and forwarded to the agency",
        "in_progress": "Being handled by the agency",
        "resolved": "Resolved",
        "closed": "Closed",
        "rejected": "Rejected (outside our authority)",
        "archived": "Archived",
    },
}

REPORT_TYPE_LABELS = {
    "id": {
        "complaint": "Pengaduan",
        "aspiration": "Aspirasi",
        "information": "Permintaan informasi",
    },
    "en": {
        "complaint": "Complaint",
        "aspiration": "Suggestion",
        "information": "Information request",
    },
}

PRIVACY_LABELS = {
    "id": {"public": "Publik", "anonymous": "Anonim", "confidential": "Rahasia"},
    "en": {"public": "Public", "anonymous": "Anonymous", "confidential": "Confidential"},
}


def label(table: dict[str, dict[str, str]], code: str | None, language: str) -> str:
    """The citizen-facing word for `code` in `language` (Indonesian by default)."""
    words = table.get(language) or table["id"]
    return words.get(code or "", code or "-")
