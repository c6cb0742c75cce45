"""A stand-in for the SP4N-LAPOR! v3 integration API, speaking `reference/lapor_v3.md`.

Served by uvicorn on a free 127.0.0.1 port in a background thread (`ThreadedServer`),
so sync and async tests alike can point `LAPOR_BASE_URL` at `fake.base_url`::

    with FakeLapor() as lapor:
        client = LaporClient(lapor.base_url, lapor.auth_secret, lapor.token)

Every request is recorded as it arrived (`requests`, `requests_to(path)`): method,
path, query, headers, the JSON body or the multipart form fields and files. Calls
without both auth headers (`Authorization: Bearer <secret>`, `token: <key>`) get 401.

Script it:
- `create_answer_form`: `"top_level"` (`{"complaint_id": ...}`) or `"nested"`
  (`{"results": {"complaint": {"id": ...}}}`);
- `followups_page_size`: follow-ups per page (next page in `results.next_page_url`);
- `fail(path, status=..., times=...)`: the next `times` calls to a path (prefix
  `"*"` for any) answer `status`; `status="malformed"` answers 200 with a body that
  is not JSON, `"timeout"` sleeps `slow_seconds` before answering;
- `fail_after_create(times)`: the create is stored, then answered 500 (the
  ambiguous case: LAPOR! has the report and we do not know its id);
- `delay`: seconds every answer waits (a slow LAPOR!);
- `down()` / `up()`: every call answers 503 while down;
- `add_followup(complaint_id, content)`, `set_status(complaint_id, name)`: what the
  agency does on LAPOR!'s side.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import ThreadedServer

#: The credentials the stand-in expects by default.
FAKE_SECRET = "fake-lapor-secret"
FAKE_TOKEN = "00000000-fake-lapor-token"
STATUS_CODES = {
    "Belum Terverifikasi": "0",
    "Terverifikasi": "1",
    "Dalam Proses": "2",
    "Selesai": "3",
    "Diarsipkan": "4",
    "Ditolak": "5",
}
INSTITUTIONS = [
    {"id": 101, "name": "Dinas Bina Marga dan Sumber Daya Air Kabupaten Tangerang"},
    {"id": 102, "name": "Dinas Lingkungan Hidup dan Kebersihan Kabupaten Tangerang"},
    {"id": 103, "name": "Dinas Perhubungan Kabupaten Tangerang"},
    {"id": 104, "name": "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Tangerang"},
    {"id": 105, "name": "Dinas Kesehatan Kabupaten Tangerang"},
    {"id": 106, "name": "Dinas Kesehatan Kota Tangerang"},
    {"id": 107, "name": "Dinas Sosial Provinsi Banten"},
    {"id": 108, "name": "Kecamatan Pasar Kemis"},
    {"id": 109, "name": "Kecamatan Balaraja"},
]
TEMPLATES = [
    {"code": "TL01", "content": "Laporan Anda diteruskan kepada {{institution_to}}."},
    {"code": "TL02", "content": "Status laporan berubah menjadi {{status_new}}."},
]


@dataclass(frozen=True)
class LaporRequest:
    """One request as the stand-in received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, str, str, bytes]] = field(default_factory=list)
    """(field name, filename, content type, bytes) of each uploaded file."""


@dataclass
class FakeComplaint:
    """A report LAPOR! holds."""

    id: str
    fields: dict[str, Any]
    status_name: str = "Belum Terverifikasi"
    disposition_id: str | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)
    status_logs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Fault:
    path: str
    status: int | str
    times: int


class FakeLapor:
    """The LAPOR! v3 API, scripted by the test."""

    def __init__(
        self,
        auth_secret: str = FAKE_SECRET,
        token: str = FAKE_TOKEN,
        create_answer_form: str = "top_level",
        followups_page_size: int = 2,
    ) -> None:
        self.auth_secret = auth_secret
        self.token = token
        self.create_answer_form = create_answer_form
        self.followups_page_size = followups_page_size
        self.delay = 0.0
        self.slow_seconds = 5.0
        self.complaints: dict[str, FakeComplaint] = {}
        self._lock = threading.Lock()
        self._requests: list[LaporRequest] = []
        self._faults: list[_Fault] = []
        self._fail_after_create = 0
        self._down = False
        self._ids = itertools.count(5_000_001)
        self._file_ids = itertools.count(900_001)
        app = Starlette(
            routes=[
                Route("/complaints/complaint/file", self._upload, methods=["POST"]),
                Route("/complaints/complaint", self._create, methods=["POST"]),
                Route("/complaints/{cid}/complaint", self._detail, methods=["GET"]),
                Route("/complaints/{cid}/followups", self._followups, methods=["GET"]),
                Route("/complaints/followup/add", self._add_followup, methods=["POST"]),
                Route("/masters/institutions/external", self._institutions, methods=["GET"]),
                Route("/masters/templates", self._templates, methods=["GET"]),
            ]
        )
        self._server = ThreadedServer(app, "fake-lapor")

    # --- lifecycle ------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Where the stand-in listens (paths are appended to it, as to LAPOR_BASE_URL)."""
        return self._server.base_url

    def start(self) -> None:
        """Serve on a free port."""
        self._server.start()

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    def __enter__(self) -> FakeLapor:
        self.start()
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- scripting ------------------------------------------------------------------

    @property
    def requests(self) -> list[LaporRequest]:
        """Every request received, in order."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str, method: str | None = None) -> list[LaporRequest]:
        """The requests to exactly `path` (and `method`)."""
        return [
            r for r in self.requests if r.path == path and (method is None or r.method == method)
        ]

    def reset(self) -> None:
        """Forget requests, complaints and faults, and answer normally and promptly."""
        with self._lock:
            self._requests.clear()
            self.complaints.clear()
            self._faults.clear()
            self._fail_after_create = 0
            self._ids = itertools.count(5_000_001)
            self._file_ids = itertools.count(900_001)
        self._down = False
        self.delay = 0.0
        self.create_answer_form = "top_level"

    def clear_requests(self) -> None:
        """Forget the requests received so far."""
        with self._lock:
            self._requests.clear()

    def fail(self, path: str, status: int | str, times: int = 1) -> None:
        """The next `times` calls to `path` (`"*"`: any) answer `status`."""
        with self._lock:
            self._faults.append(_Fault(path, status, times))

    def fail_after_create(self, times: int = 1) -> None:
        """The next `times` creates are stored but answered 500."""
        with self._lock:
            self._fail_after_create += times

    def down(self) -> None:
        """Answer every call 503 until `up()`."""
        self._down = True

    def up(self) -> None:
        """Answer normally again."""
        self._down = False

    def add_followup(self, complaint_id: str, content: str, **extra: Any) -> None:
        """An agency's tindak lanjut on LAPOR!'s side."""
        with self._lock:
            complaint = self.complaints[complaint_id]
            complaint.followups.append(
                {
                    "content": content,
                    "created_at": extra.pop("created_at", "07-12-2026 10:15:00"),
                    "institution_from_name": extra.pop("institution_from_name", "Admin LAPOR!"),
                    "institution_to_name": extra.pop("institution_to_name", None),
                    "template_code": extra.pop("template_code", None),
                    "template_content": extra.pop("template_content", None),
                    "attachments": [],
                    **extra,
                }
            )

    def set_status(self, complaint_id: str, status_name: str) -> None:
        """LAPOR!'s status of a complaint changes."""
        with self._lock:
            complaint = self.complaints[complaint_id]
            complaint.status_name = status_name
            complaint.status_logs.append({"note": status_name, "timestamp": "2026-12-07 10:00:00"})

    def created(self) -> list[FakeComplaint]:
        """The complaints created, in order."""
        with self._lock:
            return list(self.complaints.values())

    # --- handlers -------------------------------------------------------------------

    async def _record(self, request: Request) -> tuple[LaporRequest, Response | None]:
        """Record `request`; an answer when auth or a scripted fault decides it."""
        json_body: Any = None
        form: dict[str, str] = {}
        files: list[tuple[str, str, str, bytes]] = []
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/"):
            parsed = await request.form()
            for name, value in parsed.multi_items():
                if isinstance(value, UploadFile):
                    data = await value.read()
                    files.append((name, value.filename or "", value.content_type or "", data))
                else:
                    form[name] = value
        elif request.method == "POST":
            raw = await request.body()
            try:
                json_body = json.loads(raw) if raw else None
            except ValueError:
                json_body = raw.decode("utf-8", "replace")
        recorded = LaporRequest(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            json=json_body,
            form=form,
            files=files,
        )
        with self._lock:
            self._requests.append(recorded)
            fault = self._take_fault(recorded.path)
        if self.delay:
            await asyncio.sleep(self.delay)
        if (
            request.headers.get("authorization") != f"Bearer {self.auth_secret}"
            or request.headers.get("token") != self.token
        ):
            return recorded, JSONResponse(
                {"success": False, "message": "Unauthorized"}, status_code=401
            )
        if self._down:
            return recorded, Response("Service Unavailable", status_code=503)
        if fault is not None:
            return recorded, await self._fault_answer(fault.status)
        return recorded, None

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.path in (path, "*"):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _fault_answer(self, status: int | str) -> Response:
        if status == "malformed":
            return Response("<html>gateway</html>", status_code=200, media_type="text/html")
        if status == "timeout":
            await asyncio.sleep(self.slow_seconds)
            return JSONResponse({"success": False, "message": "late"}, status_code=504)
        assert isinstance(status, int)
        return JSONResponse({"success": False, "message": f"scripted {status}"}, status_code=status)

    async def _upload(self, request: Request) -> Response:
        recorded, answer = await self._record(request)
        if answer is not None:
            return answer
        docs: list[dict[str, Any]] = []
        images: list[dict[str, Any]] = []
        for name, filename, content_type, _data in recorded.files:
            if name != "attachments[]":
                return JSONResponse({"message": f"unexpected field {name}"}, status_code=422)
            entry = {"id": next(self._file_ids), "name": filename}
            (images if content_type.startswith("image/") else docs).append(entry)
        if not recorded.files:
            return JSONResponse({"message": "attachments[] is required"}, status_code=422)
        return JSONResponse({"success": True, "results": {"docs": docs, "images": images}})

    async def _create(self, request: Request) -> Response:
        recorded, answer = await self._record(request)
        if answer is not None:
            return answer
        body = recorded.json
        if not isinstance(body, dict):
            return JSONResponse({"message": "a JSON object is required"}, status_code=422)
        missing = [k for k in ("title", "content", "channel") if not body.get(k)]
        if missing:
            return JSONResponse(
                {"success": False, "message": f"required: {', '.join(missing)}"}, status_code=422
            )
        complaint_id = str(next(self._ids))
        with self._lock:
            self.complaints[complaint_id] = FakeComplaint(
                id=complaint_id,
                fields=body,
                disposition_id=None
                if body.get("disposition_id") is None
                else str(body["disposition_id"]),
            )
            if self._fail_after_create > 0:
                self._fail_after_create -= 1
                return JSONResponse({"message": "Internal Server Error"}, status_code=500)
        if self.create_answer_form == "nested":
            return JSONResponse(
                {"success": True, "results": {"complaint": {"id": int(complaint_id)}}}
            )
        return JSONResponse({"success": True, "complaint_id": int(complaint_id)})

    async def _detail(self, request: Request) -> Response:
        _recorded, answer = await self._record(request)
        if answer is not None:
            return answer
        complaint = self.complaints.get(request.path_params["cid"])
        if complaint is None:
            return JSONResponse({"success": False, "message": "not found"}, status_code=404)
        with self._lock:
            data = {
                "id": int(complaint.id),
                "status_code": STATUS_CODES[complaint.status_name],
                "status_name": complaint.status_name,
                "disposition_id": complaint.disposition_id,
                "disposition_name": None,
                "status_logs": list(complaint.status_logs),
            }
            return JSONResponse({"success": True, "results": {"data": data, "data_logs": []}})

    async def _followups(self, request: Request) -> Response:
        recorded, answer = await self._record(request)
        if answer is not None:
            return answer
        complaint = self.complaints.get(request.path_params["cid"])
        if complaint is None:
            return JSONResponse({"success": False, "message": "not found"}, status_code=404)
        try:
            page = max(1, int(recorded.query.get("page", "1")))
        except ValueError:
            return JSONResponse({"message": "page must be a number"}, status_code=422)
        size = self.followups_page_size
        with self._lock:
            items = complaint.followups[(page - 1) * size : page * size]
            more = len(complaint.followups) > page * size
        next_url = (
            f"{self.base_url}/complaints/{complaint.id}/followups?page={page + 1}" if more else None
        )
        return JSONResponse(
            {
                "success": True,
                "results": {"data": items, "current_page": page, "next_page_url": next_url},
            }
        )

    async def _add_followup(self, request: Request) -> Response:
        recorded, answer = await self._record(request)
        if answer is not None:
            return answer
        complaint = self.complaints.get(recorded.form.get("complaint_id", ""))
        if complaint is None or not recorded.form.get("content"):
            return JSONResponse(
                {"success": False, "message": "complaint_id and content are required"},
                status_code=422,
            )
        with self._lock:
            complaint.followups.append(
                {
                    "content": recorded.form["content"],
                    "created_at": "07-12-2026 11:00:00",
                    "institution_from_name": "Pemerintah Kabupaten Tangerang",
                    "institution_to_name": None,
                    "template_code": recorded.form.get("template_code"),
                    "template_content": None,
                    "attachments": [],
                }
            )
        return JSONResponse({"success": True, "results": {"id": next(self._file_ids)}})

    async def _institutions(self, request: Request) -> Response:
        _recorded, answer = await self._record(request)
        if answer is not None:
            return answer
        return JSONResponse({"success": True, "results": {"data": INSTITUTIONS}})

    async def _templates(self, request: Request) -> Response:
        _recorded, answer = await self._record(request)
        if answer is not None:
            return answer
        return JSONResponse({"success": True, "results": {"data": TEMPLATES}})
