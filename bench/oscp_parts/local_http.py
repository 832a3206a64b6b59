"""The bench's own plain aiohttp server (no middleware, no access log):

- ``GET /empty`` → 204: the baseline, an empty aiohttp request timed from one
  ``ClientSession`` in the same run (:func:`time_empty_requests`);
- ``POST /api/v1/evses/snapshot``: a stub of the RT monitor's snapshot API, which the gateway
  reads at start-up (``WISEEVP_RT_MONITOR_URL``); it says which EVSEs charge, so their caps
  differ from the idle ones'.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection

import aiohttp
from aiohttp import web

from wiseevp_common.http import HttpServer

from .space import HOST

EMPTY_PATH = "/empty"
SNAPSHOT_PATH = "/api/v1/evses/snapshot"


class LocalHttp:
    def __init__(self, charging: Collection[str]) -> None:
        self.charging = frozenset(charging)
        self.snapshot_calls = 0
        self._called = asyncio.Event()
        app = web.Application()
        app.router.add_get(EMPTY_PATH, self._empty)
        app.router.add_post(SNAPSHOT_PATH, self._snapshot)
        self.server = HttpServer(app, HOST, 0)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.port}"

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()

    @staticmethod
    async def _empty(_: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _snapshot(self, request: web.Request) -> web.Response:
        ids = (await request.json())["evse_ids"]
        evses = [
            {"evse_id": i, "known": True, "charging": i in self.charging, "transactions": []}
            for i in ids
        ]
        self.snapshot_calls += 1
        self._called.set()
        return web.json_response({"evses": evses})

    async def wait_snapshots(self, calls: int, timeout: float) -> bool:
        """Wait until the gateway read the snapshots ``calls`` times (one per group)."""
        deadline = time.monotonic() + timeout
        while self.snapshot_calls < calls and time.monotonic() < deadline:
            self._called.clear()
            try:
                await asyncio.wait_for(self._called.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        return self.snapshot_calls >= calls


async def time_empty_requests(url: str, count: int, warmup: int = 20) -> list[float]:
    """Seconds of each of ``count`` sequential ``GET`` of an empty 204, on one session
    (keep-alive, as the CP's party session), after ``warmup`` untimed ones."""
    samples: list[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        for n in range(warmup + count):
            started = time.perf_counter()
            async with http.get(url + EMPTY_PATH) as resp:
                await resp.read()
                if resp.status != 204:
                    raise RuntimeError(f"empty request answered {resp.status}")
            if n >= warmup:
                samples.append(time.perf_counter() - started)
    return samples
