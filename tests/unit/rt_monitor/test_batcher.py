from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from rt_monitor.batcher import Batcher


class Sink:
    def __init__(self, fail_on: set[int] | None = None, transient_failures: int = 0) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on or set()
        self.transient_failures = transient_failures

    async def write(self, items: Sequence[int]) -> None:
        if self.transient_failures:
            self.transient_failures -= 1
            raise ConnectionResetError("database went away")
        if self.fail_on & set(items):
            raise ValueError(f"bad item in {list(items)}")
        self.batches.append(list(items))


def make(sink: Sink, max_items: int = 3, max_wait: float = 0.01) -> Batcher[int]:
    return Batcher(
        sink.write,
        max_items=max_items,
        max_wait=max_wait,
        retry_for=5.0,
        is_transient=lambda e: isinstance(e, ConnectionError),
    )


async def test_submit_returns_only_after_the_write() -> None:
    sink = Sink()
    batcher = make(sink, max_items=100, max_wait=0.05)
    await batcher.start()
    try:
        results = await asyncio.gather(*(batcher.submit(i) for i in range(5)))
        assert results == [None] * 5
        assert sorted(x for b in sink.batches for x in b) == [0, 1, 2, 3, 4]
        assert len(sink.batches) == 1  # one write for concurrent submitters
    finally:
        await batcher.stop()


async def test_full_batches_are_written_without_waiting() -> None:
    sink = Sink()
    batcher = make(sink, max_items=3, max_wait=60)  # the timer would never fire in this test
    await batcher.start()
    try:
        await asyncio.wait_for(asyncio.gather(*(batcher.submit(i) for i in range(6))), timeout=2)
        assert [len(b) for b in sink.batches] == [3, 3]
    finally:
        await batcher.stop()


async def test_one_bad_item_fails_alone() -> None:
    sink = Sink(fail_on={2})
    batcher = make(sink, max_items=10)
    await batcher.start()
    try:
        results = await asyncio.gather(
            *(batcher.submit(i) for i in range(4)), return_exceptions=True
        )
        assert isinstance(results[2], ValueError)
        assert [r for i, r in enumerate(results) if i != 2] == [None, None, None]
        assert sorted(x for b in sink.batches for x in b) == [0, 1, 3]
    finally:
        await batcher.stop()


async def test_transient_failures_are_retried() -> None:
    sink = Sink(transient_failures=2)
    batcher = make(sink)
    await batcher.start()
    try:
        await batcher.submit(7)
        assert sink.batches == [[7]]
    finally:
        await batcher.stop()


async def test_transient_failure_beyond_retry_window_fails_waiters() -> None:
    sink = Sink(transient_failures=1000)
    batcher = Batcher(
        sink.write, max_items=5, max_wait=0.0, retry_for=0.3, is_transient=lambda e: True
    )
    await batcher.start()
    try:
        with pytest.raises(ConnectionResetError):
            await batcher.submit(1)
    finally:
        await batcher.stop()


async def test_stop_flushes_pending_items() -> None:
    sink = Sink()
    batcher = make(sink, max_items=100, max_wait=30)
    await batcher.start()
    waiter = asyncio.create_task(batcher.submit(42))
    await asyncio.sleep(0.01)
    assert sink.batches == []
    await batcher.stop()
    await waiter
    assert sink.batches == [[42]]
