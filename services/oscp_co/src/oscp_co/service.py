"""Wires the Capacity Optimizer: the OSCP party (role CO) on PostgreSQL with its inbox and the
operator API (peers, inbox, heartbeats, ``POST /admin/co/optimum``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from wiseevp_common.clock import clock_from_settings
from wiseevp_common.runner import Service
from wiseevp_common.settings import ServiceSettings
from wiseevp_oscp.endpoints import Role
from wiseevp_oscp.peer_service import (
    LoggingListener,
    build_peer,
    migrate_peer_database,
    peer_service,
    push_forecast_route,
)

from .optimizer import CapacityOptimizer
from .settings import SCHEMAS, CoSettings

OPTIMUM_ROUTE = "/admin/co/optimum"


async def migrate_database(settings: ServiceSettings) -> dict[str, list[int]]:
    """Apply the peer and inbox migrations (only the database settings are needed)."""
    return await migrate_peer_database(str(settings.postgres_url), SCHEMAS)


async def build(settings: CoSettings) -> Service:
    await migrate_database(settings)
    clock = clock_from_settings(settings)
    co = CapacityOptimizer(settings.optimum_fraction, answer_forecasts=settings.answer_forecasts)
    parts = build_peer(
        settings, Role.CO, SCHEMAS, clock, handlers=co.handlers(), listener=LoggingListener()
    )
    co.bind(parts.party)
    token = settings.admin_token.get_secret_value()
    return peer_service(
        settings,
        CollectorRegistry(),
        parts,
        routes=[push_forecast_route(OPTIMUM_ROUTE, parts.party, token)],
    )
