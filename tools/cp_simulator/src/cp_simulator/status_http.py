"""Optional HTTP status endpoint: ``GET /status`` (all stats) and ``GET /stations/{id}``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

StatsSource = Callable[[], dict[str, Any]]


def make_app(stats: StatsSource) -> web.Application:
    async def status(_: web.Request) -> web.Response:
        return web.json_response(stats())

    async def station(request: web.Request) -> web.Response:
        found = stats()["stations"].get(request.match_info["station_id"])
        if found is None:
            raise web.HTTPNotFound(text="unknown station")
        return web.json_response(found)

    app = web.Application()
    app.router.add_get("/", status)
    app.router.add_get("/status", status)
    app.router.add_get("/stations/{station_id}", station)
    return app


async def start_status_server(
    stats: StatsSource, port: int, host: str = "127.0.0.1"
) -> tuple[web.AppRunner, int]:
    """Serve the stats on ``host:port`` (0: any free port); return the runner and the port."""
    runner = web.AppRunner(make_app(stats), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    return runner, int(bound)
