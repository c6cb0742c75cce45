"""The report status workflow of SP4N-LAPOR!, as pure data and functions."""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    """Report statuses, in workflow order."""

    RECEIVED = "received"
    VERIFIED = "verified"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    ARCHIVED = "archived"


STATUS_LABELS_ID: dict[Status, str] = {
    Status.RECEIVED: "Diterima",
    Status.VERIFIED: "Diverifikasi dan diteruskan ke instansi",
    Status.IN_PROGRESS: "Sedang ditindaklanjuti",
    Status.RESOLVED: "Selesai ditindaklanjuti",
    Status.CLOSED: "Ditutup",
    Status.REJECTED: "Ditolak (bukan wewenang)",
    Status.ARCHIVED: "Diarsipkan",
}

OPEN_STATUSES = frozenset({Status.RECEIVED, Status.VERIFIED, Status.IN_PROGRESS, Status.RESOLVED})

_FORWARD: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.VERIFIED}),
    Status.VERIFIED: frozenset({Status.IN_PROGRESS}),
    Status.IN_PROGRESS: frozenset({Status.RESOLVED}),
    # A citizen may say the problem is not fixed: the report goes back to work.
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
}

#: Statuses that need a note explaining them.
NOTE_REQUIRED = frozenset({Status.REJECTED, Status.ARCHIVED})


#: Statuses a report may be merged from (as the duplicate) or into (as the original).
MERGEABLE = frozenset({Status.RECEIVED, Status.VERIFIED, Status.IN_PROGRESS, Status.RESOLVED})


class TransitionError(ValueError):
    """A status change the workflow does not allow."""


def allowed_next(current: Status) -> frozenset[Status]:
    """The statuses a report in `current` may move to."""
    if current not in OPEN_STATUSES:
        return frozenset()
    return _FORWARD.get(current, frozenset()) | {Status.REJECTED, Status.ARCHIVED}


def check_merge(duplicate: Status, original: Status) -> None:
    """Raise `TransitionError` unless a report in `duplicate` may close as a duplicate
    of one in `original` (the only way to `closed` other than from `resolved`)."""
    if duplicate not in MERGEABLE:
        raise TransitionError(
            f"The duplicate is '{duplicate.value}', a final status: it cannot be merged."
        )
    if original not in MERGEABLE:
        raise TransitionError(
            f"The original is '{original.value}', a final status: merge into an open report."
        )


def check_transition(current: Status, target: Status, note: str | None) -> None:
    """Raise `TransitionError` with a readable reason unless `current -> target` is allowed."""
    allowed = allowed_next(current)
    if target not in allowed:
        if not allowed:
            raise TransitionError(
                f"Report is '{current.value}', a final status: it cannot change any more."
            )
        options = ", ".join(sorted(s.value for s in allowed))
        raise TransitionError(
            f"Cannot change status from '{current.value}' to '{target.value}'. "
            f"Allowed next statuses: {options}."
        )
    if target in NOTE_REQUIRED and not (note and note.strip()):
        raise TransitionError(f"Changing status to '{target.value}' needs a note with the reason.")
