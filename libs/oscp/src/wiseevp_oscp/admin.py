"""The operator's HTTP API for OSCP peers of a party (``/admin/oscp/...``), used by each
service's CLI: out-of-band token exchange, registration, handshake, token rotation, state.

Enabled only when an admin token is configured; every call must present it as
``Authorization: Bearer <admin token>`` (compared in constant time). Peer tokens appear in
responses only where the operator must hand them over (an invitation), never in logs.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from .admin_guard import RouteHandler, admin_guard
from .endpoints import Role
from .party import OscpParty

ADMIN_PREFIX = "/admin/oscp"

__all__ = ["ADMIN_PREFIX", "RouteHandler", "admin_routes"]


class InviteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role


class ExpectRequest(BaseModel):
    """A peer's base URL and the token it issued to us, received out of band."""

    model_config = ConfigDict(extra="forbid")
    role: Role
    base_url: str = Field(min_length=1, max_length=255)
    token: str = Field(min_length=1)


def admin_routes(party: OscpParty, admin_token: str) -> list[web.RouteDef]:
    guarded = admin_guard(admin_token)

    async def peers(_: web.Request) -> web.Response:
        return web.json_response({"peers": [p.public() for p in party.peers.all()]})

    async def invite(request: web.Request) -> web.Response:
        body = InviteRequest.model_validate_json(await request.read())
        token = await party.registrar.invite(request.match_info["peer_id"], body.role)
        return web.json_response({"token": token, "base_url": party.registrar.our_base_url})

    async def expect(request: web.Request) -> web.Response:
        body = ExpectRequest.model_validate_json(await request.read())
        await party.registrar.expect(
            request.match_info["peer_id"], body.role, body.base_url, body.token
        )
        return web.Response(status=204)

    async def register(request: web.Request) -> web.Response:
        await party.registrar.register(request.match_info["peer_id"])
        return web.Response(status=204)

    async def rotate(request: web.Request) -> web.Response:
        await party.registrar.rotate(request.match_info["peer_id"])
        return web.Response(status=204)

    async def unregister(request: web.Request) -> web.Response:
        await party.registrar.unregister(request.match_info["peer_id"])
        return web.Response(status=204)

    async def handshake(request: web.Request) -> web.Response:
        await party.handshakes.initiate(request.match_info["peer_id"])
        return web.Response(status=204)

    peer = ADMIN_PREFIX + "/peers/{peer_id}"
    return [
        web.get(ADMIN_PREFIX + "/peers", guarded(peers)),
        web.post(peer + "/invite", guarded(invite)),
        web.post(peer + "/expect", guarded(expect)),
        web.post(peer + "/register", guarded(register)),
        web.post(peer + "/rotate-token", guarded(rotate)),
        web.post(peer + "/handshake", guarded(handshake)),
        web.delete(peer + "/registration", guarded(unregister)),
    ]
