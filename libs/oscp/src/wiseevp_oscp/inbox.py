"""What a party run for testing (the CP and CO peer services) offers its operator: a
PostgreSQL record of every message it accepted, and a switch to stop its heartbeats.

- :class:`Inbox` stores each accepted message (``<schema>.oscp_inbox``, migrations in
  :data:`INBOX_MIGRATIONS`) with the time of the party's clock; :meth:`Inbox.recording` wraps
  a party's handlers so that every endpoint records what it accepted;
- :func:`inbox_routes`: ``GET /admin/oscp/inbox?endpoint=&after=&limit=``;
- :func:`heartbeat_routes`: ``GET|POST /admin/oscp/heartbeats`` ``{"paused": bool}`` pauses
  the party's heartbeats (and the handshakes it starts), so a test can let the other party
  see it go offline.

A message is recorded once its handler accepted it (a refused message is not), before the
204 is sent. A Register's token is never stored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from wiseevp_common.clock import Clock
from wiseevp_common.messages.oscp20 import Register

from .admin_guard import admin_guard
from .endpoints import Endpoint
from .party import OscpParty
from .server import FollowUp, Handler, Inbound

INBOX_MIGRATIONS = Path(__file__).parent / "inbox_migrations"
"""The inbox table's migrations; a service applies them to a schema of its own."""

DEFAULT_LIST_LIMIT = 1000
MAX_LIST_LIMIT = 10_000
REDACTED = "***"
ADMIN_PREFIX = "/admin/oscp"


@dataclass(frozen=True)
class InboxEntry:
    """One accepted message."""

    id: int
    received_at: datetime
    peer_id: str
    endpoint: str
    method: str
    request_id: str
    correlation_id: str | None
    body: Any
    """The JSON body as received (a Register's token replaced by ``***``); None without body."""

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            "peer_id": self.peer_id,
            "endpoint": self.endpoint,
            "method": self.method,
            "request_id": self.request_id,
            "correlation_id": self.correlation_id,
            "body": self.body,
        }


def stored_body(message: BaseModel | None) -> str | None:
    """The JSON text stored for a message: its wire form, without a Register's token."""
    if message is None:
        return None
    if isinstance(message, Register):
        message = message.model_copy(update={"token": REDACTED})
    return message.model_dump_json(exclude_none=True)


class Inbox:
    def __init__(self, pool: asyncpg.Pool, schema: str, clock: Clock) -> None:
        if not schema.isidentifier():
            raise ValueError(f"not a schema name: {schema!r}")
        self.pool = pool
        self.table = f"{schema}.oscp_inbox"
        self.clock = clock

    async def record(self, inbound: Inbound) -> int:
        """Store an accepted message; its inbox id."""
        entry_id = await self.pool.fetchval(
            f"""INSERT INTO {self.table}
                    (received_at, peer_id, endpoint, method, request_id, correlation_id, body)
                VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id""",
            self.clock.now(),
            inbound.peer.peer_id,
            inbound.endpoint.value,
            inbound.method,
            inbound.request_id,
            inbound.correlation_id,
            stored_body(inbound.message),
        )
        return int(entry_id)

    async def list(
        self,
        endpoint: Endpoint | None = None,
        after_id: int | None = None,
        limit: int = DEFAULT_LIST_LIMIT,
    ) -> list[InboxEntry]:
        """Messages in the order received, of one endpoint if given, after an id if given."""
        rows = await self.pool.fetch(
            f"""SELECT id, received_at, peer_id, endpoint, method, request_id, correlation_id,
                       body
                FROM {self.table}
                WHERE ($1::text IS NULL OR endpoint = $1) AND id > $2
                ORDER BY id LIMIT $3""",
            endpoint.value if endpoint is not None else None,
            after_id or 0,
            limit,
        )
        return [
            InboxEntry(
                id=row["id"],
                received_at=row["received_at"],
                peer_id=row["peer_id"],
                endpoint=row["endpoint"],
                method=row["method"],
                request_id=row["request_id"],
                correlation_id=row["correlation_id"],
                body=json.loads(row["body"]) if row["body"] is not None else None,
            )
            for row in rows
        ]

    def recording(self, handlers: Mapping[Endpoint, Handler]) -> dict[Endpoint, Handler]:
        """``handlers``, each recording the message once it has accepted it."""

        def wrap(handler: Handler) -> Handler:
            async def record_accepted(inbound: Inbound) -> FollowUp | None:
                follow_up = await handler(inbound)
                await self.record(inbound)
                return follow_up

            return record_accepted

        return {endpoint: wrap(handler) for endpoint, handler in handlers.items()}


class InboxQuery(BaseModel):
    """The query string of ``GET /admin/oscp/inbox``."""

    model_config = ConfigDict(extra="forbid")
    endpoint: Endpoint | None = None
    after: int = Field(default=0, ge=0)
    limit: int = Field(default=DEFAULT_LIST_LIMIT, ge=1, le=MAX_LIST_LIMIT)


class HeartbeatSwitch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paused: bool


def inbox_routes(inbox: Inbox, admin_token: str) -> list[web.RouteDef]:
    """``GET /admin/oscp/inbox``: ``{"messages": [...]}`` in the order received."""
    guarded = admin_guard(admin_token)

    async def listing(request: web.Request) -> web.Response:
        given = {key: value for key, value in request.query.items() if value != ""}
        query = InboxQuery.model_validate(given)
        entries = await inbox.list(query.endpoint, query.after, query.limit)
        return web.json_response({"messages": [e.public() for e in entries]})

    return [web.get(ADMIN_PREFIX + "/inbox", guarded(listing))]


def heartbeat_routes(party: OscpParty, admin_token: str) -> list[web.RouteDef]:
    """``GET|POST /admin/oscp/heartbeats``: whether the party's heartbeats are paused; a POST
    of ``{"paused": true}`` stops them (an outage as the other party sees it), ``false``
    resumes them."""
    guarded = admin_guard(admin_token)

    async def state(_: web.Request) -> web.Response:
        return web.json_response({"paused": party.liveness.paused})

    async def switch(request: web.Request) -> web.Response:
        body = HeartbeatSwitch.model_validate_json(await request.read())
        party.pause_heartbeats(body.paused)
        return web.json_response({"paused": party.liveness.paused})

    return [
        web.get(ADMIN_PREFIX + "/heartbeats", guarded(state)),
        web.post(ADMIN_PREFIX + "/heartbeats", guarded(switch)),
    ]
