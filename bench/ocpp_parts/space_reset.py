"""A clean space before a run: the bench vhost's queues deleted, the wrapper's schema in the
bench database dropped (every station registers again, as at its first connection)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp
import asyncpg

from wiseevp_common.storage.postgres import ensure_database

from .errors import BenchError
from .space import POSTGRES_URL, VHOST, WRAPPER_SCHEMA

MANAGEMENT_URL = "http://127.0.0.1:15672"
MANAGEMENT_HEADERS = {"Authorization": aiohttp.encode_basic_auth("guest", "guest")}


async def delete_bench_queues() -> None:
    """Every queue of the bench vhost: nothing left over takes the wrapper's publishes."""
    vhost = quote(VHOST, safe="")
    async with aiohttp.ClientSession(
        headers=MANAGEMENT_HEADERS, timeout=aiohttp.ClientTimeout(total=20)
    ) as http:
        async with http.get(f"{MANAGEMENT_URL}/api/queues/{vhost}") as resp:
            if resp.status == 404:
                raise BenchError(f"RabbitMQ vhost {VHOST!r} does not exist")
            resp.raise_for_status()
            queues: list[dict[str, Any]] = await resp.json()
        for q in queues:
            url = f"{MANAGEMENT_URL}/api/queues/{vhost}/{quote(q['name'], safe='')}"
            async with http.delete(url) as resp:
                if resp.status not in (204, 404):
                    resp.raise_for_status()


async def reset_database() -> None:
    await ensure_database(POSTGRES_URL)
    conn = await asyncpg.connect(POSTGRES_URL, timeout=10)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {WRAPPER_SCHEMA} CASCADE")
    finally:
        await conn.close()
