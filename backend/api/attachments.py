"""`/api/v1/attachments`: upload files and serve them back to authorised callers."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from backend.api.deps import app_state, current_principal, db_session, read_only_session
from backend.attachments import clean_filename, size_text
from backend.auth import Principal, Role
from backend.errors import NotFoundError, PayloadTooLargeError
from backend.models import Attachment
from backend.presenters import attachment_url
from backend.schemas import AttachmentOut, ErrorOut
from backend.state import AppState

router = APIRouter(prefix="/api/v1/attachments", tags=["attachments"])

_MULTIPART_OVERHEAD = 64 * 1024


@router.post(
    "",
    status_code=201,
    response_model=AttachmentOut,
    responses={
        401: {"model": ErrorOut},
        413: {"model": ErrorOut, "description": "File too large"},
        415: {"model": ErrorOut, "description": "File type not accepted"},
    },
)
def upload(
    request: Request,
    file: UploadFile = File(..., description="A photo, document, audio or video"),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(db_session),
    state: AppState = Depends(app_state),
) -> AttachmentOut:
    """Store a file; its ID goes in a report's `attachments`."""
    principal.require(Role.SERVICE, Role.ADMIN)
    declared = request.headers.get("content-length")
    if (
        declared
        and declared.isdigit()
        and int(declared) > state.attachments.max_bytes + _MULTIPART_OVERHEAD
    ):
        raise PayloadTooLargeError(
            f"The file is larger than {size_text(state.attachments.max_bytes)}."
        )
    stored = state.attachments.save(file.file)
    filename = clean_filename(file.filename)
    attachment = Attachment(
        id=stored.id,
        filename=filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_name=stored.storage_name,
        uploaded_by=principal.name,
    )
    session.add(attachment)
    session.commit()
    return AttachmentOut(
        id=stored.id,
        filename=filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        url=attachment_url(stored.id),
    )


@router.get(
    "/{attachment_id}",
    response_class=FileResponse,
    responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
def download(
    attachment_id: str,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(read_only_session),
    state: AppState = Depends(app_state),
) -> FileResponse:
    """The file, for the service, administrators and the agency handling its report."""
    attachment = session.get(Attachment, attachment_id)
    visible = attachment is not None and (
        principal.sees_all_agencies
        or (attachment.report is not None and attachment.report.agency == principal.agency)
    )
    path = state.attachments.path_of(attachment.storage_name) if attachment else None
    if not visible or path is None or not path.exists():
        raise NotFoundError(f"No attachment {attachment_id!r}.")
    return FileResponse(
        path,
        media_type=attachment.content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )
