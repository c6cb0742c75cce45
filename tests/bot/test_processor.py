"""Update processing: each update once, each chat in order, different chats in parallel."""

from __future__ import annotations

import asyncio
import gc
import inspect
import warnings
from collections.abc import Coroutine
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from telegram import Update

from bot.shared_state import MemoryState, RedisState, SharedState
from bot.telegram.processor import ChatOrderedProcessor
from tests.bot.fakes import FakeClock

DEDUP_TTL = 86_400.0
Log = list[tuple[str, str]]


def make_update(update_id: int, chat_id: int, text: str = "halo") -> Update:
    data = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_767_225_600,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Warga"},
            "text": text,
        },
    }
    update = Update.de_json(data, None)
    assert update is not None
    return update


def processor_on(
    state: SharedState, namespace: str = "123", max_concurrent: int = 16
) -> ChatOrderedProcessor:
    return ChatOrderedProcessor(max_concurrent, state, namespace, DEDUP_TTL)


async def work(log: Log, name: str, delay: float = 0.01) -> None:
    """The handlers of one update: mark the start, take a while, mark the end."""
    log.append(("start", name))
    await asyncio.sleep(delay)
    log.append(("end", name))


def run_order(log: Log) -> list[str]:
    return [name for event, name in log if event == "start"]


def assert_no_overlap(log: Log, names: set[str]) -> None:
    """Among `names`, each one ends before the next one starts."""
    running: str | None = None
    for event, name in log:
        if name not in names:
            continue
        if event == "start":
            assert running is None, f"{name} started while {running} was running: {log}"
            running = name
        else:
            assert running == name
            running = None


async def test_updates_of_one_chat_run_one_at_a_time_in_arrival_order() -> None:
    processor = processor_on(MemoryState())
    log: Log = []
    # The first takes longest: without the chat lock the later ones would finish first.
    delays = [0.04, 0.01, 0.03, 0.0, 0.02]
    updates = [make_update(100 + i, chat_id=42) for i in range(len(delays))]
    await asyncio.gather(
        *(
            processor.process_update(u, work(log, f"u{i}", d))
            for i, (u, d) in enumerate(zip(updates, delays, strict=True))
        )
    )
    names = [f"u{i}" for i in range(len(delays))]
    assert run_order(log) == names
    assert_no_overlap(log, set(names))
    assert len(log) == 2 * len(names)


async def test_different_chats_run_in_parallel() -> None:
    processor = processor_on(MemoryState())
    log: Log = []
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(
        processor.process_update(make_update(1, chat_id=42), work(log, "a1", 0.05)),
        processor.process_update(make_update(2, chat_id=43), work(log, "b1", 0.05)),
        processor.process_update(make_update(3, chat_id=42), work(log, "a2", 0.05)),
        processor.process_update(make_update(4, chat_id=43), work(log, "b2", 0.05)),
    )
    elapsed = loop.time() - started
    # Both chats start before either's first update ends...
    assert log[:2] == [("start", "a1"), ("start", "b1")]
    # ...while each chat stays in order and one at a time.
    assert [n for n in run_order(log) if n.startswith("a")] == ["a1", "a2"]
    assert [n for n in run_order(log) if n.startswith("b")] == ["b1", "b2"]
    assert_no_overlap(log, {"a1", "a2"})
    assert_no_overlap(log, {"b1", "b2"})
    assert elapsed < 0.18, "two chats of two 50 ms updates each take about 100 ms"


async def test_max_concurrent_updates_bounds_the_parallelism() -> None:
    processor = processor_on(MemoryState(), max_concurrent=1)
    log: Log = []
    await asyncio.gather(
        processor.process_update(make_update(1, chat_id=42), work(log, "a", 0.01)),
        processor.process_update(make_update(2, chat_id=43), work(log, "b", 0.01)),
    )
    assert_no_overlap(log, {"a", "b"})


async def test_redelivered_update_runs_once_and_its_coroutine_is_closed() -> None:
    processor = processor_on(MemoryState())
    log: Log = []
    update = make_update(555, chat_id=42)
    first = work(log, "first")
    second = work(log, "second")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await asyncio.gather(
            processor.process_update(update, first),
            processor.process_update(make_update(555, chat_id=42), second),
        )
        assert log == [("start", "first"), ("end", "first")]
        assert inspect.getcoroutinestate(second) == inspect.CORO_CLOSED
        del first, second
        gc.collect()
    never_awaited = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert never_awaited == [], [str(w.message) for w in never_awaited]


async def test_redelivery_later_is_dropped_until_the_ttl_passes() -> None:
    clock = FakeClock()
    processor = ChatOrderedProcessor(4, MemoryState(clock=clock), "123", dedup_ttl_seconds=60)
    log: Log = []
    await processor.process_update(make_update(7, chat_id=42), work(log, "once", 0))
    clock.advance(59)
    duplicate = work(log, "dup", 0)
    await processor.process_update(make_update(7, chat_id=42), duplicate)
    assert run_order(log) == ["once"]
    clock.advance(2)
    await processor.process_update(make_update(7, chat_id=42), work(log, "again", 0))
    assert run_order(log) == ["once", "again"]


async def test_same_update_id_of_another_bot_is_not_a_duplicate() -> None:
    state = MemoryState()
    log: Log = []
    await processor_on(state, "111").process_update(make_update(9, 42), work(log, "bot1", 0))
    await processor_on(state, "222").process_update(make_update(9, 42), work(log, "bot2", 0))
    assert run_order(log) == ["bot1", "bot2"]


class BrokenState(MemoryState):
    """A shared state whose Redis is down."""

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        raise RedisConnectionError("Connection refused")


async def test_update_is_handled_when_deduplication_is_unavailable() -> None:
    processor = processor_on(BrokenState())
    log: Log = []
    await processor.process_update(make_update(1, chat_id=42), work(log, "handled", 0))
    assert run_order(log) == ["handled"]


async def test_objects_that_are_not_updates_are_processed_too() -> None:
    processor = processor_on(MemoryState())
    log: Log = []
    await asyncio.gather(
        processor.process_update("custom-1", work(log, "c1", 0.01)),
        processor.process_update("custom-2", work(log, "c2", 0.0)),
    )
    assert run_order(log) == ["c1", "c2"]
    assert_no_overlap(log, {"c1", "c2"})


async def test_a_failing_update_does_not_block_its_chat() -> None:
    processor = processor_on(MemoryState())
    log: Log = []

    async def fail() -> None:
        log.append(("start", "fail"))
        raise RuntimeError("handler bug")

    results = await asyncio.gather(
        processor.process_update(make_update(1, chat_id=42), fail()),
        processor.process_update(make_update(2, chat_id=42), work(log, "next", 0)),
        return_exceptions=True,
    )
    assert isinstance(results[0], RuntimeError)
    assert run_order(log) == ["fail", "next"]


class LaggingState(MemoryState):
    """Claims that answer after a delay per key, like a Redis round trip with jitter."""

    def __init__(self, delays: dict[str, float]) -> None:
        super().__init__()
        self._delays = delays

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        await asyncio.sleep(self._delays.get(key.rsplit(":", 1)[-1], 0.0))
        return await super().claim(key, ttl_seconds)


async def test_chat_order_is_kept_when_deduplication_answers_out_of_order() -> None:
    """Arrival order must not depend on how fast the shared state answers each claim.

    With Redis each claim is a network round trip; if the claim of the first update
    comes back later than the second's, the second must still wait for the first.
    """
    processor = processor_on(LaggingState({"1": 0.03, "2": 0.0, "3": 0.01}))
    log: Log = []
    await asyncio.gather(
        processor.process_update(make_update(1, chat_id=42), work(log, "u1", 0)),
        processor.process_update(make_update(2, chat_id=42), work(log, "u2", 0)),
        processor.process_update(make_update(3, chat_id=42), work(log, "u3", 0)),
    )
    assert run_order(log) == ["u1", "u2", "u3"]


# --- two gateway processes on one Redis -----------------------------------------------
@pytest.mark.redis
async def test_two_processors_on_one_redis_run_a_redelivered_update_once(
    redis_url: str, redis_cleanup: None, namespace: str
) -> None:
    states = [RedisState.from_url(redis_url), RedisState.from_url(redis_url)]
    processors = [processor_on(state, namespace=namespace) for state in states]
    log: Log = []
    coroutines: list[Coroutine[Any, Any, None]] = []
    try:
        for round_ in range(5):
            update_id = 9_000 + round_
            mine = [work(log, f"p{i}-{update_id}", 0.005) for i in range(2)]
            coroutines.extend(mine)
            await asyncio.gather(
                *(
                    processor.process_update(make_update(update_id, chat_id=42), coroutine)
                    for processor, coroutine in zip(processors, mine, strict=True)
                )
            )
        handled = run_order(log)
        assert len(handled) == 5, handled
        assert sorted(int(name.split("-")[1]) for name in handled) == list(range(9_000, 9_005))
        states_of = [inspect.getcoroutinestate(c) for c in coroutines]
        assert states_of.count(inspect.CORO_CLOSED) == 10  # run to the end, or closed unrun
    finally:
        for state in states:
            await state.close()


@pytest.mark.redis
async def test_processor_on_redis_runs_one_chat_one_update_at_a_time(
    redis_url: str, redis_cleanup: None, namespace: str
) -> None:
    state = RedisState.from_url(redis_url)
    try:
        processor = processor_on(state, namespace=namespace)
        log: Log = []
        delays = [0.02, 0.0, 0.01, 0.0]
        await asyncio.gather(
            *(
                processor.process_update(make_update(i, chat_id=42), work(log, f"u{i}", d))
                for i, d in enumerate(delays)
            )
        )
        assert_no_overlap(log, {f"u{i}" for i in range(len(delays))})
        assert sorted(run_order(log)) == [f"u{i}" for i in range(len(delays))]
    finally:
        await state.close()
