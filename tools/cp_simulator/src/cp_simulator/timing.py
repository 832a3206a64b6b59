"""Waiting on the injectable clock, and the OCPP timestamp format.

Every domain wait goes through :class:`wiseevp_common.clock.Clock` (``clock.sleep`` takes clock
seconds: a :class:`~wiseevp_common.clock.SimulatedClock` sleeps ``seconds / speed`` real seconds, a
:class:`~wiseevp_common.clock.ManualClock` wakes when the test advances it).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from wiseevp_common.clock import Clock


async def sleep_until(clock: Clock, when: datetime) -> None:
    """Sleep until ``when`` on ``clock`` (returns at once if it has passed)."""
    await clock.sleep((when - clock.now()).total_seconds())


async def sleep_or_wake(clock: Clock, when: datetime | None, wake: asyncio.Event) -> None:
    """Sleep until ``when`` (forever if ``None``) or until ``wake`` is set; clears ``wake``."""
    if not wake.is_set():
        waiters: set[asyncio.Future[Any]] = {asyncio.ensure_future(wake.wait())}
        if when is not None:
            waiters.add(asyncio.ensure_future(sleep_until(clock, when)))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
    wake.clear()


def iso(at: datetime) -> str:
    """OCPP date-time: UTC, second precision, ``Z`` suffix."""
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """Parse an OCPP date-time; naive values are taken as UTC."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
