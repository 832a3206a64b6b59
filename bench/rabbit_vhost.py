"""The RabbitMQ management API, as the benchmarks use it: a vhost's queues, deleted."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp

MANAGEMENT_URL = "http://127.0.0.1:15672"
MANAGEMENT_HEADERS = {"Authorization": aiohttp.encode_basic_auth("guest", "guest")}


async def delete_queues(vhost: str) -> bool:
    """Delete every queue of ``vhost``, so nothing left over by an aborted run counts;
    False if the vhost does not exist."""
    encoded = quote(vhost, safe="")
    async with aiohttp.ClientSession(
        headers=MANAGEMENT_HEADERS, timeout=aiohttp.ClientTimeout(total=20)
    ) as http:
        async with http.get(f"{MANAGEMENT_URL}/api/queues/{encoded}") as resp:
            if resp.status == 404:
                return False
            resp.raise_for_status()
            queues: list[dict[str, Any]] = await resp.json()
        for q in queues:
            url = f"{MANAGEMENT_URL}/api/queues/{encoded}/{quote(q['name'], safe='')}"
            async with http.delete(url) as resp:
                if resp.status not in (204, 404):
                    resp.raise_for_status()
    return True
