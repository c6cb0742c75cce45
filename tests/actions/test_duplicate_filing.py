"""A report filed after the duplicate step: the matched desa goes to the backend."""

from __future__ import annotations

from actions.submission import build_complaint_body


def test_the_create_body_carries_the_matched_desa() -> None:
    slots = {
        "report_type": "complaint",
        "complaint_description": "Jalan berlubang besar di depan SDN 1",
        "complaint_category": "jalan_jembatan",
        "privacy": "public",
        "complaint_location": "depan kantor desa Bojong Nangka",
        "complaint_kecamatan": "Kelapa Dua",
        "complaint_desa": "Bojong Nangka",
    }
    body = build_complaint_body(slots, "telegram:42", {})
    assert body["location"] == {
        "text": "depan kantor desa Bojong Nangka",
        "kecamatan": "Kelapa Dua",
        "desa": "Bojong Nangka",
    }
