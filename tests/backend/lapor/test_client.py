"""The LAPOR! client against the stand-in: exact requests, both answer forms, faults."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from backend.lapor.client import LaporClient, NewFollowUp, UploadFile
from backend.lapor.errors import (
    LaporAuthError,
    LaporError,
    LaporMalformed,
    LaporRejected,
    LaporUnavailable,
)
from tests.fakes.lapor_api import FakeLapor

REPORT = {"title": "Jalan berlubang", "content": "Lubang besar", "channel": 8, "is_secret": False}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLapor]:
    with FakeLapor() as fake:
        yield fake


@pytest.fixture
def lapor(server: FakeLapor) -> FakeLapor:
    server.clear_requests()
    server.create_answer_form = "top_level"
    server.up()
    return server


@pytest.fixture
def client(lapor: FakeLapor) -> Iterator[LaporClient]:
    with LaporClient(
        lapor.base_url + "/",
        lapor.auth_secret,
        lapor.token,
        # A read timeout a loaded CI machine never reaches by accident (0.5 s was).
        timeout=httpx.Timeout(2.0, read=3.0),
    ) as c:
        yield c


@pytest.mark.parametrize("form", ["top_level", "nested"])
def test_create_reads_either_answer_form(lapor: FakeLapor, client: LaporClient, form: str) -> None:
    lapor.create_answer_form = form
    complaint_id = client.create_report(REPORT)
    assert complaint_id == lapor.created()[-1].id
    (sent,) = lapor.requests_to("/complaints/complaint", "POST")
    assert sent.json == REPORT
    assert sent.headers["authorization"] == f"Bearer {lapor.auth_secret}"
    assert sent.headers["token"] == lapor.token
    assert sent.headers["content-type"] == "application/json"


def test_upload_sends_attachments_array_and_returns_ids(
    lapor: FakeLapor, client: LaporClient
) -> None:
    uploaded = client.upload_attachments(
        [
            UploadFile("foto.jpg", "image/jpeg", b"\xff\xd8\xffjpeg"),
            UploadFile("surat.pdf", "application/pdf", b"%PDF-1.4 x"),
        ]
    )
    assert len(uploaded.image_ids) == 1 and len(uploaded.doc_ids) == 1
    assert uploaded.all_ids == uploaded.image_ids + uploaded.doc_ids
    (sent,) = lapor.requests_to("/complaints/complaint/file")
    assert [(f[0], f[1], f[2]) for f in sent.files] == [
        ("attachments[]", "foto.jpg", "image/jpeg"),
        ("attachments[]", "surat.pdf", "application/pdf"),
    ]


def test_detail_and_paged_followups(lapor: FakeLapor, client: LaporClient) -> None:
    cid = client.create_report(REPORT)
    lapor.set_status(cid, "Terverifikasi")
    for n in range(5):
        lapor.add_followup(cid, f"jawaban {n}", institution_from_name="DBMSDA")
    detail = client.get_complaint(cid)
    assert (detail.status_name, detail.status_code) == ("Terverifikasi", "1")
    assert detail.status_logs[-1].note == "Terverifikasi"
    followups = list(client.followups(cid))
    assert [f.content for f in followups] == [f"jawaban {n}" for n in range(5)]
    assert followups[0].institution_from_name == "DBMSDA"
    pages = [r.query["page"] for r in lapor.requests_to(f"/complaints/{cid}/followups")]
    assert pages == ["1", "2", "3"]


def test_add_followup_is_a_multipart_form(lapor: FakeLapor, client: LaporClient) -> None:
    cid = client.create_report(REPORT)
    client.add_followup(NewFollowUp(complaint_id=cid, content="Sedang dikerjakan", rating=None))
    (sent,) = lapor.requests_to("/complaints/followup/add")
    assert sent.form == {"complaint_id": cid, "content": "Sedang dikerjakan", "is_secret": "0"}
    assert sent.headers["content-type"].startswith("multipart/form-data")


def test_master_lists(lapor: FakeLapor, client: LaporClient) -> None:
    institutions = client.institutions()
    assert institutions[0].id == "101"
    assert "Bina Marga" in institutions[0].name
    assert client.templates()[1].code == "TL02"
    assert lapor.requests[0].query == {"page_size": "1000"}


def test_wrong_credentials_are_an_auth_error(lapor: FakeLapor) -> None:
    with (
        LaporClient(lapor.base_url, "wrong", lapor.token) as bad,
        pytest.raises(LaporAuthError) as caught,
    ):
        bad.templates()
    assert caught.value.status == 401
    assert isinstance(caught.value, LaporRejected)
    assert "Unauthorized" in caught.value.message


def test_4xx_is_rejected_with_the_message(client: LaporClient) -> None:
    with pytest.raises(LaporRejected) as caught:
        client.create_report({"title": "no content"})
    assert caught.value.status == 422
    assert "required: content, channel" in str(caught.value)
    assert not caught.value.maybe_processed


@pytest.mark.parametrize(("status", "maybe"), [(500, True), (502, True), (503, False)])
def test_5xx_is_unavailable(
    lapor: FakeLapor, client: LaporClient, status: int, maybe: bool
) -> None:
    lapor.fail("/complaints/complaint", status)
    with pytest.raises(LaporUnavailable) as caught:
        client.create_report(REPORT)
    assert caught.value.status == status
    assert caught.value.maybe_processed is maybe


def test_timeout_is_unavailable_and_maybe_processed(lapor: FakeLapor, client: LaporClient) -> None:
    lapor.slow_seconds = 4.0  # beyond the client's 3 s read timeout
    lapor.fail("/complaints/complaint", "timeout")
    with pytest.raises(LaporUnavailable) as caught:
        client.create_report(REPORT)
    assert caught.value.maybe_processed


def test_connection_refused_is_unavailable_and_not_processed() -> None:
    with (
        LaporClient("http://127.0.0.1:9", "s", "t") as dead,
        pytest.raises(LaporUnavailable) as caught,
    ):
        dead.create_report(REPORT)
    assert not caught.value.maybe_processed


def test_malformed_answers(lapor: FakeLapor, client: LaporClient) -> None:
    lapor.fail("/masters/templates", "malformed")
    with pytest.raises(LaporMalformed):
        client.templates()
    transport = httpx.MockTransport(lambda _r: httpx.Response(200, json={"results": {}}))
    with LaporClient("http://lapor.test", "s", "t", transport=transport) as odd:
        with pytest.raises(LaporMalformed, match="no complaint id"):
            odd.create_report(REPORT)
        with pytest.raises(LaporMalformed):
            odd.get_complaint("12")
        with pytest.raises(LaporMalformed):
            odd.followup_page("12")


def test_a_complaint_id_cannot_change_the_path(client: LaporClient) -> None:
    with pytest.raises(LaporError):
        client.get_complaint("../masters/templates")


def test_every_call_is_logged_without_personal_data(
    client: LaporClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="backend.lapor.client")
    client.create_report({**REPORT, "nameUser": "Siti Aminah", "phoneUser": "+6281234567890"})
    (record,) = [r for r in caplog.records if r.name == "backend.lapor.client"]
    text = record.getMessage()
    assert text.startswith("LAPOR! POST /complaints/complaint -> 200 in ")
    assert "Siti" not in text and "6281" not in text
