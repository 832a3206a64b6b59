"""RabbitMQ management API: the bench vhost's queues (emptied, counted)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp

from .errors import BenchError
from .space import VHOST

MANAGEMENT_URL = "http://127.0.0.1:15672"
MANAGEMENT_HEADERS = {"Authorization": aiohttp.encode_basic_auth("guest", "guest")}


async def delete_bench_queues() -> None:
    """Every queue of the bench vhost: no stale messages from an aborted run count."""
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
