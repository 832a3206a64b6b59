"""The guard of every operator route of an OSCP party (``/admin/...``): the admin token, and
the mapping of the engine's exceptions to HTTP statuses, in one place.

Every call must present ``Authorization: Bearer <admin token>`` (compared in constant time);
otherwise 401. An unknown peer is a 404, an invalid body a 400, a peer that is not registered
or handshaken a 409, a peer that refuses or cannot be reached a 502.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import ValidationError

from wiseevp_common.http import json_error

from .errors import NotConnected, PeerError, PeerUnreachable
from .peers import UnknownPeer
from .server import describe_validation_error

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Guard = Callable[[RouteHandler], RouteHandler]


def admin_guard(admin_token: str) -> Guard:
    """A decorator of route handlers: the admin token check and the error mapping."""
    if not admin_token:
        raise ValueError("an admin token is required")
    expected = f"Bearer {admin_token}".encode()

    def guarded(handler: RouteHandler) -> RouteHandler:
        async def wrapper(request: web.Request) -> web.StreamResponse:
            presented = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(presented, expected):
                return json_error(401, "admin token required: Authorization: Bearer <token>")
            try:
                return await handler(request)
            except UnknownPeer as exc:
                return json_error(404, f"unknown peer {exc.args[0]!r}")
            except ValidationError as exc:
                return json_error(400, describe_validation_error(exc))
            except NotConnected as exc:
                return json_error(409, str(exc))
            except (PeerError, PeerUnreachable) as exc:
                return json_error(502, f"the peer did not accept: {exc}")

        return wrapper

    return guarded
