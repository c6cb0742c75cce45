"""A stored report as LAPOR!'s create request (`POST /complaints/complaint`).

Privacy: an anonymous report carries no identity field at all and `is_anonymous`; a
confidential one `is_secret` and no identity either; only a public report sends the
reporter's name, phone and e-mail (`is_new_user_slider` with `nameUser`, `phoneUser`,
`emailUser`). Our tracking ID goes into `tags_raw` and the last line of `content`,
so a person can find the LAPOR! report of ours when a forward needs review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final, Protocol

from backend.lapor.mapping import LaporMapping, MappingError
from backend.taxonomy import Taxonomy

TITLE_CHARS: Final = 100


class ReporterLike(Protocol):
    """What the payload reads of a reporter."""

    name: str | None
    phone: str | None
    email: str | None


class ReportLike(Protocol):
    """What the payload reads of a report (a stored `Report`)."""

    tracking_id: str
    report_type: str
    category: str
    agency: str
    description: str
    location_text: str | None
    kecamatan: str | None
    latitude: float | None
    longitude: float | None
    incident_date: dt.date | None
    privacy: str
    channel: str
    created_at: dt.datetime

    @property
    def reporter(self) -> ReporterLike | None: ...


def create_request(
    report: ReportLike,
    mapping: LaporMapping,
    taxonomy: Taxonomy,
    attachment_ids: Sequence[str],
    local_date: dt.date,
) -> dict[str, Any]:
    """The JSON body of the create call; raises MappingError for a required unknown code.

    `local_date` is the filing date in the regency's time zone, the incident date when
    the citizen gave none.
    """
    channel = mapping.channel.get(report.channel)
    classification = mapping.classification.get(report.report_type)
    if channel is None:
        raise MappingError(
            f"LAPOR! channel code for {report.channel!r} is not set in the mapping file"
        )
    if classification is None:
        raise MappingError(
            f"LAPOR! classification code for {report.report_type!r} is not set in the mapping file"
        )
    body: dict[str, Any] = {
        "title": title_of(report, taxonomy),
        "content": content_of(report),
        "date_of_incident": (report.incident_date or local_date).isoformat(),
        "is_anonymous": report.privacy == "anonymous",
        "is_secret": report.privacy == "confidential",
        "channel": channel,
        "classification_id": classification,
        "tags_raw": report.tracking_id,
    }
    optional = {
        "category_id": mapping.category.get(report.category),
        "location_id": mapping.location_of(report.kecamatan),
        "disposition_id": mapping.institution.get(report.agency),
    }
    body.update({name: code for name, code in optional.items() if code is not None})
    if attachment_ids:
        body["attachments"] = "[" + ",".join(attachment_ids) + "]"
    body.update(identity_fields(report))
    return body


def identity_fields(report: ReportLike) -> dict[str, Any]:
    """The reporter's fields: only for a public report, and only those we know."""
    reporter = report.reporter
    if report.privacy != "public" or reporter is None:
        return {}
    known = {"nameUser": reporter.name, "phoneUser": reporter.phone, "emailUser": reporter.email}
    fields: dict[str, Any] = {k: v for k, v in known.items() if v}
    if fields:
        fields["is_new_user_slider"] = True
    return fields


def title_of(report: ReportLike, taxonomy: Taxonomy) -> str:
    """The category and the start of the description, at most `TITLE_CHARS` long."""
    category = taxonomy.categories.get(report.category)
    label = category.label_id if category else report.category
    first_line = " ".join(report.description.split())
    title = f"{label}: {first_line}"
    if len(title) <= TITLE_CHARS:
        return title
    return title[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def content_of(report: ReportLike) -> str:
    """The description, the place, and our tracking ID as the last line."""
    lines = [report.description.strip(), ""]
    place = ", ".join(
        part
        for part in (report.location_text, f"Kec. {report.kecamatan}" if report.kecamatan else None)
        if part
    )
    if place:
        lines.append(f"Lokasi: {place}")
    if report.latitude is not None and report.longitude is not None:
        lines.append(f"Koordinat: {report.latitude:.6f},{report.longitude:.6f}")
    lines.append(f"Nomor laporan kanal: {report.tracking_id}")
    return "\n".join(lines)
