"""Conversation tests: `rasa test core` on tests/test_stories.yml must pass every story."""

from __future__ import annotations

from pathlib import Path

from tests.conversation.conftest import run_rasa


def test_every_test_story_passes(trained_model: Path, tmp_path: Path) -> None:
    result = run_rasa(
        "test",
        "core",
        "--model",
        str(trained_model),
        "--stories",
        "tests/test_stories.yml",
        "--out",
        str(tmp_path),
        "--no-plot",
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "None of the test stories failed" in failed, failed[:6000]
