"""The wiring shared by the peer services run against our Flexibility Provider — the Capacity
Provider (``services/oscp_cp``) and the Capacity Optimizer (``services/oscp_co``): the
database pool, the party with its inbox, the operator routes, and sending a forecast to
the connected Flexibility Providers.

Each service adds its own handlers and settings; both record every accepted message in their
inbox and offer the operator API of :mod:`.admin` and :mod:`.inbox`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ConfigDict

from wiseevp_common.clock import Clock
from wiseevp_common.http import json_error
from wiseevp_common.messages.oscp20 import UpdateGroupCapacityForecast
from wiseevp_common.runner import Service
from wiseevp_common.storage.migrations import migrate_database

from .admin import admin_routes
from .admin_guard import admin_guard
from .endpoints import Endpoint, Role
from .errors import NotConnected, PeerError, PeerUnreachable
from .inbox import INBOX_MIGRATIONS, Inbox, heartbeat_routes, inbox_routes
from .openapi import openapi_route
from .party import OscpParty, PartyConfig
from .peer_settings import OscpPeerSettings, PeerSchemas
from .peer_store import MIGRATIONS as PEER_MIGRATIONS
from .peer_store import PostgresPeerStore
from .peers import Peer, Peers
from .policy import ConfiguredPolicy
from .server import Handler

log = logging.getLogger("wiseevp.oscp.peer")


async def migrate_peer_database(postgres_url: str, schemas: PeerSchemas) -> dict[str, list[int]]:
    """Create the database if needed and apply the peer and inbox migrations; the versions
    applied now, by schema."""
    return {
        schemas.peers: await migrate_database(postgres_url, schemas.peers, PEER_MIGRATIONS),
        schemas.inbox: await migrate_database(postgres_url, schemas.inbox, INBOX_MIGRATIONS),
    }


class DeferredPool:
    """An asyncpg pool that exists from construction on (so stores can be given it) and
    connects when the service starts it."""

    name = "postgres"

    def __init__(self, url: str, max_size: int) -> None:
        self.pool: asyncpg.Pool = asyncpg.create_pool(url, min_size=1, max_size=max_size)

    async def start(self) -> None:
        await self.pool

    async def stop(self) -> None:
        await self.pool.close()

    async def healthy(self) -> bool:
        try:
            return bool(await self.pool.fetchval("SELECT 1", timeout=2) == 1)
        except Exception:
            return False


PeerHook = Callable[[Peer], Coroutine[Any, Any, None]]


class LoggingListener:
    """Logs connection changes; calls ``on_online`` when a peer comes online."""

    def __init__(self, on_online: PeerHook | None = None) -> None:
        self.on_online = on_online

    async def peer_online(self, peer: Peer) -> None:
        log.info("peer online", extra={"peer": peer.peer_id})
        if self.on_online is not None:
            await self.on_online(peer)

    async def peer_offline(self, peer: Peer) -> None:
        log.warning("peer offline", extra={"peer": peer.peer_id})


@dataclass(frozen=True)
class PeerParts:
    """What :func:`build_peer` built: the pool, the inbox and the party (components first)."""

    db: DeferredPool
    inbox: Inbox
    party: OscpParty


def build_peer(
    settings: OscpPeerSettings,
    role: Role,
    schemas: PeerSchemas,
    clock: Clock,
    *,
    handlers: Mapping[Endpoint, Handler],
    listener: LoggingListener,
) -> PeerParts:
    """The party of ``role`` on PostgreSQL, every endpoint recording what it accepts."""
    db = DeferredPool(str(settings.postgres_url), settings.db_pool_size)
    inbox = Inbox(db.pool, schemas.inbox, clock)
    policy = ConfiguredPolicy(
        required={Role.FP: settings.required_behaviour()},
        min_heartbeat_interval_s=settings.min_heartbeat_interval_s,
    )
    config = PartyConfig(
        role,
        settings.public_url,
        offline_factor=settings.offline_factor,
        handshake_retry_s=settings.handshake_retry_s,
    )
    peers = Peers(PostgresPeerStore(db.pool, schemas.peers))
    party = OscpParty(config, peers, clock, policy=policy, handlers=handlers, listener=listener)
    party.server.handlers = inbox.recording(party.server.handlers)
    return PeerParts(db, inbox, party)


def peer_service(
    settings: OscpPeerSettings,
    registry: CollectorRegistry,
    parts: PeerParts,
    *,
    routes: Sequence[web.RouteDef] = (),
    loops: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
) -> Service:
    """The runnable service: OSCP endpoints, operator API, the party's loops and ``loops``."""
    token = settings.admin_token.get_secret_value()
    party = parts.party
    return Service(
        settings=settings,
        registry=registry,
        components=[parts.db, party],
        loops=[*party.loops(), *loops],
        routes=[
            *party.routes(),
            openapi_route(party.role),
            *admin_routes(party, token),
            *inbox_routes(parts.inbox, token),
            *heartbeat_routes(party, token),
            *routes,
        ],
    )


SendErrors = dict[str, dict[str, object]]


async def send_each(
    party: OscpParty,
    peers: Sequence[Peer],
    endpoint: Endpoint,
    message: BaseModel,
    correlation_id: str | None = None,
) -> tuple[dict[str, str], SendErrors]:
    """Send ``message`` to each peer: the request ids by peer, and the failures by peer
    (``{"status": <the peer's HTTP status or None>, "message": ...}``)."""
    sent: dict[str, str] = {}
    errors: SendErrors = {}
    for peer in peers:
        try:
            sent[peer.peer_id] = await party.send(
                peer, endpoint, message, correlation_id=correlation_id
            )
        except PeerError as exc:
            errors[peer.peer_id] = {"status": exc.status, "message": exc.message}
        except (PeerUnreachable, NotConnected) as exc:
            errors[peer.peer_id] = {"status": None, "message": str(exc)}
    for peer_id, error in errors.items():
        log.warning("%s not delivered: %s", endpoint.value, error, extra={"peer": peer_id})
    return sent, errors


class PushRequest(BaseModel):
    """Body of the operator's "send this forecast now" routes."""

    model_config = ConfigDict(extra="forbid")
    peer_id: str | None = None
    """One FP; absent: every connected FP."""
    forecast: UpdateGroupCapacityForecast
    correlation_id: str | None = None
    """The X-Correlation-ID to send, if the forecast answers a request."""


def push_forecast_route(path: str, party: OscpParty, admin_token: str) -> web.RouteDef:
    """``POST <path>`` :class:`PushRequest`: send the forecast to the FP(s) now.

    200 ``{"request_ids": {peer: id}, "errors": {}}``; 502 with the same body when a peer
    did not accept it (``errors`` names its status and message); 409 when no FP (or the named
    one) is connected; 404 for an unknown peer."""

    async def push(request: web.Request) -> web.Response:
        body = PushRequest.model_validate_json(await request.read())
        if body.peer_id is not None:
            peer = party.peers.get(body.peer_id)
            if not peer.connected:
                raise NotConnected(f"{peer.peer_id} is not registered and handshaken")
            targets = [peer]
        else:
            targets = party.connected(Role.FP)
        if not targets:
            return json_error(409, "no Flexibility Provider is connected")
        sent, errors = await send_each(
            party,
            targets,
            Endpoint.UPDATE_GROUP_CAPACITY_FORECAST,
            body.forecast,
            body.correlation_id,
        )
        status = 502 if errors else 200
        return web.json_response({"request_ids": sent, "errors": errors}, status=status)

    return web.post(path, admin_guard(admin_token)(push))
