"""The Crevillent source: a phone app (OBD2 over Bluetooth) posts EV data over HTTP.

Routes (served on the wrapper's HTTP port, next to ``/healthz``; see the README):

- ``PUT  /api/v1/ingest/evs/{ev_id}/characteristics`` — body: the IOP characteristics;
- ``POST /api/v1/ingest/evs/{ev_id}/status`` — body: the IOP status; 409 until the EV's
  characteristics were PUT (since this process started: the app PUTs them on start and
  whenever it gets a 409).

202 (with ``{"id": ..., "accepted": "status"}``) once handed to the publisher. Validation
rules are in :mod:`.ingest_validation`; this module is the thin aiohttp side.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry

from wiseevp_common.clock import Clock
from wiseevp_common.http import json_error
from wiseevp_common.messages.iop import EvCharacteristics

from .base import EvSink
from .ingest_validation import (
    IngestRejected,
    bearer_token_ok,
    parse_characteristics,
    parse_status,
)
from .source_metrics import SourceMetrics

log = logging.getLogger("ev_wrapper.http_ingest")

INGEST_PREFIX = "/api/v1/ingest/evs"


class HttpIngestSource:
    name = "http"

    def __init__(
        self,
        organisation: str,
        token: str,
        clock: Clock,
        *,
        max_future_s: float = 300.0,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.organisation = organisation
        self._token = token
        self.clock = clock
        self.max_future_s = max_future_s
        self.metrics = SourceMetrics(self.name, registry)
        self.known: dict[str, EvCharacteristics] = {}
        """Characteristics PUT so far, by EV id."""
        self._sink: EvSink | None = None
        self.routes: list[web.RouteDef] = [
            web.put(f"{INGEST_PREFIX}/{{ev_id}}/characteristics", self.put_characteristics),
            web.post(f"{INGEST_PREFIX}/{{ev_id}}/status", self.post_status),
        ]

    async def healthy(self) -> bool:
        """Whether posted data is accepted (the source is running)."""
        return self._sink is not None

    async def run(self, sink: EvSink) -> None:
        if not self._token:
            log.warning("HTTP ingestion accepts requests without a token (WISEEVP_INGEST_TOKEN)")
        self._sink = sink
        try:
            await asyncio.Event().wait()
        finally:
            self._sink = None

    async def put_characteristics(self, request: web.Request) -> web.Response:
        async def accept(sink: EvSink, body: bytes) -> str:
            ev = parse_characteristics(request.match_info["ev_id"], body, self.organisation)
            self.known[ev.id] = ev
            await sink.characteristics(ev)
            return ev.id

        return await self._ingest(request, "characteristics", accept)

    async def post_status(self, request: web.Request) -> web.Response:
        async def accept(sink: EvSink, body: bytes) -> str:
            status = parse_status(
                request.match_info["ev_id"],
                body,
                self.organisation,
                self.clock.now(),
                self.max_future_s,
            )
            if status.id not in self.known:
                raise IngestRejected(
                    409, f"no characteristics of {status.id} yet: PUT them before its status"
                )
            await sink.status(status)
            return status.id

        return await self._ingest(request, "status", accept)

    async def _ingest(
        self,
        request: web.Request,
        kind: str,
        accept: Callable[[EvSink, bytes], Awaitable[str]],
    ) -> web.Response:
        if not bearer_token_ok(request.headers.get("Authorization"), self._token):
            return self._reject(request, IngestRejected(401, "missing or wrong bearer token"))
        sink = self._sink
        if sink is None:
            return json_error(503, "the ingestion source is not running")
        try:
            ev_id = await accept(sink, await request.read())
        except IngestRejected as exc:
            return self._reject(request, exc)
        self.metrics.count(kind)
        return web.json_response({"id": ev_id, "accepted": kind}, status=202)

    def _reject(self, request: web.Request, rejected: IngestRejected) -> web.Response:
        self.metrics.count(f"rejected_{rejected.status}")
        log.warning(
            "rejected %s %s from %s: %d %s",
            request.method,
            request.path,
            request.remote,
            rejected.status,
            rejected.message,
        )
        response = json_error(rejected.status, rejected.message)
        if rejected.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="wiseevp-ingest"'
        return response
