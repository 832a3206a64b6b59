"""A clean space before a run: the bench vhost's queues deleted, the wrapper's schema in the
bench database dropped (every station registers again, as at its first connection)."""

from __future__ import annotations

import asyncpg

from rabbit_vhost import delete_queues
from wiseevp_common.storage.postgres import ensure_database

from .errors import BenchError
from .space import POSTGRES_URL, VHOST, WRAPPER_SCHEMA


async def delete_bench_queues() -> None:
    """Every queue of the bench vhost: nothing left over takes the wrapper's publishes."""
    if not await delete_queues(VHOST):
        raise BenchError(f"RabbitMQ vhost {VHOST!r} does not exist")


async def reset_database() -> None:
    await ensure_database(POSTGRES_URL)
    conn = await asyncpg.connect(POSTGRES_URL, timeout=10)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {WRAPPER_SCHEMA} CASCADE")
    finally:
        await conn.close()
