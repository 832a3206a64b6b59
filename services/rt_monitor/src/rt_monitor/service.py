"""Wires the RT monitor: IOP queues (EV and EVSE topics) → validation → batch writer →
PostgreSQL; history API (EV and EVSE routes)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from wiseevp_common.bus import Bus
from wiseevp_common.clock import clock_from_settings
from wiseevp_common.metrics import BusMetrics
from wiseevp_common.runner import Service
from wiseevp_common.settings import ServiceSettings
from wiseevp_common.storage.component import PostgresPool
from wiseevp_common.storage.migrations import migrate_database as migrate_service_database
from wiseevp_common.topology import EV_TOPICS, EVSE_TOPICS, Queue

from .batcher import Batcher
from .evse_api import EvseApi
from .evse_ingest import EvseIngest
from .history_api import HistoryApi
from .ingest import EvIngest, received_counter
from .settings import RtMonitorSettings
from .store import SCHEMA, Item, Store, is_transient

MIGRATIONS = Path(__file__).parent / "migrations"


async def migrate_database(settings: ServiceSettings) -> list[int]:
    return await migrate_service_database(str(settings.postgres_url), SCHEMA, MIGRATIONS)


async def build(settings: RtMonitorSettings) -> Service:
    await migrate_database(settings)
    registry = CollectorRegistry()
    clock = clock_from_settings(settings)
    db = PostgresPool(str(settings.postgres_url), max_size=settings.db_pool_size)
    batcher: Batcher[Item] = Batcher(
        Store(db).write,
        # a consumer never holds more than its prefetch unacked: a larger batch never fills
        max_items=min(settings.batch_max_rows, settings.amqp_prefetch),
        max_wait=settings.batch_max_wait_ms / 1000,
        retry_for=settings.db_retry_s,
        is_transient=is_transient,
    )
    bus = Bus(settings, metrics=BusMetrics(registry))
    received = received_counter(registry)
    ev_ingest = EvIngest(batcher, clock, received)
    evse_ingest = EvseIngest(batcher, clock, received)
    bus.consume_iop(Queue.RT_MONITOR_EV, EV_TOPICS, ev_ingest.handle)
    bus.consume_iop(Queue.RT_MONITOR_EVSE, EVSE_TOPICS, evse_ingest.handle)
    history = HistoryApi(db, settings.history_max_limit)
    evses = EvseApi(db, settings.history_max_limit)
    return Service(
        settings=settings,
        registry=registry,
        components=[db, batcher, bus],
        routes=[*history.routes(), *evses.routes()],
    )
