"""The LAPOR! stand-in speaks the reference's shapes and plays its faults."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.lapor_api import FakeLapor


@pytest.fixture
def lapor() -> Iterator[FakeLapor]:
    with FakeLapor() as fake:
        yield fake


def _http(fake: FakeLapor, **headers: str) -> httpx.Client:
    auth = {"Authorization": f"Bearer {fake.auth_secret}", "token": fake.token}
    auth.update(headers)
    return httpx.Client(base_url=fake.base_url, headers=auth, timeout=10)


def _create(http: httpx.Client) -> httpx.Response:
    return http.post(
        "/complaints/complaint", json={"title": "Jalan rusak", "content": "x", "channel": 8}
    )


def test_both_auth_headers_are_required(lapor: FakeLapor) -> None:
    with httpx.Client(base_url=lapor.base_url) as bare:
        assert bare.get("/masters/templates").status_code == 401
    with _http(lapor, token="wrong") as http:
        assert http.get("/masters/templates").status_code == 401
    with _http(lapor) as http:
        assert http.get("/masters/templates").status_code == 200
    assert [r.path for r in lapor.requests] == ["/masters/templates"] * 3


def test_create_answers_in_either_form_and_records_the_body(lapor: FakeLapor) -> None:
    with _http(lapor) as http:
        first = _create(http).json()
        lapor.create_answer_form = "nested"
        second = _create(http).json()
    assert isinstance(first["complaint_id"], int)
    assert second["results"]["complaint"]["id"] == first["complaint_id"] + 1
    sent = lapor.requests_to("/complaints/complaint", "POST")
    assert sent[0].json == {"title": "Jalan rusak", "content": "x", "channel": 8}
    assert sent[0].headers["token"] == lapor.token
    assert len(lapor.created()) == 2


def test_create_without_required_fields_is_422(lapor: FakeLapor) -> None:
    with _http(lapor) as http:
        response = http.post("/complaints/complaint", json={"title": "t"})
    assert response.status_code == 422
    assert "content" in response.json()["message"]
    assert lapor.created() == []


def test_upload_splits_images_and_documents(lapor: FakeLapor) -> None:
    files = [
        ("attachments[]", ("a.jpg", b"\xff\xd8\xff", "image/jpeg")),
        ("attachments[]", ("b.pdf", b"%PDF-1.4", "application/pdf")),
    ]
    with _http(lapor) as http:
        results = http.post("/complaints/complaint/file", files=files).json()["results"]
    assert len(results["images"]) == 1 and len(results["docs"]) == 1
    assert lapor.requests[0].files[0] == ("attachments[]", "a.jpg", "image/jpeg", b"\xff\xd8\xff")


def test_followups_are_paged_with_next_page_url(lapor: FakeLapor) -> None:
    with _http(lapor) as http:
        cid = str(_create(http).json()["complaint_id"])
        for n in range(5):
            lapor.add_followup(cid, f"tindak lanjut {n}")
        page = http.get(f"/complaints/{cid}/followups", params={"page": 1}).json()["results"]
        assert [f["content"] for f in page["data"]] == ["tindak lanjut 0", "tindak lanjut 1"]
        assert page["next_page_url"].endswith(f"/complaints/{cid}/followups?page=2")
        last = http.get(f"/complaints/{cid}/followups", params={"page": 3}).json()["results"]
    assert [f["content"] for f in last["data"]] == ["tindak lanjut 4"]
    assert last["next_page_url"] is None


def test_detail_shows_the_status_set_on_lapor(lapor: FakeLapor) -> None:
    with _http(lapor) as http:
        cid = str(_create(http).json()["complaint_id"])
        lapor.set_status(cid, "Dalam Proses")
        data = http.get(f"/complaints/{cid}/complaint").json()["results"]["data"]
        assert http.get("/complaints/1/complaint").status_code == 404
    assert data["status_name"] == "Dalam Proses"
    assert data["status_code"] == "2"
    assert data["status_logs"][-1]["note"] == "Dalam Proses"


def test_scripted_faults(lapor: FakeLapor) -> None:
    lapor.fail("/masters/templates", 502, times=2)
    lapor.fail("*", "malformed")
    with _http(lapor) as http:
        assert http.get("/masters/templates").status_code == 502
        assert http.get("/masters/templates").status_code == 502
        malformed = http.get("/masters/templates")
        assert malformed.status_code == 200
        with pytest.raises(ValueError):
            malformed.json()
        assert http.get("/masters/templates").status_code == 200
        lapor.down()
        assert _create(http).status_code == 503
        lapor.up()
        lapor.fail_after_create()
        assert _create(http).status_code == 500
    assert len(lapor.created()) == 1  # the ambiguous create was stored


def test_timeout_fault_answers_late(lapor: FakeLapor) -> None:
    lapor.slow_seconds = 0.5
    lapor.fail("/masters/templates", "timeout")
    with _http(lapor) as http, pytest.raises(httpx.ReadTimeout):
        http.get("/masters/templates", timeout=httpx.Timeout(5, read=0.2))


def test_add_followup_reads_a_multipart_form(lapor: FakeLapor) -> None:
    with _http(lapor) as http:
        cid = str(_create(http).json()["complaint_id"])
        fields = [("complaint_id", (None, cid)), ("content", (None, "Sudah diperbaiki"))]
        assert http.post("/complaints/followup/add", files=fields).status_code == 200
        assert (
            http.post("/complaints/followup/add", files=[("content", (None, "x"))]).status_code
            == 422
        )
    assert lapor.requests_to("/complaints/followup/add")[0].form == {
        "complaint_id": cid,
        "content": "Sudah diperbaiki",
    }


def test_institution_and_template_lists(lapor: FakeLapor) -> None:
    with _http(lapor) as http:
        institutions = http.get(
            "/masters/institutions/external", params={"page_size": 1000}
        ).json()["results"]["data"]
        templates = http.get("/masters/templates").json()["results"]["data"]
    assert institutions[0]["id"] == 101
    assert templates[0]["code"] == "TL01"
    assert lapor.requests[0].query == {"page_size": "1000"}
