"""`compose()` of a merge (issue 18): the duplicate's citizens learn the original's number."""

from __future__ import annotations

import pytest

from bot.notifier.compose import compose
from bot.notifier.events import MERGED, ReportEvent
from bot.replies import ReplyCatalogue


@pytest.fixture(scope="module")
def replies() -> ReplyCatalogue:
    return ReplyCatalogue.from_domain()


def merged_event(language: str) -> ReportEvent:
    return ReportEvent.from_payload(
        {
            "event_id": "e1",
            "type": MERGED,
            "tracking_id": "TNG-2026-000002",
            "status": "closed",
            "chat_id": "telegram:55",
            "language": language,
            "notifications_enabled": True,
            "original_tracking_id": "TNG-2026-000001",
        }
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [("id", "kami gabungkan"), ("en", "have been merged")],
)
def test_the_merge_message_names_both_reports(
    language: str, words: str, replies: ReplyCatalogue
) -> None:
    event = merged_event(language)
    assert event.concerns_citizen and event.original_tracking_id == "TNG-2026-000001"
    notification = compose(event, language, replies)
    assert notification.chat_id == "55"
    assert "TNG-2026-000002" in notification.text and words in notification.text
    assert notification.text.count("TNG-2026-000001") == 2
    assert "{" not in notification.text
    assert notification.template_params[0] == "TNG-2026-000001"
