"""The OCPP 1.6-J WebSocket server: a runner component holding every station connection."""

from __future__ import annotations

import logging
import ssl
import weakref
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from wiseevp_common.clock import Clock

from .framing import SUBPROTOCOL
from .handshake import Admission, Gatekeeper, Refusal, refusal_response
from .links import Links, StationLink
from .rate_limit import TokenBucket
from .registry import Registry
from .session import OcppSession
from .settings import EvseWrapperSettings
from .station_calls import HANDLED_ACTIONS, Publish, StationCalls

log = logging.getLogger("evse_wrapper.server")


class OcppServer:
    name = "ocpp-server"

    def __init__(
        self,
        settings: EvseWrapperSettings,
        registry: Registry,
        links: Links,
        publish: Publish,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self._registry = registry
        self._links = links
        self._publish = publish
        self._clock = clock
        self._gatekeeper = Gatekeeper(
            registry,
            settings.ocpp_path_prefix,
            auto_register=settings.auto_register,
            require_auth=settings.security_profile >= 1,
        )
        self._server: Server | None = None
        self._admitted: weakref.WeakKeyDictionary[ServerConnection, Admission] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def port(self) -> int:
        assert self._server is not None
        sockets = list(self._server.sockets)
        return int(sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await serve(
            self._handle,
            self.settings.ocpp_host,
            self.settings.ocpp_port,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            process_request=self._process_request,
            max_size=self.settings.max_frame_bytes,
            compression=None,  # permessage-deflate costs ~100 kB per connection
            ssl=self._ssl_context(),
            ping_interval=60,
            ping_timeout=60,
            server_header="wiseevp-evse-wrapper",
        )
        log.info("OCPP server listening", extra={"port": self.port})

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()
            self._server = None

    async def healthy(self) -> bool:
        return self._server is not None and self._server.is_serving()

    def _ssl_context(self) -> ssl.SSLContext | None:
        if self.settings.security_profile < 2:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(str(self.settings.tls_cert_file), str(self.settings.tls_key_file))
        return context

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        verdict = await self._gatekeeper.check(request)
        if isinstance(verdict, Refusal):
            log.info("handshake refused", extra={"path": request.path, "why": verdict.message})
            return refusal_response(connection, verdict)
        self._admitted[connection] = verdict
        return None

    async def _handle(self, websocket: ServerConnection) -> None:
        admission = self._admitted.pop(websocket)
        station_id, station = admission.station_id, admission.station
        now = self._clock.now()
        if station is None:
            await self._registry.add_station(station_id, None, now, auto=True)
        calls = StationCalls(
            station_id,
            self._registry,
            self._publish,
            self._clock,
            heartbeat_interval=self.settings.heartbeat_interval_s,
            accept_unknown_id_tags=self.settings.accept_unknown_id_tags,
        )
        holder: dict[str, Any] = {}
        session = OcppSession(
            station_id,
            websocket,
            calls,
            HANDLED_ACTIONS,
            call_timeout=self.settings.call_timeout_s,
            rate_limit=TokenBucket(self.settings.rate_limit_per_s, self.settings.rate_limit_burst),
            on_activity=lambda: self._links.seen(holder["link"]),
            on_answered=lambda action: self._links.on_answered(holder["link"], action),
        )
        link = StationLink(station_id, session, now, now)
        holder["link"] = link
        await self._links.serve(link, probe=station is None or station.feature_profiles is None)
