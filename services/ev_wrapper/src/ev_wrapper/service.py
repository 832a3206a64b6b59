"""Wires the EV wrapper: source → IOP publisher (MQTT, one connection per EV)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry

from wiseevp_common.clock import clock_from_settings
from wiseevp_common.runner import Service

from .metrics import WrapperMetrics
from .publisher import IopPublisher
from .settings import EvWrapperSettings
from .sources.factory import make_source


async def build(settings: EvWrapperSettings) -> Service:
    registry = CollectorRegistry()
    clock = clock_from_settings(settings)
    publisher = IopPublisher(settings, clock, WrapperMetrics(registry))
    source = make_source(settings, clock, registry)
    checks: dict[str, Callable[[], Awaitable[bool]]] = {"publisher": publisher.healthy}
    source_healthy = getattr(source, "healthy", None)
    if source_healthy is not None:
        checks["source"] = source_healthy

    async def run_source() -> None:
        await source.run(publisher)

    return Service(
        settings=settings,
        registry=registry,
        loops=[publisher.run, run_source],
        routes=list(getattr(source, "routes", [])),
        health_checks=checks,
    )
