"""GET a JSON document from a service under test."""

from __future__ import annotations

from typing import Any

import aiohttp


async def get_json(url: str) -> tuple[int, Any]:
    """(HTTP status, decoded JSON body)."""
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        return resp.status, await resp.json()
