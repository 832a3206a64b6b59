"""The HTTP side of every service: ``/healthz``, Prometheus ``/metrics`` and its own routes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger("wiseevp.http")

HealthCheck = Callable[[], Awaitable[bool]]


def json_error(status: int, message: str) -> web.Response:
    """The error body of every wiseevp HTTP API: ``{"message": ...}`` with a 4xx/5xx status."""
    return web.json_response({"message": message}, status=status)


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Turn HTTP exceptions and crashes into ``{"message": ...}`` JSON bodies."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return json_error(exc.status, exc.text or exc.reason)
    except Exception:
        log.exception("unhandled error", extra={"path": request.path})
        return json_error(500, "internal server error")


def build_app(
    registry: CollectorRegistry,
    checks: dict[str, HealthCheck],
    routes: Iterable[web.AbstractRouteDef] = (),
) -> web.Application:
    app = web.Application(middlewares=[error_middleware])

    async def healthz(_: web.Request) -> web.Response:
        results = {name: await check() for name, check in checks.items()}
        ok = all(results.values())
        return web.json_response(
            {"status": "ok" if ok else "unhealthy", "checks": results}, status=200 if ok else 503
        )

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_routes(list(routes))
    return app


class HttpServer:
    """Runs an aiohttp app on host:port (port 0: a free port, see :attr:`port`)."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.requested_port)
        await site.start()
        # the bound socket tells the real port when 0 was asked
        sockets = getattr(site._server, "sockets", None)
        if sockets:
            self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
