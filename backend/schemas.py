"""Request and response bodies of the JSON API (pydantic 1.10)."""

from __future__ import annotations

import datetime as dt
from enum import Enum

from pydantic import BaseModel, Field, constr, validator

from backend.workflow import Status

MAX_DESCRIPTION_CHARS = 4000


class ReportType(str, Enum):
    """SP4N-LAPOR! report types."""

    COMPLAINT = "complaint"
    ASPIRATION = "aspiration"
    INFORMATION = "information"


class Privacy(str, Enum):
    """Who may see the report and its reporter."""

    PUBLIC = "public"
    ANONYMOUS = "anonymous"
    CONFIDENTIAL = "confidential"


class Channel(str, Enum):
    """Where a report came from."""

    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    WEB = "web"
    OPEN311 = "open311"
    API = "api"


class StrictModel(BaseModel):
    """A body that refuses unknown fields, so typos get a clear error."""

    class Config:
        extra = "forbid"
        anystr_strip_whitespace = True

    @validator("*", pre=True)
    def _no_nul_characters(cls, value: object) -> object:  # noqa: N805
        # PostgreSQL cannot store or compare text containing NUL.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class LocationIn(StrictModel):
    """Where it happened."""

    text: constr(max_length=500) | None = None  # type: ignore[valid-type]
    kecamatan: constr(max_length=60) | None = None  # type: ignore[valid-type]
    desa: constr(max_length=100) | None = Field(  # type: ignore[valid-type]
        default=None, description="The desa/kelurahan, for the nearby search without a pin"
    )
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @validator("longitude", always=True)
    def _both_coordinates(cls, longitude: float | None, values: dict[str, object]) -> float | None:  # noqa: N805
        if (values.get("latitude") is None) != (longitude is None):
            raise ValueError("give latitude and longitude together, or neither")
        return longitude


class ReporterIn(StrictModel):
    """Who reports, kept apart from the report itself."""

    name: constr(max_length=200) | None = None  # type: ignore[valid-type]
    phone: constr(regex=r"^\+?[0-9 \-]{5,20}$") | None = None  # type: ignore[valid-type]
    email: constr(max_length=254, regex=r"^[^@\s]+@[^@\s]+\.[^@\s]+$") | None = None  # type: ignore[valid-type]
    chat_id: constr(max_length=100) | None = None  # type: ignore[valid-type]
    language: str | None = Field(
        default=None,
        regex=r"^(id|en)$",
        description="The language of the conversation: `id` or `en`",
    )


class ComplaintCreate(StrictModel):
    """The body of `POST /api/v1/complaints`."""

    report_type: ReportType = ReportType.COMPLAINT
    category: constr(min_length=1, max_length=50)  # type: ignore[valid-type]
    description: constr(min_length=3, max_length=MAX_DESCRIPTION_CHARS)  # type: ignore[valid-type]
    location: LocationIn = Field(default_factory=LocationIn)
    incident_date: dt.date | None = None
    privacy: Privacy = Privacy.PUBLIC
    channel: Channel = Channel.API
    attachments: list[constr(regex=r"^[0-9a-f]{32}$")] = Field(  # type: ignore[valid-type]
        default_factory=list, max_items=10
    )
    reporter: ReporterIn = Field(default_factory=ReporterIn)


class StatusChangeIn(StrictModel):
    """The body of `POST /api/v1/complaints/{tracking_id}/status`."""

    status: Status
    note: constr(max_length=2000) | None = None  # type: ignore[valid-type]


class LocationOut(BaseModel):
    """Where it happened, as returned."""

    text: str | None
    kecamatan: str | None
    latitude: float | None
    longitude: float | None
    desa: str | None = None


class ReporterOut(BaseModel):
    """The reporter, shown only to callers allowed to see them."""

    name: str | None
    phone: str | None
    email: str | None
    chat_id: str | None


class HistoryEntry(BaseModel):
    """One status change."""

    status: Status
    status_label: str
    note: str | None
    at: dt.datetime
    source: str = Field(
        default="backend",
        description='"lapor" for a follow-up or status brought back from SP4N-LAPOR!',
    )


class AttachmentOut(BaseModel):
    """An uploaded file."""

    id: str
    filename: str | None
    content_type: str
    size: int
    sha256: str
    url: str


class Deadlines(BaseModel):
    """Service-level deadlines in working days."""

    verify_due: dt.date
    followup_due: dt.date | None
    overdue: bool


class DeliveryState(str, Enum):
    """Where a status update to the citizen stands."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    SKIPPED = "skipped"


class NotificationOut(BaseModel):
    """A status update sent (or to be sent) to the reporter."""

    event_id: str
    event_type: str
    status: str
    channel: str
    state: DeliveryState
    reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class LaporState(str, Enum):
    """Where a report stands with SP4N-LAPOR! (`disabled`: the bridge is off for it)."""

    DISABLED = "disabled"
    PENDING = "pending"
    FORWARDED = "forwarded"
    FAILED = "failed"
    REVIEW = "review"


class LaporOut(BaseModel):
    """The report in SP4N-LAPOR!: its complaint id there ("nomor LAPOR!") and the sync."""

    complaint_id: str | None = Field(
        default=None, description="LAPOR!'s complaint id, once forwarded"
    )
    state: LaporState = LaporState.DISABLED
    last_sync_at: dt.datetime | None = Field(
        default=None, description="The last successful call to LAPOR! about this report"
    )
    error: str | None = Field(default=None, description="Why the last attempt failed, if it did")


def lapor_disabled() -> LaporOut:
    """The `lapor` of a report the bridge never handled."""
    return LaporOut(state=LaporState.DISABLED)


class LaporResolveIn(StrictModel):
    """The body of `POST /api/v1/complaints/{tracking_id}/lapor` (administrators)."""

    complaint_id: constr(regex=r"^[0-9A-Za-z_-]{1,64}$") | None = Field(  # type: ignore[valid-type]
        default=None,
        description="LAPOR!'s id of this report, found there by our tracking ID; "
        "leave out to send the report again",
    )


class FollowerOut(BaseModel):
    """A follower of a report, as the reporter's service view and admins see it."""

    chat_id: str = Field(description="The follower's chat, masked")
    source: str = Field(description='"follow" or "merge"')
    at: dt.datetime


class ThreadEntryOut(BaseModel):
    """One entry of a report's thread (never the citizen's identity)."""

    id: int
    author: str = Field(description='"officer" or "citizen"')
    kind: str = Field(description='"question", "answer", "info" or "supporting"')
    text: str
    attachments: list[AttachmentOut] = Field(default_factory=list)
    at: dt.datetime
    delivery: DeliveryState | None = Field(
        default=None, description="Questions: how the message to the citizen went"
    )
    delivery_reason: str | None = None


class ComplaintOut(BaseModel):
    """A report as the API returns it."""

    tracking_id: str
    status: Status
    status_label: str
    report_type: ReportType
    category: str
    category_label: str
    agency: str
    agency_name: str
    description: str
    location: LocationOut
    incident_date: dt.date | None
    privacy: Privacy
    channel: str
    attachments: list[str]
    attachment_files: list[AttachmentOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    history: list[HistoryEntry]
    deadlines: Deadlines
    reporter: ReporterOut | None = None
    notifications: list[NotificationOut] = Field(default_factory=list)
    satisfaction_rating: int | None = None
    lapor: LaporOut = Field(default_factory=lapor_disabled)
    waiting_for_reporter: bool = Field(
        default=False, description="An officer asked the reporter something; no answer yet"
    )
    reporter_due: dt.date | None = Field(
        default=None, description="The working-day deadline of the open question"
    )
    thread: list[ThreadEntryOut] = Field(
        default_factory=list, description="Questions to the reporter and answers, oldest first"
    )
    followers_count: int = Field(default=0, description="Citizens following this report")
    duplicate_of: str | None = Field(
        default=None, description="The tracking ID of the original this duplicate was merged into"
    )
    followers: list[FollowerOut] | None = Field(
        default=None,
        description="The followers (chat masked): for the reporter's service view and admins",
    )


class FollowIn(StrictModel):
    """The body of `POST /api/v1/complaints/{tracking_id}/followers` (the service)."""

    chat_id: constr(min_length=1, max_length=100)  # type: ignore[valid-type]
    name: constr(max_length=200) | None = None  # type: ignore[valid-type]
    language: str | None = Field(default=None, regex=r"^(id|en)$")
    description: constr(max_length=2000) | None = Field(  # type: ignore[valid-type]
        default=None, description="The follower's own words: added to the report's thread"
    )
    attachments: list[constr(regex=r"^[0-9a-f]{32}$")] = Field(  # type: ignore[valid-type]
        default_factory=list, max_items=10
    )
    location: LocationIn = Field(default_factory=LocationIn)


class DuplicateOfIn(StrictModel):
    """The body of `POST /api/v1/complaints/{tracking_id}/duplicate-of`."""

    tracking_id: constr(min_length=1, max_length=40)  # type: ignore[valid-type]


class NearbyOut(BaseModel):
    """An open report near the place, as offered before filing (no identity)."""

    tracking_id: str
    category: str
    status: Status
    distance_m: float | None = Field(description="Great-circle distance; null without a pin")
    created_at: dt.datetime
    summary: str | None = Field(description="What and where; null for a confidential report")


class ComplaintPage(BaseModel):
    """One page of a report listing."""

    items: list[ComplaintOut]
    total: int
    page: int
    per_page: int
    pages: int


class TokenRequest(StrictModel):
    """Console login."""

    username: constr(min_length=1, max_length=100)  # type: ignore[valid-type]
    password: constr(min_length=1, max_length=200)  # type: ignore[valid-type]


class TokenOut(BaseModel):
    """A bearer token for a console user."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type name
    expires_in: int
    role: str
    agency: str | None


class ErrorOut(BaseModel):
    """Every error the API returns."""

    error: str
    message: str
    details: list[dict[str, str]] = Field(default_factory=list)


class DeliveryIn(StrictModel):
    """The body of `PUT /api/v1/complaints/{tracking_id}/notifications/{event_id}`."""

    channel: constr(max_length=20)  # type: ignore[valid-type]
    state: DeliveryState
    message_id: constr(max_length=120) | None = None  # type: ignore[valid-type]
    reason: constr(max_length=2000) | None = None  # type: ignore[valid-type]


class PreferenceIn(StrictModel):
    """The body of `PUT /api/v1/notification-preferences/{chat_id}`."""

    enabled: bool


class PreferenceOut(BaseModel):
    """A chat's choice about status updates."""

    chat_id: str
    enabled: bool


class FeedbackIn(StrictModel):
    """The body of `POST /api/v1/complaints/{tracking_id}/feedback`: the reporter's word."""

    chat_id: constr(min_length=1, max_length=100)  # type: ignore[valid-type]
    fixed: bool | None = Field(None, description="Is the problem really fixed?")
    rating: int | None = Field(None, ge=1, le=5, description="Satisfaction, 1 to 5")


class FeedbackOut(BaseModel):
    """The report after the reporter's feedback."""

    tracking_id: str
    status: Status
    reopened: bool
    satisfaction_rating: int | None


class EventPage(BaseModel):
    """Outbox events not yet handed on (oldest first)."""

    events: list[dict[str, object]]


class QuestionIn(StrictModel):
    """The body of `POST /api/v1/complaints/{tracking_id}/questions`."""

    text: constr(min_length=1, max_length=2000)  # type: ignore[valid-type]


class ThreadKind(str, Enum):
    """What a citizen adds to a thread through the API."""

    ANSWER = "answer"
    INFO = "info"


class ThreadEntryIn(StrictModel):
    """The body of `POST /api/v1/complaints/{tracking_id}/thread` (the service)."""

    chat_id: constr(min_length=1, max_length=100)  # type: ignore[valid-type]
    text: constr(max_length=2000) = ""  # type: ignore[valid-type]
    attachments: list[constr(min_length=1, max_length=32)] = Field(  # type: ignore[valid-type]
        default_factory=list, max_items=10
    )
    kind: ThreadKind = ThreadKind.ANSWER


class TakeoverOut(BaseModel):
    """Who answers a chat instead of the bot."""

    conversation_id: str
    holder: str
    started_at: dt.datetime
    last_activity_at: dt.datetime
    active: bool
    tracking_id: str = ""


class TakeoverList(BaseModel):
    """The active takeovers."""

    takeovers: list[TakeoverOut]


class ConversationMessageIn(StrictModel):
    """The body of `POST /api/v1/conversations/{conversation_id}/messages`."""

    text: constr(min_length=1, max_length=2000)  # type: ignore[valid-type]


class InboundIn(StrictModel):
    """The body of `POST /api/v1/conversations/{conversation_id}/inbound` (the gateway)."""

    text: constr(max_length=4000) = ""  # type: ignore[valid-type]
    attachments: list[constr(min_length=1, max_length=32)] = Field(  # type: ignore[valid-type]
        default_factory=list, max_items=10
    )


class ConversationMessageOut(BaseModel):
    """A message of a takeover: the officer's or the citizen's."""

    id: int
    author: str = Field(description='"officer" or "citizen"')
    text: str
    at: dt.datetime
    state: str = Field(description="Officer messages: queued, sent, delivered, read or failed")
    reason: str | None = None
    attachments: list[str] = Field(default_factory=list)
    officer: str | None = None
    event_id: str | None = None


class ConversationMessageList(BaseModel):
    """Takeover messages, oldest first."""

    messages: list[ConversationMessageOut]
    takeover: TakeoverOut | None = None


class MessageDeliveryIn(StrictModel):
    """The body of `PUT /api/v1/conversations/{conversation_id}/deliveries/{event_id}`."""

    state: DeliveryState
    reason: constr(max_length=2000) | None = None  # type: ignore[valid-type]
    message_id: constr(max_length=120) | None = None  # type: ignore[valid-type]
    channel: constr(max_length=20) | None = None  # type: ignore[valid-type]
