"""The bench database: reset before a run, polled for the rows the RT monitor stores."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import asyncpg

from wiseevp_common.storage.postgres import ensure_database

from .errors import BenchError
from .monitor import MonitorProcess
from .space import HISTORY, POSTGRES_URL, SCHEMA


async def reset_database() -> None:
    await ensure_database(POSTGRES_URL)
    conn = await asyncpg.connect(POSTGRES_URL, timeout=10)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    finally:
        await conn.close()


async def wait_for_rows(
    db: asyncpg.Connection,
    monitor: MonitorProcess,
    *,
    expected: int,
    since_ms: int,
    timeout: float,
    what: str,
) -> None:
    """Poll the history until ``expected`` rows with ``ts >= since`` exist; fail on timeout or
    a stall of 20 s (nothing new stored)."""
    since = datetime.fromtimestamp(since_ms / 1000, UTC)
    deadline = time.monotonic() + timeout
    last, last_change = -1, time.monotonic()
    while True:
        count = int(await db.fetchval(f"SELECT count(*) FROM {HISTORY} WHERE ts >= $1", since))
        if count >= expected:
            return
        monitor.check_alive()
        now = time.monotonic()
        if count != last:
            last, last_change = count, now
        if now > deadline or now - last_change > 20:
            why = "timed out" if now > deadline else "stalled for 20 s"
            raise BenchError(f"{what}: {why} with {count}/{expected} rows stored")
        await asyncio.sleep(0.2)
