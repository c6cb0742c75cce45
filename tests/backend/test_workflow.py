"""The SP4N-LAPOR! status workflow as pure rules."""

from __future__ import annotations

import itertools

import pytest

from backend.workflow import (
    NOTE_REQUIRED,
    OPEN_STATUSES,
    STATUS_LABELS_ID,
    Status,
    TransitionError,
    allowed_next,
    check_transition,
)

S = Status
EXPECTED_NEXT: dict[Status, set[Status]] = {
    S.RECEIVED: {S.VERIFIED, S.REJECTED, S.ARCHIVED},
    S.VERIFIED: {S.IN_PROGRESS, S.REJECTED, S.ARCHIVED},
    S.IN_PROGRESS: {S.RESOLVED, S.REJECTED, S.ARCHIVED},
    S.RESOLVED: {S.CLOSED, S.IN_PROGRESS, S.REJECTED, S.ARCHIVED},
    S.CLOSED: set(),
    S.REJECTED: set(),
    S.ARCHIVED: set(),
}
FINAL = [S.CLOSED, S.REJECTED, S.ARCHIVED]
ALL_PAIRS = list(itertools.product(Status, Status))
ALLOWED_PAIRS = [(a, b) for a, b in ALL_PAIRS if b in EXPECTED_NEXT[a]]
FORBIDDEN_PAIRS = [(a, b) for a, b in ALL_PAIRS if b not in EXPECTED_NEXT[a]]


def _id(pair: tuple[Status, Status]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


@pytest.mark.parametrize("current", list(Status), ids=lambda s: s.value)
def test_allowed_next_matches_the_workflow(current: Status) -> None:
    assert set(allowed_next(current)) == EXPECTED_NEXT[current]


@pytest.mark.parametrize("pair", ALLOWED_PAIRS, ids=_id)
def test_allowed_transitions_pass_with_a_note(pair: tuple[Status, Status]) -> None:
    current, target = pair
    check_transition(current, target, "Alasan perubahan status")


@pytest.mark.parametrize("pair", [p for p in ALLOWED_PAIRS if p[1] not in NOTE_REQUIRED], ids=_id)
def test_allowed_transitions_without_note_requirement_pass_without_a_note(
    pair: tuple[Status, Status],
) -> None:
    current, target = pair
    check_transition(current, target, None)
    check_transition(current, target, "")


@pytest.mark.parametrize("pair", FORBIDDEN_PAIRS, ids=_id)
def test_forbidden_transitions_raise_even_with_a_note(pair: tuple[Status, Status]) -> None:
    current, target = pair
    with pytest.raises(TransitionError) as info:
        check_transition(current, target, "Alasan perubahan status")
    assert current.value in str(info.value)


def test_every_open_status_allows_rejection_and_archiving() -> None:
    assert {S.RECEIVED, S.VERIFIED, S.IN_PROGRESS, S.RESOLVED} == OPEN_STATUSES
    for status in OPEN_STATUSES:
        assert {S.REJECTED, S.ARCHIVED} <= allowed_next(status)


@pytest.mark.parametrize("final", FINAL, ids=lambda s: s.value)
def test_final_statuses_cannot_change(final: Status) -> None:
    assert allowed_next(final) == frozenset()
    for target in Status:
        with pytest.raises(TransitionError, match="final status"):
            check_transition(final, target, "catatan")


@pytest.mark.parametrize("target", [S.REJECTED, S.ARCHIVED], ids=lambda s: s.value)
@pytest.mark.parametrize("note", [None, "", "   ", "\n\t"])
def test_rejected_and_archived_need_a_note(target: Status, note: str | None) -> None:
    assert target in NOTE_REQUIRED
    with pytest.raises(TransitionError, match="needs a note"):
        check_transition(S.RECEIVED, target, note)


def test_no_other_status_needs_a_note() -> None:
    assert {S.REJECTED, S.ARCHIVED} == NOTE_REQUIRED


def test_resolved_report_can_be_reopened() -> None:
    check_transition(S.RESOLVED, S.IN_PROGRESS, None)
    check_transition(S.IN_PROGRESS, S.RESOLVED, None)


def test_skipping_steps_is_refused_with_the_allowed_options() -> None:
    with pytest.raises(TransitionError) as info:
        check_transition(S.RECEIVED, S.RESOLVED, None)
    message = str(info.value)
    assert "'received' to 'resolved'" in message
    assert "archived, rejected, verified" in message


def test_every_status_has_an_indonesian_label() -> None:
    assert set(STATUS_LABELS_ID) == set(Status)
    assert all(label.strip() for label in STATUS_LABELS_ID.values())
