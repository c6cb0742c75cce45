"""Files citizens send: media ID -> media URL -> download (with the token) -> backend."""

from __future__ import annotations

import hashlib
import mimetypes
import re

from bot.attachments import AttachmentUploader
from bot.whatsapp.envelope import Media
from bot.whatsapp.errors import ErrorDetails, GraphAPIError
from bot.whatsapp.graph import GraphClient, MediaTooLargeError

#: How the gateway tells Rasa what kind of file came (the same names as Telegram's).
ATTACHMENT_KINDS = {"image": "photo", "document": "document", "video": "video"}
_NAME_PREFIXES = {
    "photo": "foto",
    "document": "dokumen",
    "voice": "pesan_suara",
    "audio": "audio",
    "video": "video",
}
_EXTENSIONS = {"image/jpeg": ".jpg", "audio/ogg": ".ogg", "audio/mpeg": ".mp3", "video/mp4": ".mp4"}
_HEX_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def attachment_kind(media: Media) -> str:
    """`photo`, `document`, `voice`, `audio` or `video`."""
    if media.kind == "audio":
        return "voice" if media.voice else "audio"
    return ATTACHMENT_KINDS.get(media.kind, media.kind)


def base_type(mime_type: str) -> str:
    """`audio/ogg; codecs=opus` -> `audio/ogg`."""
    return mime_type.split(";", 1)[0].strip().lower()


def filename_for(media: Media, mime_type: str) -> str:
    """The document's own name, or `<kind>_<media id><extension>`."""
    if media.filename:
        return media.filename
    kind = attachment_kind(media)
    content_type = base_type(mime_type)
    extension = _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ""
    return f"{_NAME_PREFIXES.get(kind, kind)}_{media.media_id}{extension}"


class MediaStore:
    """Fetches a citizen's file from WhatsApp and stores it in the backend."""

    def __init__(self, graph: GraphClient, uploader: AttachmentUploader, max_bytes: int) -> None:
        self._graph = graph
        self._uploader = uploader
        self._max_bytes = max_bytes

    async def store(self, media: Media) -> str:
        """Store the file; returns its attachment ID.

        Raises:
            MediaTooLargeError: over the size limit (checked before downloading when
                WhatsApp says the size).
            GraphAPIError: the file could not be fetched (or arrived damaged).
            AttachmentError: the backend refused the file or is unavailable.
        """
        info = await self._graph.media_info(media.media_id)
        if info.file_size is not None and info.file_size > self._max_bytes:
            raise MediaTooLargeError
        content = await self._graph.download(info.url, self._max_bytes)
        if _HEX_SHA256.match(info.sha256) and (
            hashlib.sha256(content).hexdigest() != info.sha256.lower()
        ):
            raise GraphAPIError(ErrorDetails(0, "the downloaded file does not match its hash"))
        mime_type = info.mime_type or media.mime_type
        return await self._uploader.upload(
            content, filename_for(media, mime_type), base_type(mime_type) or None
        )
