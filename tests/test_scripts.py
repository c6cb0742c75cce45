"""The `make run` helpers: Rasa endpoints from settings, and model freshness."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rasa_runtime.__main__ import with_token_from_environment
from scripts.rasa_endpoints import lock_store_from_url, render_endpoints, tracker_store_from_url
from scripts.rasa_endpoints import main as rasa_endpoints_main
from scripts.rasa_model import fingerprint_file, inputs_fingerprint, is_current


def test_sqlite_tracker_store_keeps_absolute_and_relative_paths() -> None:
    assert tracker_store_from_url("sqlite:////tmp/x/tracker.db")["db"] == "/tmp/x/tracker.db"
    assert tracker_store_from_url("sqlite:///var/tracker.db")["db"] == "var/tracker.db"


def test_postgres_tracker_store_from_url() -> None:
    store = tracker_store_from_url("postgresql://rasa:p%40ss@db.internal:5433/rasa")
    assert store == {
        "type": "SQL",
        "dialect": "postgresql",
        "url": "db.internal",
        "port": 5433,
        "db": "rasa",
        "username": "rasa",
        "password": "p@ss",
    }


def test_unknown_tracker_database_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="sqlite:/// or postgresql://"):
        tracker_store_from_url("mysql://x/y")


def test_redis_lock_store_from_url() -> None:
    assert lock_store_from_url("redis://:secret@cache:6380/2") == {
        "type": "redis",
        "url": "cache",
        "port": 6380,
        "db": 2,
        "key_prefix": "lapor",
        "password": "secret",
    }


def test_render_endpoints_keeps_defaults_without_settings() -> None:
    base = {"tracker_store": {"type": "SQL", "dialect": "sqlite", "db": "var/tracker.db"}}
    rendered = render_endpoints(base, 5099, None, None)
    assert rendered["tracker_store"] == base["tracker_store"]
    assert rendered["action_endpoint"] == {
        "url": "http://127.0.0.1:5099/webhook",
        "headers": {"Authorization": "Bearer ${ACTIONS_TOKEN}"},
    }
    assert "lock_store" not in rendered


def test_model_is_stale_until_its_fingerprint_matches(tmp_path: Path) -> None:
    for name in ("domain.yml", "config.yml"):
        (tmp_path / name).write_text(f"{name}: 1\n")
    for folder in ("nlu", "stories", "nlu_components"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.yml").write_text("x: 1\n")
    model = tmp_path / "models" / "lapor.tar.gz"
    model.parent.mkdir()
    model.write_bytes(b"model")
    assert not is_current(model, tmp_path)
    fingerprint_file(model).write_text(inputs_fingerprint(tmp_path))
    assert is_current(model, tmp_path)
    (tmp_path / "nlu" / "a.yml").write_text("x: 2\n")
    assert not is_current(model, tmp_path)


def test_rasa_endpoints_command_writes_the_balanced_action_url_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIONS_URL", "http://127.0.0.1:5150/webhook")
    monkeypatch.setenv("TRACKER_DATABASE_URL", "postgresql://lapor:pw@db:5432/lapor_rasa")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    target = tmp_path / "run" / "endpoints.yml"
    rasa_endpoints_main([str(target)])
    written = yaml.safe_load(target.read_text())
    assert written["action_endpoint"]["url"] == "http://127.0.0.1:5150/webhook"
    assert written["tracker_store"]["password"] == "pw"
    assert written["lock_store"]["db"] == 3
    assert target.stat().st_mode & 0o777 == 0o600
    with pytest.raises(SystemExit, match="usage"):
        rasa_endpoints_main([])


def test_rasa_takes_its_api_token_from_the_environment() -> None:
    env = {"RASA_API_TOKEN": "tok"}
    run = ["rasa", "run", "--port", "5005"]
    assert with_token_from_environment(run, env) == [*run, "--auth-token", "tok"]
    given = [*run, "--auth-token", "other"]
    assert with_token_from_environment(given, env) == given
    assert with_token_from_environment(["rasa", "train"], env) == ["rasa", "train"]
    assert with_token_from_environment(run, {}) == run
