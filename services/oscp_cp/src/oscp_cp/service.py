"""Wires the Capacity Provider: the OSCP party (role CP) on PostgreSQL with its inbox, the
operator API (peers, inbox, heartbeats, ``POST /admin/cp/forecast``) and the forecast plan."""

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

from .capacity_provider import CapacityProvider
from .forecast_plan import load_plan
from .settings import SCHEMAS, CpSettings

FORECAST_ROUTE = "/admin/cp/forecast"


async def migrate_database(settings: ServiceSettings) -> dict[str, list[int]]:
    """Apply the peer and inbox migrations (only the database settings are needed)."""
    return await migrate_peer_database(str(settings.postgres_url), SCHEMAS)


async def build(settings: CpSettings) -> Service:
    await migrate_database(settings)
    clock = clock_from_settings(settings)
    plan = load_plan(settings.forecast_file) if settings.forecast_file else None
    cp = CapacityProvider(
        clock,
        grant_adjustments=settings.grant_adjustments,
        max_capacity=settings.max_capacity,
        plan=plan,
        forecast_interval_s=settings.forecast_interval_s,
    )
    parts = build_peer(
        settings,
        Role.CP,
        SCHEMAS,
        clock,
        handlers=cp.handlers(),
        listener=LoggingListener(cp.peer_online),
    )
    cp.bind(parts.party)
    token = settings.admin_token.get_secret_value()
    return peer_service(
        settings,
        CollectorRegistry(),
        parts,
        routes=[push_forecast_route(FORECAST_ROUTE, parts.party, token)],
        loops=[cp.send_planned] if plan is not None else [],
    )
