"""Helpers of the EV source integration tests (``tests/integration/test_ev_sources_*.py``):
waiting for real I/O, running a source, and the statuses a wrapper process publishes to MQTT."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiomqtt

from ev_wrapper.sources.base import EvSource
from tests.support.env import MQTT_HOST, MQTT_PASSWORD, MQTT_PORT, MQTT_USERNAME
from tests.support.recording_sink import RecordingSink
from tests.support.waiting import wait_for_value
from wiseevp_common.topology import IopTopic

T = TypeVar("T")
T0 = datetime(2026, 5, 1, 8, tzinfo=UTC)
"""Where the service clock of every source test starts."""


async def until(
    probe: Callable[[], T], done: Callable[[T], bool], what: str, timeout: float = 10
) -> T:
    """Wait for an outcome of real I/O (sockets, database) to show in ``probe()``."""

    async def value() -> T:
        return probe()

    return await wait_for_value(value, done, timeout=timeout, interval=0.02, what=what)


@contextlib.asynccontextmanager
async def running(source: EvSource, sink: RecordingSink) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(source.run(sink), name=f"source-{source.name}")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def mqtt_statuses(ev_id: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
    """Every status published for ``ev_id`` (the retained one first, if any)."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    async with aiomqtt.Client(
        MQTT_HOST,
        MQTT_PORT,
        username=MQTT_USERNAME,
        password=MQTT_PASSWORD,
        identifier=f"test-ev-sources-{uuid.uuid4().hex[:8]}",
    ) as client:
        await client.subscribe(IopTopic.EV_STATUS.topic(ev_id=ev_id), qos=1)

        async def pump() -> None:
            async for message in client.messages:
                assert isinstance(message.payload, bytes)
                queue.put_nowait(json.loads(message.payload))

        task = asyncio.create_task(pump())
        try:
            yield queue
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def next_status(
    queue: asyncio.Queue[dict[str, Any]],
    done: Callable[[dict[str, Any]], bool],
    what: str,
    timeout: float = 30,
) -> dict[str, Any]:
    seen: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                status = await queue.get()
                seen.append(status)
                if done(status):
                    return status
    except TimeoutError:
        raise AssertionError(f"no MQTT status {what} within {timeout} s; seen: {seen}") from None
