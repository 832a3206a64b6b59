"""A tiny OCPP 1.6 central system for the simulator's tests: ``websockets`` server on port 0 plus
``ocpp.v16.ChargePoint`` on the server side. It records what every station sends."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import ssl
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from wiseevp_common.clock import ManualClock


def _now() -> str:
    return datetime.now(UTC).isoformat()


class _StationSide(ChargePoint):
    """The central system's end of one station's connection."""

    def __init__(self, station_id: str, ws: ServerConnection, system: CentralSystem) -> None:
        super().__init__(station_id, ws)
        self.system = system

    def _record(self, action: str, payload: dict[str, Any]) -> None:
        self.system.received[self.id].append((action, payload))

    @on(Action.boot_notification)
    def on_boot_notification(self, **payload: Any) -> call_result.BootNotification:
        self._record("BootNotification", payload)
        return call_result.BootNotification(
            current_time=_now(),
            interval=self.system.heartbeat_interval,
            status=self.system.boot_status,
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **payload: Any) -> call_result.Heartbeat:
        self._record("Heartbeat", payload)
        return call_result.Heartbeat(current_time=_now())

    @on(Action.status_notification)
    def on_status_notification(self, **payload: Any) -> call_result.StatusNotification:
        self._record("StatusNotification", payload)
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag: str, **payload: Any) -> call_result.Authorize:
        self._record("Authorize", {"id_tag": id_tag})
        return call_result.Authorize(id_tag_info=self.system.id_tag_info(id_tag))

    @on(Action.start_transaction)
    def on_start_transaction(self, **payload: Any) -> call_result.StartTransaction:
        transaction_id = next(self.system.transaction_ids)
        self._record("StartTransaction", payload | {"assigned_transaction_id": transaction_id})
        return call_result.StartTransaction(
            transaction_id=transaction_id, id_tag_info=self.system.id_tag_info(payload["id_tag"])
        )

    @on(Action.meter_values)
    def on_meter_values(self, **payload: Any) -> call_result.MeterValues:
        self._record("MeterValues", payload)
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    def on_stop_transaction(self, **payload: Any) -> call_result.StopTransaction:
        self._record("StopTransaction", payload)
        return call_result.StopTransaction()


class CentralSystem:
    """Records per station: ``received`` (action, snake_case payload), ``auth_headers``,
    ``paths``, ``connects``. ``refuse = True`` answers new handshakes with HTTP 503."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.received: defaultdict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        self.auth_headers: dict[str, str | None] = {}
        self.paths: list[str] = []
        self.connects: defaultdict[str, int] = defaultdict(int)
        self.stations: dict[str, _StationSide] = {}
        self.transaction_ids = itertools.count(1001)
        self.heartbeat_interval = 300
        self.boot_status = RegistrationStatus.accepted
        self.invalid_tags: set[str] = set()
        self.parents: dict[str, str] = {}
        self.refuse = False
        self._server: Server | None = None

    def id_tag_info(self, id_tag: str) -> dict[str, str]:
        status = (
            AuthorizationStatus.invalid
            if id_tag in self.invalid_tags
            else AuthorizationStatus.accepted
        )
        info = {"status": status.value}
        if id_tag in self.parents:
            info["parentIdTag"] = self.parents[id_tag]
        return info

    @property
    def url(self) -> str:
        assert self._server is not None
        port = next(iter(self._server.sockets)).getsockname()[1]
        scheme = "wss" if self.tls else "ws"
        return f"{scheme}://127.0.0.1:{port}/ocpp"

    async def __aenter__(self) -> CentralSystem:
        self._server = await serve(
            self._handle, "127.0.0.1", 0, subprotocols=["ocpp1.6"],
            process_request=self._process_request, ssl=self.tls,
        )  # fmt: skip
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        station_id = unquote(request.path.rsplit("/", 1)[-1])
        self.paths.append(request.path)
        self.auth_headers[station_id] = request.headers.get("Authorization")
        if self.refuse:
            return connection.respond(503, "central system down\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        station_id = unquote(ws.request.path.rsplit("/", 1)[-1])
        side = _StationSide(station_id, ws, self)
        self.stations[station_id] = side
        self.connects[station_id] += 1
        with contextlib.suppress(ConnectionClosed):
            await side.start()

    async def drop(self, station_id: str) -> None:
        """Close the station's websocket from the server side."""
        await self.stations[station_id]._connection.close()

    async def call(self, station_id: str, payload: Any) -> Any:
        """CALL the station; a CALLERROR raises the matching ``OCPPError``."""
        return await self.stations[station_id].call(payload, suppress=False)

    def payloads(self, station_id: str, action: str) -> list[dict[str, Any]]:
        return [p for a, p in self.received[station_id] if a == action]


def sampled(meter_values_payload: dict[str, Any]) -> dict[str, float]:
    """measurand → value of the (single) MeterValue in a MeterValues payload."""
    (value,) = meter_values_payload["meter_value"]
    return {s["measurand"]: float(s["value"]) for s in value["sampled_value"]}


async def advance_until(
    clock: ManualClock, predicate: Callable[[], bool], step_s: float = 1.0, timeout: float = 5.0
) -> None:
    """Advance ``clock`` by ``step_s`` at a time (letting the network work in between) until
    ``predicate`` is true; fail after ``timeout`` real seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await clock.advance(step_s)
            await asyncio.sleep(0.005)


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``predicate`` (real time) until true; fail after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)
