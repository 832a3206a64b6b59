"""Receiving OSCP messages: the request pipeline of every endpoint, and the one place where
failures become HTTP statuses with ``{"message": ...}`` (4.1.3).

Order of checks: X-Request-ID (400) → Authorization token (401) → the peer's role may call
this endpoint here (403) → registration and handshake done (403) → segments reassembled →
JSON payload valid (400) → handler (its :class:`~.errors.OscpError`) → 204. The handler may
return a follow-up, started only once the 204 has been written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from .client import new_request_id
from .endpoints import ENDPOINTS, Endpoint, Header, Role, base_path, served_by
from .errors import Forbidden, InvalidPayload, NotHandshaken, OscpError
from .followups import FollowUps
from .peers import HandshakeState, Peer, Peers, Registration
from .segments import Reassembler, SegmentError, parse_segment_headers
from .tokens import parse_authorization

log = logging.getLogger("wiseevp.oscp.server")

MAX_BODY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Inbound:
    """A received, authenticated, valid message."""

    peer: Peer
    endpoint: Endpoint
    method: str
    request_id: str
    correlation_id: str | None
    message: BaseModel | None


FollowUp = Callable[[], Coroutine[Any, Any, None]]
Handler = Callable[[Inbound], Awaitable[FollowUp | None]]

_CONNECTION_ENDPOINTS = frozenset(
    {Endpoint.REGISTER, Endpoint.HANDSHAKE, Endpoint.HANDSHAKE_ACKNOWLEDGE}
)


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def parse_message(model: type[BaseModel], body: bytes) -> BaseModel:
    if not body:
        raise InvalidPayload("the request has no JSON body")
    try:
        json.loads(body)
    except ValueError as exc:
        raise InvalidPayload(f"the body is not valid JSON: {exc}") from None
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidPayload(
            f"invalid {model.__name__}: {describe_validation_error(exc)}"
        ) from None


def _error(exc: OscpError, request_id: str | None) -> web.Response:
    headers = {Header.REQUEST_ID.value: new_request_id()}
    if request_id:
        headers[Header.CORRELATION_ID.value] = request_id
    return web.json_response({"message": exc.message}, status=exc.status, headers=headers)


class OscpServer:
    """The endpoints of one role, dispatching valid messages to ``handlers``."""

    def __init__(
        self,
        role: Role,
        peers: Peers,
        handlers: Mapping[Endpoint, Handler],
        reassembler: Reassembler,
        followups: FollowUps,
    ) -> None:
        missing = {s.endpoint for s in served_by(role)} - set(handlers)
        if missing:
            raise ValueError(f"no handler for {sorted(missing)}")
        self.role = role
        self.peers = peers
        self.handlers = handlers
        self.reassembler = reassembler
        self.followups = followups

    def routes(self) -> list[web.RouteDef]:
        routes = []
        for spec in served_by(self.role):
            path = f"{base_path(self.role)}/{spec.endpoint.value}"
            methods = ("POST", "PUT", "DELETE") if spec.endpoint is Endpoint.REGISTER else ("POST",)
            for method in methods:
                routes.append(web.route(method, path, self._route(spec.endpoint)))
        return routes

    def _route(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            request_id = request.headers.get(Header.REQUEST_ID.value)
            try:
                return await self._handle(request, endpoint, request_id)
            except OscpError as exc:
                log.info(
                    "refused %s %s: %s %s",
                    request.method,
                    endpoint.value,
                    exc.status,
                    exc.message,
                )
                return _error(exc, request_id)

        return handle

    def _gate(self, peer: Peer, endpoint: Endpoint) -> None:
        allowed = ENDPOINTS[endpoint].senders[self.role]
        if peer.role not in allowed:
            raise Forbidden(
                f"a {peer.role.long_name} may not send {ENDPOINTS[endpoint].title} to a "
                f"{self.role.long_name}"
            )
        if endpoint is Endpoint.REGISTER:
            return
        if peer.registration is not Registration.REGISTERED:
            raise Forbidden("the registration is not completed (OSCP 3.1.1)")
        if endpoint not in _CONNECTION_ENDPOINTS and peer.handshake is not HandshakeState.COMPLETE:
            raise NotHandshaken()

    async def _handle(
        self, request: web.Request, endpoint: Endpoint, request_id: str | None
    ) -> web.StreamResponse:
        if not request_id or not request_id.strip():
            raise InvalidPayload("the X-Request-ID header is missing (OSCP 4.1.2)")
        token = parse_authorization(request.headers.get(Header.AUTHORIZATION.value))
        peer = await self.peers.authenticate(token)
        self._gate(peer, endpoint)
        correlation_id = request.headers.get(Header.CORRELATION_ID.value)
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            raise InvalidPayload(f"the body exceeds {MAX_BODY_BYTES} bytes")
        body = await request.read()
        message_id = request_id  # the message's X-Request-ID: the first segment's, if segmented
        try:
            segment = parse_segment_headers(request.headers)
            if segment is not None:
                assembled = self.reassembler.add(
                    peer.peer_id, request_id, correlation_id, segment[0], segment[1], body
                )
                if assembled is None:
                    return await self._respond(request, request_id, None, endpoint)
                body = assembled.body
                message_id, correlation_id = assembled.request_id, assembled.correlation_id
        except SegmentError as exc:
            raise InvalidPayload(str(exc)) from None
        message = None
        if not (endpoint is Endpoint.REGISTER and request.method == "DELETE"):
            message = parse_message(ENDPOINTS[endpoint].message, body)
        inbound = Inbound(peer, endpoint, request.method, message_id, correlation_id, message)
        follow_up = await self.handlers[endpoint](inbound)
        # the response answers this request (a segment's own X-Request-ID, 4.1.2)
        return await self._respond(request, request_id, follow_up, endpoint)

    async def _respond(
        self,
        request: web.Request,
        request_id: str,
        follow_up: FollowUp | None,
        endpoint: Endpoint,
    ) -> web.StreamResponse:
        response = web.Response(
            status=204,
            headers={
                Header.REQUEST_ID.value: new_request_id(),
                Header.CORRELATION_ID.value: request_id,
            },
        )
        if follow_up is not None:
            # the 204 goes out first (3.1.2, FR.01), then the follow-up may talk to the peer
            await response.prepare(request)
            await response.write_eof()
            self.followups.spawn(follow_up(), f"after {endpoint.value} {request_id}")
        return response
