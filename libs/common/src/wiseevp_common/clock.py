"""Injectable clocks: real time, accelerated simulated time, and a manual clock for tests.

Services never call ``datetime.now()`` or ``asyncio.sleep()`` for domain time: they take a
:class:`Clock`. A simulated clock lets a pilot-site day run in minutes; a manual clock lets
tests pass time without sleeping.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from .settings import ServiceSettings


class Clock(Protocol):
    """Source of domain time."""

    def now(self) -> datetime:
        """Current (possibly simulated) time, timezone-aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait for ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class SimulatedClock:
    """Accelerated time: ``start + (real_now - epoch) * speed``.

    Processes that share ``start``, ``epoch`` and ``speed`` agree on the simulated time.
    """

    def __init__(self, start: datetime, speed: float, epoch: float | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = start.astimezone(UTC)
        self.speed = speed
        self.epoch = time.time() if epoch is None else epoch

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.epoch) * self.speed)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


class ManualClock:
    """A clock that only moves when told to; sleepers wake when :meth:`advance` passes them."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._now = start.astimezone(UTC)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(
            self._sleepers, (self._now + timedelta(seconds=seconds), next(self._seq), fut)
        )
        await fut

    @property
    def sleepers(self) -> int:
        """Number of tasks waiting on this clock."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking every sleeper whose deadline is reached, in order."""
        target = self._now + timedelta(seconds=seconds)
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, fut = heapq.heappop(self._sleepers)
            self._now = max(self._now, deadline)
            if not fut.done():
                fut.set_result(None)
            # let the woken task run (and possibly sleep again) before moving on
            for _ in range(5):
                await asyncio.sleep(0)
        self._now = target


def clock_from_settings(settings: ServiceSettings) -> Clock:
    """The clock a service runs on, as configured by ``WISEEVP_CLOCK*``."""
    if settings.clock == "system":
        return SystemClock()
    start = settings.clock_start or datetime.now(UTC).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return SimulatedClock(start, settings.clock_speed, settings.clock_epoch)
