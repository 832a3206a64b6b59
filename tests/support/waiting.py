"""Polling for an outcome of real I/O (never used to pass simulated time)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def wait_for_value(
    probe: Callable[[], Awaitable[T] | T],
    done: Callable[[T], bool],
    *,
    timeout: float = 20.0,
    interval: float = 0.1,
    what: str = "condition",
) -> T:
    """Call ``probe`` (a coroutine function or a plain one) until ``done(value)``; return the
    value or fail with the last one seen."""

    async def sample() -> T:
        value = probe()
        return await value if inspect.isawaitable(value) else value

    deadline = time.monotonic() + timeout
    value = await sample()
    while not done(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last: {value!r}")
        await asyncio.sleep(interval)
        value = await sample()
    return value
