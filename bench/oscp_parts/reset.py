"""A clean space before a run: the bench vhost's queues deleted, the gateway's schemas in the
bench database dropped (no forecast in force, no peer: the CP registers afresh)."""

from __future__ import annotations

import asyncpg

from ocpp_parts.errors import BenchError
from rabbit_vhost import delete_queues
from wiseevp_common.storage.postgres import ensure_database

from .space import FP_SCHEMAS, POSTGRES_URL, VHOST


async def delete_bench_queues() -> None:
    """Every queue of the bench vhost: nothing left over takes the gateway's publishes."""
    if not await delete_queues(VHOST):
        raise BenchError(f"RabbitMQ vhost {VHOST!r} does not exist")


async def reset_database() -> None:
    await ensure_database(POSTGRES_URL)
    conn = await asyncpg.connect(POSTGRES_URL, timeout=10)
    try:
        for schema in FP_SCHEMAS:
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()
