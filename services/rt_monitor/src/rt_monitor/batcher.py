"""Group items submitted by concurrent handlers into batches written in one go.

A handler awaits :meth:`Batcher.submit`; it returns once the item's batch is durably written
(and raises if it could not be), so the message is acknowledged only after the write. A batch
is flushed when it holds ``max_items`` or its first item has waited ``max_wait`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

log = logging.getLogger("rt_monitor.batcher")

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


class Submitter(Protocol[T_contra]):
    """What a handler needs of a :class:`Batcher`: a ``Batcher[A | B]`` takes ``A`` items."""

    async def submit(self, item: T_contra) -> None: ...


@dataclass
class _Pending(Generic[T]):
    item: T
    done: asyncio.Future[None]
    since: float
    """``time.monotonic()`` when submitted: the batch's wait is counted from its oldest item."""


class Batcher(Generic[T]):
    def __init__(
        self,
        write: Callable[[Sequence[T]], Awaitable[None]],
        *,
        max_items: int,
        max_wait: float,
        retry_for: float,
        is_transient: Callable[[BaseException], bool],
    ) -> None:
        self._write = write
        self.max_items = max_items
        self.max_wait = max_wait
        self.retry_for = retry_for
        self._is_transient = is_transient
        self._pending: list[_Pending[T]] = []
        self._has_items = asyncio.Event()
        self._full = asyncio.Event()
        self.written = 0
        self.batches = 0
        self._task: asyncio.Task[None] | None = None

    # -- component protocol: started before the bus, stopped after it ------------------
    name = "batcher"

    async def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="batcher")

    async def stop(self) -> None:
        """Flush what is pending, then stop."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def healthy(self) -> bool:
        return self._task is not None and not self._task.done()

    async def submit(self, item: T) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(item, fut, time.monotonic()))
        self._has_items.set()
        if len(self._pending) >= self.max_items:
            self._full.set()
        await fut

    async def run(self) -> None:
        """Flush loop; on cancellation, flushes what is pending first (graceful stop)."""
        try:
            while True:
                await self._has_items.wait()
                left = self.max_wait - (time.monotonic() - self._pending[0].since)
                if len(self._pending) < self.max_items and left > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._full.wait(), left)
                await self.flush()
        finally:
            if self._pending:
                await asyncio.shield(self.flush())

    async def flush(self) -> None:
        batch, self._pending = self._pending[: self.max_items], self._pending[self.max_items :]
        if len(self._pending) < self.max_items:
            self._full.clear()
        if not self._pending:
            self._has_items.clear()
        if not batch:
            return
        await self._write_with_retry(batch)

    async def _write_with_retry(self, batch: list[_Pending[T]]) -> None:
        deadline = time.monotonic() + self.retry_for
        delay = 0.1
        while True:
            try:
                await self._write([p.item for p in batch])
            except Exception as exc:
                if self._is_transient(exc) and time.monotonic() < deadline:
                    log.warning("batch write failed (%r); retrying in %.1f s", exc, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    continue
                if not self._is_transient(exc) and len(batch) > 1:
                    # one bad item must not fail its neighbours: write them one by one
                    for single in batch:
                        await self._write_with_retry([single])
                    return
                for p in batch:
                    if not p.done.done():
                        p.done.set_exception(exc)
                return
            self.written += len(batch)
            self.batches += 1
            for p in batch:
                if not p.done.done():
                    p.done.set_result(None)
            return
