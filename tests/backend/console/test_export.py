"""Exports: JSON Lines and CSV, streamed per conversation, with the viewer's redaction."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy.orm import sessionmaker

from backend.console.conversations import (
    ConversationItem,
    ConversationQuery,
    iter_conversations,
    search,
)
from backend.console.export import COLUMNS, export_csv, export_jsonl
from backend.console.transcript import transcript
from backend.state import AppState
from tests.backend.console.conftest import Tracker, run_sync
from tests.backend.console.scenario import NOW, A, C, write_day


def mask(text: str) -> str:
    """A stand-in for the pages' masker: every character hidden."""
    return "#" * len(text)


def same(text: str) -> str:
    return text


@pytest.fixture
def listed(tracker: Tracker, sessions: sessionmaker, state: AppState) -> list[ConversationItem]:
    write_day(tracker, sessions, state)
    run_sync(sessions, tracker)
    with sessions() as session:
        items, _ = search(session, ConversationQuery(), now=NOW)
    return items


def test_jsonl_has_one_parsable_row_per_transcript_entry(
    listed: list[ConversationItem], tracker: Tracker
) -> None:
    road, rest = listed[-1], next(item for item in listed if item.sender_id == C)
    chunks = list(export_jsonl([road, rest], tracker.reader, redact=same))
    assert len(chunks) == 2  # one per conversation, streamable
    rows = [json.loads(line) for line in "".join(chunks).splitlines()]
    expected = transcript(tracker.reader, road) + transcript(tracker.reader, rest)
    assert len(rows) == len(expected)
    assert all(tuple(row) == COLUMNS for row in rows)
    assert [row["kind"] for row in rows] == [entry.kind.value for entry in expected]
    hello = rows[4]
    assert hello == {
        "conversation_id": road.id,
        "sender": A,
        "channel": "telegram",
        "time": expected[4].at.isoformat(),
        "kind": "user",
        "text": "halo",
        "intent": "greet",
        "confidence": 0.93,
        "name": None,
        "slot": None,
        "value": None,
    }
    assert rows[6]["name"] == "utter_greet"  # a bot row names its response
    assert (rows[10]["slot"], rows[10]["value"]) == ("report_draft_id", "draft-100")
    assert json.loads(rows[0]["value"])["display_name"] == "Siti Aminah"
    assert {row["conversation_id"] for row in rows[len(rows) - 8 :]} == {rest.id}


def test_redaction_hides_free_text_names_and_senders_but_not_the_structure(
    listed: list[ConversationItem], tracker: Tracker
) -> None:
    road = listed[-1]
    rows = [
        json.loads(line)
        for line in "".join(export_jsonl([road], tracker.reader, redact=mask)).splitlines()
    ]
    assert {row["sender"] for row in rows} == {"#" * len(A)}
    assert rows[4]["text"] == "####"
    assert rows[4]["intent"] == "greet"
    metadata = json.loads(rows[0]["value"])  # the session's metadata: every string masked
    assert metadata["display_name"] == "#" * len("Siti Aminah")
    assert metadata["chat_id"] == "###"
    assert rows[10]["value"] == "#########"
    assert rows[10]["slot"] == "report_draft_id"
    texts = [row["text"] for row in rows if row["text"] is not None]
    assert texts and all(set(text) == {"#"} for text in texts)


def test_csv_parses_and_disarms_formulas(listed: list[ConversationItem], tracker: Tracker) -> None:
    rest = next(item for item in listed if item.sender_id == C)
    road = listed[-1]
    chunks = list(export_csv([road, rest], tracker.reader, redact=same))
    assert len(chunks) == 3  # the header, then one per conversation
    table = list(csv.reader(io.StringIO("".join(chunks))))
    assert table[0] == list(COLUMNS)
    body = table[1:]
    assert len(body) == len(transcript(tracker.reader, road)) + len(
        transcript(tracker.reader, rest)
    )
    formula = [row for row in body if row[5].endswith("HYPERLINK(qwerty)")]
    assert [row[5] for row in formula] == ["'=HYPERLINK(qwerty)"]
    hello = body[4]
    assert hello[:3] == [str(road.id), A, "telegram"]
    assert (hello[4], hello[5], hello[6], hello[7]) == ("user", "halo", "greet", "0.93")
    submitted = next(row for row in body if row[8] == "utter_submitted")
    assert "Nomor laporan" in submitted[5]
    masked = list(csv.reader(io.StringIO("".join(export_csv([road], tracker.reader, redact=mask)))))
    assert masked[5][5] == "####" and masked[5][1] == "#" * len(A)


def test_the_sender_can_have_its_own_masker(
    listed: list[ConversationItem], tracker: Tracker
) -> None:
    road = listed[-1]
    chunks = export_jsonl([road], tracker.reader, redact=mask, redact_sender=lambda s: "telegram:*")
    rows = [json.loads(line) for line in "".join(chunks).splitlines()]
    assert {row["sender"] for row in rows} == {"telegram:*"}
    assert rows[4]["text"] == "####"
    table = list(
        csv.reader(
            io.StringIO(
                "".join(export_csv([road], tracker.reader, redact=same, redact_sender=mask))
            )
        )
    )
    assert (table[5][1], table[5][5]) == ("#" * len(A), "halo")


def test_exporting_nothing_gives_only_the_csv_header(tracker: Tracker) -> None:
    assert list(export_jsonl([], tracker.reader, redact=same)) == []
    assert list(export_csv([], tracker.reader, redact=same)) == [",".join(COLUMNS) + "\r\n"]


@pytest.mark.parametrize(
    "query",
    [
        ConversationQuery(),
        ConversationQuery(channel="telegram"),
        ConversationQuery(linked_report=False),
        ConversationQuery(text="laporan"),
    ],
)
def test_a_filtered_set_is_read_in_chunks_like_the_list(
    listed: list[ConversationItem], sessions: sessionmaker, query: ConversationQuery
) -> None:
    with sessions() as session:
        expected, _ = search(session, query, limit=100, now=NOW)
        streamed = list(iter_conversations(session, query, chunk_size=2, now=NOW))
        assert streamed == expected
        assert list(iter_conversations(session, query, agency="DLHK", chunk_size=1, now=NOW)) == [
            item for item in expected if item.sender_id == "telegram:500"
        ]
