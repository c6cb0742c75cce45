"""Issue 18, the backend: nearby search, followers, fan-out to followers, merging."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.models import Notification, OutboxEvent, Report, ReportFollower
from backend.nearby import METRES_PER_DEGREE, bounding_box, haversine_m, similarity, trigrams
from tests.backend.conftest import AUTH, add_user, create_report, login

pytestmark = pytest.mark.anyio

LAT, LON = -6.2, 106.45
#: 0.00045 degrees of latitude: 50.04 m on the mean Earth sphere.
LAT_50M = LAT + 50.0 / METRES_PER_DEGREE
POTHOLE = "Jalan berlubang besar di depan SDN 1, motor sering jatuh."


def at(lat: float, lon: float, **extra: Any) -> dict[str, Any]:
    """A location body at the pin."""
    return {"text": "Jl. Raya Serang km 20", "kecamatan": "Balaraja", "latitude": lat,
            "longitude": lon, **extra}  # fmt: skip


async def nearby(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/complaints/nearby", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()
    return items


def events(engine: Engine, event_type: str | None = None) -> list[dict[str, Any]]:
    with Session(engine) as session:
        query = select(OutboxEvent).order_by(OutboxEvent.created_at, OutboxEvent.id)
        if event_type:
            query = query.where(OutboxEvent.event_type == event_type)
        return [dict(e.payload) for e in session.execute(query).scalars()]


async def follow(
    client: httpx.AsyncClient, tracking_id: str, chat_id: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/complaints/{tracking_id}/followers",
        json={"chat_id": chat_id, "name": "Budi", "language": "id", **extra},
        headers=AUTH,
    )


# --- distance and ranking, pure -------------------------------------------------------


def test_haversine_matches_known_great_circle_distances() -> None:
    # One degree of longitude on the equator: 2 pi R / 360 = 111 195.08 m.
    assert haversine_m(0, 0, 0, 1) == pytest.approx(111_195.08, abs=0.05)
    # Half the circumference between antipodes.
    assert haversine_m(0, 0, 0, 180) == pytest.approx(math.pi * 6_371_008.8, abs=0.01)
    # Rosetta Code's haversine task: Nashville BNA to Los Angeles LAX is 2887.2599506 km
    # on a sphere of radius 6372.8 km; ours is 6371.0088 km.
    km = haversine_m(36.12, -86.67, 33.94, -118.40) / 1000 * 6372.8 / 6371.0088
    assert km == pytest.approx(2887.2599506, abs=1e-6)
    assert haversine_m(LAT, LON, LAT_50M, LON) == pytest.approx(50.0, abs=0.01)


def test_the_bounding_box_holds_the_whole_circle() -> None:
    box = bounding_box(LAT, LON, 300)
    for bearing in range(0, 360, 15):
        # A point 299 m away in each direction lies inside the box.
        dlat = 299 * math.cos(math.radians(bearing)) / METRES_PER_DEGREE
        dlon = 299 * math.sin(math.radians(bearing)) / METRES_PER_DEGREE
        dlon /= math.cos(math.radians(LAT + dlat))
        assert box.min_lat <= LAT + dlat <= box.max_lat
        assert box.min_lon <= LON + dlon <= box.max_lon
    assert box.max_lat - box.min_lat < 2 * 301 / METRES_PER_DEGREE


def test_similar_descriptions_score_higher() -> None:
    new = trigrams("Ada lubang besar di jalan depan SDN 1")
    assert similarity(new, trigrams(POTHOLE)) > similarity(new, trigrams("Lampu PJU mati"))
    assert similarity(new, frozenset()) == 0.0


# --- nearby search ---------------------------------------------------------------------


async def test_a_report_50_m_away_is_offered_2_km_away_and_other_categories_not(
    client: httpx.AsyncClient,
) -> None:
    near = await create_report(client, description=POTHOLE, location=at(LAT, LON))
    await create_report(client, location=at(LAT + 2000 / METRES_PER_DEGREE, LON))
    await create_report(client, category="banjir_drainase", location=at(LAT, LON))
    found = await nearby(client, category="jalan_jembatan", lat=LAT_50M, lon=LON)
    assert [f["tracking_id"] for f in found] == [near["tracking_id"]]
    entry = found[0]
    assert set(entry) == {"tracking_id", "category", "status", "distance_m", "created_at",
                          "summary"}  # fmt: skip
    assert entry["distance_m"] == pytest.approx(50.0, abs=0.1)
    assert entry["status"] == "received" and entry["category"] == "jalan_jembatan"
    assert "Jalan berlubang" in entry["summary"] and "Jl. Raya Serang" in entry["summary"]
    # Nothing of the reporter (Siti Aminah, +6281234567890, telegram:42).
    assert "Siti" not in str(entry) and "628123" not in str(entry) and "42" not in str(entry)
    # A wider radius reaches the 2 km report too.
    wide = await nearby(client, category="jalan_jembatan", lat=LAT_50M, lon=LON, radius_m=2500)
    assert len(wide) == 2 and wide[0]["tracking_id"] == near["tracking_id"]


async def test_nearest_first_and_text_similarity_counts(client: httpx.AsyncClient) -> None:
    far = await create_report(client, description=POTHOLE, location=at(LAT + 0.0018, LON))
    close = await create_report(
        client, description="Saluran air di pinggir jalan tersumbat sampah.",
        location=at(LAT + 0.0002, LON),
    )  # fmt: skip
    plain = await nearby(client, category="jalan_jembatan", lat=LAT, lon=LON)
    assert [f["tracking_id"] for f in plain] == [close["tracking_id"], far["tracking_id"]]
    assert plain[0]["distance_m"] < plain[1]["distance_m"]
    ranked = await nearby(
        client,
        category="jalan_jembatan",
        lat=LAT,
        lon=LON,
        text="jalan berlubang besar, motor jatuh",
    )
    assert ranked[0]["tracking_id"] == far["tracking_id"]
    assert len(await nearby(client, category="jalan_jembatan", lat=LAT, lon=LON, limit=1)) == 1


async def test_a_confidential_report_is_offered_without_any_detail(
    client: httpx.AsyncClient,
) -> None:
    secret = await create_report(
        client, privacy="confidential", description=POTHOLE, location=at(LAT, LON)
    )
    found = await nearby(client, category="jalan_jembatan", lat=LAT, lon=LON, text=POTHOLE)
    assert found[0]["tracking_id"] == secret["tracking_id"]
    assert found[0]["summary"] is None


async def test_the_summary_masks_numbers_typed_in_the_description(
    client: httpx.AsyncClient,
) -> None:
    await create_report(
        client, description="Jalan rusak, hubungi saya di 081234567890 ya", location=at(LAT, LON)
    )
    found = await nearby(client, category="jalan_jembatan", lat=LAT, lon=LON)
    assert "081234567890" not in found[0]["summary"] and "0812" in found[0]["summary"]


async def test_without_a_pin_the_same_desa_is_searched(client: httpx.AsyncClient) -> None:
    mine = await create_report(
        client, location={"text": "depan masjid", "kecamatan": "Balaraja", "desa": "Talagasari"}
    )
    await create_report(
        client, location={"text": "pasar", "kecamatan": "Balaraja", "desa": "Sentul"}
    )
    assert mine["location"]["desa"] == "Talagasari"
    found = await nearby(client, category="jalan_jembatan", desa="Talagasari", kecamatan="balaraja")
    assert [f["tracking_id"] for f in found] == [mine["tracking_id"]]
    assert found[0]["distance_m"] is None
    assert (
        await nearby(client, category="jalan_jembatan", desa="Talagasari", kecamatan="Cisoka") == []
    )


async def test_finished_and_merged_reports_are_not_offered(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    done = await create_report(client, location=at(LAT, LON))
    for status in ("verified", "in_progress", "resolved"):
        response = await client.post(
            f"/api/v1/complaints/{done['tracking_id']}/status", json={"status": status},
            headers=AUTH,
        )  # fmt: skip
        assert response.status_code == 200, response.text
    assert await nearby(client, category="jalan_jembatan", lat=LAT, lon=LON) == []
    original = await create_report(client, location=at(LAT, LON))
    duplicate = await create_report(client, location=at(LAT, LON))
    admin = await admin_headers(client, engine)
    await merge(client, duplicate["tracking_id"], original["tracking_id"], admin)
    found = await nearby(client, category="jalan_jembatan", lat=LAT, lon=LON)
    assert [f["tracking_id"] for f in found] == [original["tracking_id"]]


@pytest.mark.parametrize(
    "params",
    [
        {"lat": LAT, "lon": LON},
        {"category": "jalan_jembatan"},
        {"category": "jalan_jembatan", "lat": LAT},
        {"category": "nope", "lat": LAT, "lon": LON},
        {"category": "jalan_jembatan", "desa": "X", "kecamatan": "Atlantis"},
        {"category": "jalan_jembatan", "lat": LAT, "lon": LON, "limit": 11},
        {"category": "jalan_jembatan", "lat": 91, "lon": LON},
    ],
)
async def test_bad_nearby_queries_are_422(
    client: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    response = await client.get("/api/v1/complaints/nearby", params=params, headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["message"]


async def test_nearby_needs_a_token_and_an_officer_sees_their_agency_only(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    report = await create_report(client, location=at(LAT, LON))
    url = "/api/v1/complaints/nearby"
    params = {"category": "jalan_jembatan", "lat": LAT, "lon": LON}
    assert (await client.get(url, params=params)).status_code == 401
    add_user(engine, "petugas", "rahasia-123", "officer", report["agency"])
    add_user(engine, "lain", "rahasia-123", "officer", "DINKES")
    mine = await client.get(
        url, params=params, headers=await login(client, "petugas", "rahasia-123")
    )
    assert [f["tracking_id"] for f in mine.json()] == [report["tracking_id"]]
    other = await client.get(url, params=params, headers=await login(client, "lain", "rahasia-123"))
    assert other.json() == []


# --- followers -------------------------------------------------------------------------


async def test_following_adds_the_citizen_and_their_information_once(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    report = await create_report(client, location=at(LAT, LON))
    tid = report["tracking_id"]
    first = await follow(
        client, tid, "telegram:77", description="Saya juga lewat sini, lubangnya makin lebar.",
        location=at(LAT_50M, LON),
    )  # fmt: skip
    assert first.status_code == 201, first.text
    seen = first.json()
    assert seen["tracking_id"] == tid and seen["followers_count"] == 1
    assert seen["reporter"] is None and seen["notifications"] == [] and seen["followers"] is None
    again = await follow(client, tid, "telegram:77", description="lagi")
    assert again.status_code == 200 and again.json()["followers_count"] == 1
    full = (await client.get(f"/api/v1/complaints/{tid}", headers=AUTH)).json()
    assert full["followers_count"] == 1
    assert [f["source"] for f in full["followers"]] == ["follow"]
    assert full["followers"][0]["chat_id"] != "telegram:77"  # masked
    supporting = [e for e in full["thread"] if e["kind"] == "supporting"]
    assert len(supporting) == 1
    assert "makin lebar" in supporting[0]["text"] and "Lokasi:" in supporting[0]["text"]
    # Officers see the count only.
    add_user(engine, "petugas", "rahasia-123", "officer", report["agency"])
    officer = await login(client, "petugas", "rahasia-123")
    as_officer = (await client.get(f"/api/v1/complaints/{tid}", headers=officer)).json()
    assert as_officer["followers_count"] == 1 and as_officer["followers"] is None


async def test_following_with_a_photo_links_it_to_the_report(client: httpx.AsyncClient) -> None:
    report = await create_report(client)
    upload = await client.post(
        "/api/v1/attachments", files={"file": ("a.jpg", b"\xff\xd8\xff\xe0" + b"0" * 64,
                                               "image/jpeg")}, headers=AUTH,
    )  # fmt: skip
    assert upload.status_code == 201, upload.text
    attachment = upload.json()["id"]
    response = await follow(client, report["tracking_id"], "telegram:78", attachments=[attachment])
    assert response.status_code == 201, response.text
    full = (await client.get(f"/api/v1/complaints/{report['tracking_id']}", headers=AUTH)).json()
    (entry,) = [e for e in full["thread"] if e["kind"] == "supporting"]
    assert [a["id"] for a in entry["attachments"]] == [attachment]


async def test_following_refusals(client: httpx.AsyncClient) -> None:
    report = await create_report(client)
    tid = report["tracking_id"]
    own = await follow(client, tid, "telegram:42")  # the reporter's chat
    assert own.status_code == 409 and "filed report" in own.json()["message"]
    assert (await follow(client, "TNG-2026-999999", "telegram:5")).status_code == 404
    bad = await client.post(f"/api/v1/complaints/{tid}/followers", json={}, headers=AUTH)
    assert bad.status_code == 422
    await client.post(
        f"/api/v1/complaints/{tid}/status", json={"status": "rejected", "note": "bukan wewenang"},
        headers=AUTH,
    )  # fmt: skip
    assert (await follow(client, tid, "telegram:5")).status_code == 409


async def test_only_the_service_adds_followers(client: httpx.AsyncClient, engine: Engine) -> None:
    report = await create_report(client)
    add_user(engine, "admin", "rahasia-123", "admin")
    admin = await login(client, "admin", "rahasia-123")
    response = await client.post(
        f"/api/v1/complaints/{report['tracking_id']}/followers",
        json={"chat_id": "telegram:5"}, headers=admin,
    )  # fmt: skip
    assert response.status_code == 403


async def test_a_status_change_reaches_the_reporter_and_each_follower_once(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    report = await create_report(client)
    tid = report["tracking_id"]
    for chat in ("telegram:100", "whatsapp:6281111", "telegram:102"):
        assert (await follow(client, tid, chat, language="en")).status_code == 201
    off = await client.put(
        "/api/v1/notification-preferences/telegram:102", json={"enabled": False}, headers=AUTH
    )
    assert off.status_code in (200, 204), off.text
    changed = await client.post(
        f"/api/v1/complaints/{tid}/status", json={"status": "verified", "note": "dicek"},
        headers=AUTH,
    )  # fmt: skip
    assert changed.status_code == 200
    sent = events(engine, "complaint.status_changed")
    assert sorted((e["chat_id"], e["notifications_enabled"]) for e in sent) == [
        ("telegram:100", True),
        ("telegram:102", False),
        ("telegram:42", True),
        ("whatsapp:6281111", True),
    ]
    assert len({e["event_id"] for e in sent}) == 4
    assert {e["tracking_id"] for e in sent} == {tid}
    assert all(e["status"] == "verified" and e["note"] == "dicek" for e in sent)
    assert sorted(e["language"] or "-" for e in sent) == ["-", "en", "en", "en"]
    with Session(engine) as session:
        rows = session.execute(select(Notification.event_id, Notification.channel)).all()
    assert sorted(r.event_id for r in rows) == sorted(e["event_id"] for e in sent)
    assert sorted(r.channel for r in rows) == ["telegram", "telegram", "telegram", "whatsapp"]
    (whatsapp,) = [e for e in sent if e["chat_id"] == "whatsapp:6281111"]
    # The notifier reports a follower's delivery on the report as for the reporter.
    delivery = await client.put(
        f"/api/v1/complaints/{tid}/notifications/{whatsapp['event_id']}",
        json={"channel": "whatsapp", "state": "sent"}, headers=AUTH,
    )  # fmt: skip
    assert delivery.status_code in (200, 204), delivery.text


async def test_a_receipt_goes_to_the_reporter_alone(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    report = await create_report(client)
    await follow(client, report["tracking_id"], "telegram:100")
    response = await client.post(
        f"/api/v1/complaints/{report['tracking_id']}/receipt", headers=AUTH
    )
    assert response.status_code == 202
    assert [e["chat_id"] for e in events(engine, "complaint.receipt")] == ["telegram:42"]


# --- merging ---------------------------------------------------------------------------


async def admin_headers(client: httpx.AsyncClient, engine: Engine) -> dict[str, str]:
    add_user(engine, "admin", "rahasia-123", "admin")
    return await login(client, "admin", "rahasia-123")


async def merge(
    client: httpx.AsyncClient, duplicate: str, original: str, headers: dict[str, str]
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/complaints/{duplicate}/duplicate-of", json={"tracking_id": original},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_merge_and_undo_round_trip(client: httpx.AsyncClient, engine: Engine) -> None:
    original = await create_report(client)
    duplicate = await create_report(
        client, reporter={"name": "Dewi", "chat_id": "telegram:55", "language": "en"}
    )
    orig, dup = original["tracking_id"], duplicate["tracking_id"]
    await follow(client, dup, "telegram:56")
    await follow(client, orig, "telegram:56")  # follows both: moved once, told once
    await client.post(f"/api/v1/complaints/{dup}/status", json={"status": "verified"}, headers=AUTH)
    add_user(engine, "petugas", "rahasia-123", "officer", original["agency"])
    officer = await login(client, "petugas", "rahasia-123")
    before = len(events(engine))

    merged = await merge(client, dup, orig, officer)
    assert merged["status"] == "closed" and merged["duplicate_of"] == orig
    assert orig in merged["history"][-1]["note"]
    new_events = events(engine)[before:]
    assert [e["type"] for e in new_events] == ["complaint.merged", "complaint.merged"]
    assert sorted((e["chat_id"], e["language"]) for e in new_events) == [
        ("telegram:55", "en"),
        ("telegram:56", "id"),
    ]
    for event in new_events:
        assert event["tracking_id"] == dup and event["original_tracking_id"] == orig
        assert event["status"] == "closed" and event["notifications_enabled"] is True
    after = (await client.get(f"/api/v1/complaints/{orig}", headers=AUTH)).json()
    assert after["followers_count"] == 2  # telegram:56 (follow) + telegram:55 (merge)
    assert sorted(f["source"] for f in after["followers"]) == ["follow", "merge"]

    # A later change of the original reaches the merged reporter too.
    await client.post(
        f"/api/v1/complaints/{orig}/status", json={"status": "verified"}, headers=officer
    )
    told = [e["chat_id"] for e in events(engine, "complaint.status_changed")
            if e["tracking_id"] == orig]  # fmt: skip
    assert sorted(told) == ["telegram:42", "telegram:55", "telegram:56"]

    refused = await client.delete(f"/api/v1/complaints/{dup}/duplicate-of", headers=officer)
    assert refused.status_code == 403
    admin = await admin_headers(client, engine)
    undone = await client.delete(f"/api/v1/complaints/{dup}/duplicate-of", headers=admin)
    assert undone.status_code == 200, undone.text
    assert undone.json()["status"] == "verified" and undone.json()["duplicate_of"] is None
    restored = (await client.get(f"/api/v1/complaints/{orig}", headers=AUTH)).json()
    assert restored["followers_count"] == 1
    assert [f["source"] for f in restored["followers"]] == ["follow"]
    again = await client.delete(f"/api/v1/complaints/{dup}/duplicate-of", headers=admin)
    assert again.status_code == 409


async def test_merge_refusals(client: httpx.AsyncClient, engine: Engine) -> None:
    a = (await create_report(client))["tracking_id"]
    b = (await create_report(client))["tracking_id"]
    c = (await create_report(client))["tracking_id"]
    health = await create_report(client, category="kesehatan")
    admin = await admin_headers(client, engine)
    url = "/api/v1/complaints/{}/duplicate-of"

    async def post(dup: str, orig: str, headers: dict[str, str]) -> httpx.Response:
        return await client.post(url.format(dup), json={"tracking_id": orig}, headers=headers)

    assert (await post(a, a, admin)).status_code == 409  # itself
    assert (await post(a, AUTH_MISSING, admin)).status_code == 404
    assert (await post(a, b, AUTH)).status_code == 403  # the service does not merge
    add_user(engine, "petugas", "rahasia-123", "officer", health["agency"])
    other = await login(client, "petugas", "rahasia-123")
    assert (await post(a, b, other)).status_code == 403  # another agency
    assert (await post(health["tracking_id"], a, other)).status_code == 403
    await merge(client, b, a, admin)
    assert (await post(c, b, admin)).status_code == 409  # into a merged report
    assert (await post(a, c, admin)).status_code == 409  # a chain: a has duplicates
    assert (await post(b, c, admin)).status_code == 409  # merged already
    await client.post(
        f"/api/v1/complaints/{c}/status", json={"status": "archived", "note": "lama"}, headers=AUTH
    )
    d = (await create_report(client))["tracking_id"]
    assert (await post(d, c, admin)).status_code == 409  # into an archived report
    assert (await post(c, d, admin)).status_code == 409  # an archived duplicate
    bad = await client.post(url.format(d), json={}, headers=admin)
    assert bad.status_code == 422


AUTH_MISSING = "TNG-2026-999999"


async def test_the_report_json_has_the_new_fields_for_everyone(client: httpx.AsyncClient) -> None:
    report = await create_report(client)
    assert report["followers_count"] == 0 and report["duplicate_of"] is None
    assert report["followers"] == []
    assert report["location"]["desa"] is None


async def test_a_follower_may_add_to_the_thread_a_stranger_not(client: httpx.AsyncClient) -> None:
    report = await create_report(client)
    url = f"/api/v1/complaints/{report['tracking_id']}/thread"
    body = {"chat_id": "telegram:90", "text": "Sekarang ada genangan juga.", "kind": "info"}
    assert (await client.post(url, json=body, headers=AUTH)).status_code == 403
    await follow(client, report["tracking_id"], "telegram:90")
    added = await client.post(url, json=body, headers=AUTH)
    assert added.status_code == 201, added.text


async def test_open311_answers_a_merged_report_as_its_original(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    orig = (await create_report(client))["tracking_id"]
    dup = (await create_report(client))["tracking_id"]
    await merge(client, dup, orig, await admin_headers(client, engine))
    await client.post(
        f"/api/v1/complaints/{orig}/status", json={"status": "verified", "note": "Tim meluncur"},
        headers=AUTH,
    )  # fmt: skip
    response = await client.get(f"/open311/v2/requests/{dup}.json")
    assert response.status_code == 200, response.text
    (answer,) = response.json()
    assert answer["service_request_id"] == dup
    assert answer["status"] == "open"  # the original's, though the duplicate is closed
    assert orig in answer["status_notes"] and "Tim meluncur" in answer["status_notes"]
    assert "followers" not in answer and "followers_count" not in answer


async def test_a_report_with_200_followers_gives_201_events_in_one_change(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    report = await create_report(client)
    with Session(engine) as session:
        report_id = session.execute(
            select(Report.id).where(Report.tracking_id == report["tracking_id"])
        ).scalar_one()
        session.add_all(
            ReportFollower(report_id=report_id, chat_id=f"telegram:{1000 + i}", source="follow")
            for i in range(200)
        )
        session.commit()
    changed = await client.post(
        f"/api/v1/complaints/{report['tracking_id']}/status", json={"status": "verified"},
        headers=AUTH,
    )  # fmt: skip
    assert changed.status_code == 200
    sent = events(engine, "complaint.status_changed")
    assert len(sent) == 201 and len({e["event_id"] for e in sent}) == 201
    assert len({e["chat_id"] for e in sent}) == 201
    with Session(engine) as session:
        assert len(session.execute(select(Notification.event_id)).all()) == 201
