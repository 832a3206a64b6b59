"""Wires the EVSE wrapper: OCPP server ⇄ IOP (station messages, commands, results),
PostgreSQL registry, watchdog."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from wiseevp_common.bus import Bus
from wiseevp_common.clock import clock_from_settings
from wiseevp_common.metrics import BusMetrics
from wiseevp_common.ocpp_topology import EVSE_WRAPPER_COMMANDS
from wiseevp_common.runner import Service
from wiseevp_common.storage.component import PostgresPool
from wiseevp_common.storage.migrations import migrate_database as migrate_service_database

from .command_listener import CommandListener
from .connection_status import ConnectionStatus
from .delivery import CommandDelivery
from .intake import CommandIntake
from .links import Links
from .metrics import WrapperMetrics
from .registry import SCHEMA, Registry
from .results import ResultPublisher
from .server import OcppServer
from .settings import EvseWrapperSettings
from .watchdog import Watchdog

MIGRATIONS = Path(__file__).parent / "migrations"


async def migrate_database(settings: EvseWrapperSettings) -> list[int]:
    return await migrate_service_database(str(settings.postgres_url), SCHEMA, MIGRATIONS)


async def build(settings: EvseWrapperSettings) -> Service:
    await migrate_database(settings)
    metrics_registry = CollectorRegistry()
    clock = clock_from_settings(settings)
    db = PostgresPool(str(settings.postgres_url), max_size=settings.db_pool_size)
    registry = Registry(db)
    bus = Bus(settings, metrics=BusMetrics(metrics_registry))
    results = ResultPublisher(bus.publish_raw)
    delivery = CommandDelivery(results, clock, settings)
    status = ConnectionStatus(registry, bus.publish_raw, settings.instance_id or "evse_wrapper")
    links = Links(registry, delivery, status, clock, replace_wait_s=settings.call_timeout_s + 5)
    intake = CommandIntake(
        registry,
        results,
        clock,
        queue_max=settings.offline_queue_max,
        expiry_s=settings.command_expiry_s,
        notify=links.notify,
    )
    bus.consume(EVSE_WRAPPER_COMMANDS, intake.handle)
    server = OcppServer(settings, registry, links, bus.publish_raw, clock)
    WrapperMetrics(metrics_registry, links)
    watchdog = Watchdog(
        links,
        registry,
        delivery,
        clock,
        heartbeat_interval_s=settings.heartbeat_interval_s,
        missed_heartbeats=settings.offline_after_missed_heartbeats,
    )
    return Service(
        settings=settings,
        registry=metrics_registry,
        components=[db, CommandListener(str(settings.postgres_url), links.notify), bus, server],
        loops=[watchdog.run],
    )
