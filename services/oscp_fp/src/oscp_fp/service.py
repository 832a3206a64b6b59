"""Wires the OSCP gateway: the Flexibility Provider party (HTTP endpoints, peers, heartbeats),
the forecasts → limits path onto the bus, the caps' results, and the measurement reports."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry

from wiseevp_common.bus import Bus
from wiseevp_common.clock import clock_from_settings
from wiseevp_common.messages.oscp20 import RequiredBehaviour
from wiseevp_common.metrics import BusMetrics
from wiseevp_common.ocpp_topology import OSCP_FP_PROFILE_RESULTS
from wiseevp_common.runner import Service
from wiseevp_common.settings import ServiceSettings, SettingsError
from wiseevp_common.storage.component import PostgresPool
from wiseevp_common.storage.migrations import migrate_database as migrate_schema
from wiseevp_oscp.admin import admin_routes
from wiseevp_oscp.endpoints import Role
from wiseevp_oscp.openapi import openapi_route
from wiseevp_oscp.party import OscpParty, PartyConfig
from wiseevp_oscp.peer_store import MIGRATIONS as PEER_MIGRATIONS
from wiseevp_oscp.peer_store import PostgresPeerStore
from wiseevp_oscp.peers import Peers
from wiseevp_oscp.policy import ConfiguredPolicy

from .allocation import AllocationOptions
from .capacity_api import capacity_routes
from .compliance import ComplianceTracker
from .forecast_store import SCHEMA, ForecastStore
from .gateway import Gateway
from .groups import load_groups
from .limits import LimitPublisher
from .reporting import Reporter
from .sent import SentLog
from .settings import OscpFpSettings
from .snapshots import RtMonitorSnapshots

MIGRATIONS = Path(__file__).parent / "migrations"
PEER_SCHEMA = "oscp_fp_peers"


async def migrate_database(settings: ServiceSettings) -> dict[str, list[int]]:
    """Apply the peer and gateway migrations (only the database settings are needed)."""
    url = str(settings.postgres_url)
    return {
        PEER_SCHEMA: await migrate_schema(url, PEER_SCHEMA, PEER_MIGRATIONS),
        SCHEMA: await migrate_schema(url, SCHEMA, MIGRATIONS),
    }


def policy_from(settings: OscpFpSettings) -> ConfiguredPolicy:
    heartbeats = (
        RequiredBehaviour(heartbeat_interval=settings.heartbeat_interval_s)
        if settings.heartbeat_interval_s
        else None
    )
    optimizer = RequiredBehaviour(
        heartbeat_interval=settings.heartbeat_interval_s or None,
        measurement_configuration=list(settings.measurement_configuration),
    )
    return ConfiguredPolicy(
        required={Role.CP: heartbeats, Role.CO: optimizer},
        min_heartbeat_interval_s=settings.min_heartbeat_interval_s,
    )


async def build(settings: OscpFpSettings) -> Service:
    if not settings.oscp_public_url and settings.http_port == 0:
        raise SettingsError(
            "WISEEVP_OSCP_PUBLIC_URL: required unless WISEEVP_HTTP_PORT is fixed "
            "(peers must know where to reach the gateway)"
        )
    groups = load_groups(settings.oscp_groups_file)
    await migrate_database(settings)
    registry = CollectorRegistry()
    clock = clock_from_settings(settings)
    db = PostgresPool(str(settings.postgres_url))
    bus = Bus(settings, metrics=BusMetrics(registry))
    store = ForecastStore(db)
    sent = SentLog(store, clock)

    compliance = ComplianceTracker(clock, settings.compliance_wait_s)
    limits = LimitPublisher(
        bus,
        clock,
        compliance,
        AllocationOptions(profile_id=settings.profile_id, idle_weight=settings.idle_weight),
        apply_profiles=settings.apply_profiles,
    )
    gateway = Gateway(groups, store, limits, sent, clock)
    party = OscpParty(
        PartyConfig(
            role=Role.FP,
            public_url=settings.public_url(settings.http_port),
            offline_factor=settings.offline_factor,
            handshake_retry_s=settings.handshake_retry_s,
        ),
        Peers(PostgresPeerStore(db, PEER_SCHEMA)),
        clock,
        policy=policy_from(settings),
        handlers=gateway.handlers(),
        listener=gateway,
    )
    gateway.attach(party)
    bus.consume(OSCP_FP_PROFILE_RESULTS, compliance.handle_result)
    reporter = Reporter(
        gateway,
        RtMonitorSnapshots(settings.rt_monitor_url, lambda: party.session),
        limits=limits,
        compliance=compliance,
        sent=sent,
        clock=clock,
        interval_s=settings.measurement_interval_s,
        tolerance=settings.compliance_tolerance,
        request_adjustments=settings.request_adjustments,
    )
    routes: list[web.AbstractRouteDef] = [
        *party.routes(),
        openapi_route(Role.FP),
        *capacity_routes(gateway),
    ]
    if settings.admin_token:
        routes += admin_routes(party, settings.admin_token)
    return Service(
        settings=settings,
        registry=registry,
        components=[db, party, gateway, bus],
        loops=[*party.loops(), gateway.follow_boundaries, compliance.run, reporter.run],
        routes=routes,
    )
