"""RabbitMQ management API: the bench vhost's queues (emptied, counted)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp

from rabbit_vhost import MANAGEMENT_HEADERS, MANAGEMENT_URL, delete_queues

from .errors import BenchError
from .space import VHOST


async def delete_bench_queues() -> None:
    """Every queue of the bench vhost: no stale messages from an aborted run count."""
    if not await delete_queues(VHOST):
        raise BenchError(f"RabbitMQ vhost {VHOST!r} does not exist")


async def queue_messages(name: str) -> int | None:
    url = f"{MANAGEMENT_URL}/api/queues/{quote(VHOST, safe='')}/{quote(name, safe='')}"
    async with (
        aiohttp.ClientSession(
            headers=MANAGEMENT_HEADERS, timeout=aiohttp.ClientTimeout(total=10)
        ) as http,
        http.get(url) as resp,
    ):
        if resp.status != 200:
            return None
        body: dict[str, Any] = await resp.json()
        value = body.get("messages")
        return int(value) if isinstance(value, int) else None
