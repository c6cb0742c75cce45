"""`lapor_common.sqlite`: how every SQLite file of the embedded stack is opened."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from lapor_common.sqlite import (
    BEGIN_OPTION,
    READ_ONLY_OPTIONS,
    database_path,
    is_busy,
    reading,
    sqlite_engine,
)
from tests.conftest import postgres_engine

metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = sqlite_engine(f"sqlite:///{tmp_path / 'sub' / 'store.db'}", busy_timeout=0.2)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_the_directory_is_made_and_the_file_is_in_wal_mode(engine: Engine, tmp_path: Path) -> None:
    assert (tmp_path / "sub" / "store.db").exists()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 200


def test_a_writer_takes_the_lock_at_begin_and_a_second_writer_is_busy(engine: Engine) -> None:
    with engine.begin() as first:
        first.execute(select(items.c.id)).all()  # only reads, but began IMMEDIATE
        started = time.monotonic()
        with pytest.raises(OperationalError) as caught, engine.begin() as second:
            second.execute(insert(items).values(id=1))
        waited = time.monotonic() - started
    assert is_busy(caught.value)
    assert 0.15 <= waited < 2.0  # the busy timeout, not forever


def test_a_reader_never_blocks_a_writer_and_keeps_its_snapshot(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(items).values(id=1))
    with reading(engine).connect() as reader:
        assert reader.execute(select(items.c.id)).scalars().all() == [1]
        started = time.monotonic()
        with engine.begin() as writer:
            writer.execute(insert(items).values(id=2))
        assert time.monotonic() - started < 0.15  # no wait for the lock
        assert reader.execute(select(items.c.id)).scalars().all() == [1]  # same snapshot
    with reading(engine).connect() as later:
        assert later.execute(select(items.c.id)).scalars().all() == [1, 2]


def test_an_unknown_begin_mode_is_refused(engine: Engine) -> None:
    odd = engine.execution_options(**{BEGIN_OPTION: "exclusive-ish"})
    with pytest.raises(ValueError, match="sqlite_begin"), odd.connect() as conn:
        conn.execute(select(items.c.id))


def test_a_connection_left_in_a_transaction_is_rolled_back_when_returned(engine: Engine) -> None:
    conn = engine.connect()
    conn.execute(insert(items).values(id=5))  # autobegun write transaction, not committed
    conn.close()  # back to the pool: SQLAlchemy's reset rolls back
    with engine.begin() as writer:  # would wait and fail if the lock were still held
        writer.execute(insert(items).values(id=6))
    with engine.connect() as reader:
        assert reader.execute(select(items.c.id)).scalars().all() == [6]


def test_concurrent_writers_all_succeed_within_the_timeout(tmp_path: Path) -> None:
    engine = sqlite_engine(f"sqlite:///{tmp_path / 'many.db'}", busy_timeout=5, pool_size=8)
    metadata.create_all(engine)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        for n in range(50):
            try:
                with engine.begin() as conn:
                    conn.execute(insert(items).values(id=worker * 1000 + n))
                with reading(engine).connect() as conn:
                    conn.execute(select(items.c.id).limit(1)).all()
            except OperationalError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM items")).scalar()
    engine.dispose()
    assert errors == []
    assert count == 400


def test_in_memory_databases_keep_one_connection() -> None:
    engine = sqlite_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(items).values(id=1))
    with reading(engine).connect() as conn:
        assert conn.execute(select(items.c.id)).scalars().all() == [1]


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////var/lib/x.db", Path("/var/lib/x.db")),
        ("sqlite:///rel/x.db?timeout=3", Path("rel/x.db")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
    ],
)
def test_database_path(url: str, path: Path | None) -> None:
    assert database_path(url) == path


def test_is_busy_knows_pool_timeouts_and_not_other_errors() -> None:
    assert is_busy(PoolTimeoutError("QueuePool limit reached"))
    assert not is_busy(IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")))
    assert not is_busy(OperationalError("SELECT", {}, Exception("no such table: x")))
    assert not is_busy(ValueError("database is locked"))


def test_is_busy_knows_a_postgresql_lock_timeout(postgres_schema_url: tuple[str, str]) -> None:
    url, schema = postgres_schema_url
    engine = postgres_engine(url, schema)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS busy_probe (id int primary key)"))
            conn.execute(text("INSERT INTO busy_probe VALUES (1) ON CONFLICT DO NOTHING"))
        with engine.connect() as holder, engine.connect() as waiter:
            holder.execute(text("SELECT * FROM busy_probe WHERE id = 1 FOR UPDATE"))
            waiter.execute(text("SET lock_timeout = '100ms'"))
            with pytest.raises(OperationalError) as caught:
                waiter.execute(text("UPDATE busy_probe SET id = 1 WHERE id = 1"))
            holder.rollback()
        assert is_busy(caught.value)
        assert not is_busy(IntegrityError("x", {}, Exception("duplicate key")))
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS busy_probe"))
        engine.dispose()


def test_read_only_options_name_a_deferred_begin() -> None:
    assert READ_ONLY_OPTIONS == {BEGIN_OPTION: "DEFERRED"}
    plain = create_engine("sqlite://", future=True)
    assert reading(plain).get_execution_options()[BEGIN_OPTION] == "DEFERRED"
