"""Service runner: start-up, ``/healthz`` + ``/metrics``, graceful shutdown on SIGTERM/SIGINT.

A service describes itself as a :class:`Service` (components started in order and stopped in
reverse, long-running loops, HTTP routes) and hands a builder to :func:`run_main`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from aiohttp import web
from prometheus_client import CollectorRegistry

from .http import HttpServer, build_app
from .logs import configure_logging
from .settings import ServiceSettings, SettingsError, load_settings

log = logging.getLogger("wiseevp.runner")


class Component(Protocol):
    """Something with a life cycle: a bus connection, a database pool, a writer."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def healthy(self) -> bool: ...


@dataclass
class Service:
    settings: ServiceSettings
    registry: CollectorRegistry
    components: list[Component] = field(default_factory=list)
    loops: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    """Long-running coroutines (publishers, pollers); if one fails the service stops."""
    routes: list[web.AbstractRouteDef] = field(default_factory=list)
    health_checks: dict[str, Callable[[], Awaitable[bool]]] = field(default_factory=dict)
    """Extra ``/healthz`` checks besides each component's own."""


async def run_service(service: Service, stop: asyncio.Event) -> None:
    """Run until ``stop`` is set or a loop fails; always shut down in reverse order."""
    settings = service.settings
    checks = {c.name: c.healthy for c in service.components} | service.health_checks
    http = HttpServer(
        build_app(service.registry, checks, service.routes), settings.http_host, settings.http_port
    )
    started: list[Component] = []
    try:
        for component in service.components:
            await component.start()
            started.append(component)
        await http.start()
        log.info(
            "service started", extra={"http_port": http.port, "instance": settings.instance_id}
        )
        await _run_loops(service.loops, stop)
    finally:
        log.info("service stopping")
        await http.stop()
        for component in reversed(started):
            try:
                await component.stop()
            except Exception:
                log.exception("error stopping %s", component.name)
        log.info("service stopped")


async def _run_loops(
    loops: list[Callable[[], Coroutine[Any, Any, None]]], stop: asyncio.Event
) -> None:
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(loop()) for loop in loops]
        await stop.wait()
        for task in tasks:
            task.cancel()


S = TypeVar("S", bound=ServiceSettings)


def default_instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def run_main(settings_cls: type[S], build: Callable[[S], Awaitable[Service]], name: str) -> None:
    """Entry point of a service process: settings (fail fast), JSON logs, signals, run."""
    try:
        settings = load_settings(settings_cls, service_name=name)
    except SettingsError as exc:
        print(f"{name}: {exc}", file=sys.stderr)  # noqa: T201 - logging is not configured yet
        raise
    if not settings.instance_id:
        settings = settings.model_copy(update={"instance_id": default_instance_id()})
    configure_logging(name, settings.log_level)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        service = await build(settings)
        await run_service(service, stop)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


Migrate = Callable[[ServiceSettings], Coroutine[Any, Any, list[int] | Mapping[str, list[int]]]]
"""Create the database if needed and apply a service's migrations: the versions applied, per
schema when the service has several."""


def service_cli(
    name: str, settings_cls: type[S], build: Callable[[S], Awaitable[Service]], migrate: Migrate
) -> None:
    """``python -m <name> [migrate]``: run the service, or only create the database and apply
    its pending migrations and exit (that needs only ``WISEEVP_POSTGRES_URL``)."""
    args = sys.argv[1:]
    if args == ["migrate"]:
        try:
            settings = load_settings(ServiceSettings, service_name=name)
        except SettingsError as exc:
            print(f"{name}: {exc}", file=sys.stderr)  # noqa: T201 - logging is not configured yet
            raise
        applied: list[int] | Mapping[str, list[int]] = asyncio.run(migrate(settings))
        per_schema = applied if isinstance(applied, Mapping) else {"": applied}
        for schema, versions in per_schema.items():
            where = f"{schema}: " if schema else ""
            done = versions or "none (up to date)"
            print(f"{name}: {where}applied migrations {done}")  # noqa: T201
        return
    if args:
        raise SystemExit(f"usage: python -m {name} [migrate]")
    run_main(settings_cls, build, name)
