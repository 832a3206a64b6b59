"""One simulated charge point: an ``ocpp.v16.ChargePoint`` that keeps its state (sessions,
configuration keys, profiles, reservations, the transaction queue) across connections; each new
websocket is served by :meth:`Station.serve` (boot, status notifications, heartbeats, delivery).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
from dataclasses import dataclass, replace
from typing import Any

from ocpp.exceptions import OCPPError
from ocpp.v16 import call
from ocpp.v16.enums import (
    ChargePointErrorCode,
    ChargePointStatus,
    RegistrationStatus,
    ResetType,
)
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from wiseevp_common.clock import Clock

from . import smart_charging, start_flow
from .config import FeatureProfile, StationConfig
from .config_keys import ConfigurationStore
from .connector import Connector, PlugResult
from .ev import Ev, random_ev
from .handlers import Job, StationHandlers
from .outbox import Outbox
from .profile_store import ProfileStore
from .registration import register, watch_reset
from .reservations import ReservationBook
from .sessions import SessionManager
from .snapshot import station_snapshot
from .stats import StationStats
from .timing import iso
from .transaction_queue import TxRequest

log = logging.getLogger(__name__)


class Offline(Exception):
    """The station has no accepted connection to the central system."""


class NoResponse(Offline):
    """A CALL was not answered in time; the connection is considered dead."""


class ConnectionEnded(Exception):
    """The websocket closed."""


@dataclass
class Link:
    ws: ClientConnection
    closed: asyncio.Future[None]
    ready: asyncio.Event  # booted (or already booted before): every message may be sent


class Station(StationHandlers):
    def __init__(
        self,
        config: StationConfig,
        clock: Clock,
        *,
        rng: random.Random | None = None,
        response_timeout_s: float = 30.0,
        validate_schemas: bool = True,
        drain_timeout_s: float = 2.0,
        ev_v2g_share: float = 0.5,
    ) -> None:
        super().__init__(
            config.id, None, response_timeout_s, logging.getLogger("cp_simulator.ocpp")
        )
        self.config, self.clock = config, clock
        self.rng = rng or random.Random(config.id)
        self.drain_timeout_s, self.ev_v2g_share = drain_timeout_s, ev_v2g_share
        self.validate_schemas = validate_schemas
        self.counters = StationStats()
        self.keys = ConfigurationStore(config)
        self.outbox = Outbox(clock, self.counters)
        self.sessions = SessionManager(
            config,
            clock,
            keys=self.keys,
            profiles=ProfileStore(),
            reservations=ReservationBook(),
            port=self,
            stats=self.counters,
        )
        self.jobs: asyncio.Queue[Job] = asyncio.Queue()
        self.reset_requests: asyncio.Queue[ResetType] = asyncio.Queue()
        self.registration: RegistrationStatus | None = None
        self._link: Link | None = None
        self.booted = asyncio.Event()
        self.boot_now = asyncio.Event()
        self._ev_numbers = itertools.count(1)

    # -- public API ----------------------------------------------------------------------------

    @property
    def online(self) -> bool:
        """Connected and accepted by the central system."""
        return self._link is not None and self._link.ready.is_set()

    @property
    def connected(self) -> bool:
        return self._link is not None

    async def wait_accepted(self) -> None:
        """Return once a BootNotification has been Accepted (since start or the last reset)."""
        await self.booted.wait()

    def connector(self, connector_id: int) -> Connector:
        return self.sessions.connector(connector_id)

    def new_ev(self, id_tag: str | None = None) -> Ev:
        """A random plausible EV (seeded by the station's RNG)."""
        ev = random_ev(self.rng, f"{self.id}-EV{next(self._ev_numbers)}", self.ev_v2g_share)
        return ev if id_tag is None else replace(ev, id_tag=id_tag)

    async def plug_in(
        self, connector_id: int, ev: Ev | None = None, *, present_tag: bool = True
    ) -> PlugResult:
        """Plug ``ev`` (a random one if ``None``) in; with ``present_tag`` it authorizes and starts
        a transaction, otherwise it waits for a RemoteStartTransaction."""
        return await start_flow.plug_in(
            self.sessions, connector_id, ev or self.new_ev(), present_tag=present_tag
        )

    async def unplug(self, connector_id: int) -> None:
        """The EV leaves now (a running transaction stops with reason EVDisconnected)."""
        conn = self.sessions.connector(connector_id)
        if conn.ev is not None:
            self.sessions.leave(conn)

    async def drained(self) -> None:
        """Return once nothing is waiting to be sent (while connected: all delivered)."""
        await self.outbox.drained()

    def stats(self) -> dict[str, Any]:
        """Counters and gauges of this station (see :func:`.snapshot.station_snapshot`)."""
        return station_snapshot(self)

    # -- SessionPort ---------------------------------------------------------------------------

    async def authorize(self, id_tag: str) -> dict[str, Any] | None:
        try:
            result = await self.send(call.Authorize(id_tag=id_tag))
        except (Offline, OCPPError):
            return None
        return dict(result.id_tag_info)

    def send_status(
        self, connector_id: int, status: ChargePointStatus, error: ChargePointErrorCode, at: Any
    ) -> None:
        if self.online:
            self.outbox.push_control(
                call.StatusNotification(
                    connector_id=connector_id, error_code=error, status=status, timestamp=iso(at)
                )
            )

    def queue_transaction_message(self, tx_ref: int, request: TxRequest) -> None:
        self.outbox.push_transaction(tx_ref, request)

    # -- hooks for the handlers ----------------------------------------------------------------

    def boot_request(self) -> call.BootNotification:
        return call.BootNotification(
            charge_point_vendor=self.config.vendor,
            charge_point_model=self.config.model,
            charge_point_serial_number=self.config.serial_number or self.id,
            firmware_version=self.config.firmware_version,
        )

    def request_boot(self) -> None:
        self.boot_now.set()

    async def remote_start(
        self, connector_id: int, id_tag: str, profile: dict[str, Any] | None
    ) -> None:
        conn = self.sessions.connector(connector_id)
        authorized = not self.keys.authorize_remote_tx
        if conn.ev is not None and conn.tx is None and not conn.finished:
            result = await start_flow.begin(self.sessions, conn, id_tag, authorized=authorized)
        else:
            ev = self.new_ev(id_tag)
            result = await start_flow.plug_in(
                self.sessions, connector_id, ev, authorized=authorized
            )
        smart = self.config.supports(FeatureProfile.SMART_CHARGING)
        if result is PlugResult.STARTED and profile is not None and smart:
            now = self.clock.now()
            smart_charging.set_profile(self.config, self.sessions, connector_id, profile, now)
            self._changed()

    # -- messaging -----------------------------------------------------------------------------

    async def send(self, request: Any) -> Any:
        """CALL the central system and return the response payload. Raises :class:`Offline`
        (no accepted connection, or it closed meanwhile), :class:`NoResponse`, ``OCPPError``."""
        link = self._link
        if link is None or not (link.ready.is_set() or isinstance(request, call.BootNotification)):
            raise Offline(self.id)
        self.counters.calls_sent += 1
        skip = not self.validate_schemas
        task = asyncio.ensure_future(
            self.call(request, suppress=False, skip_schema_validation=skip)
        )
        try:
            await asyncio.wait({task, link.closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if task.cancelled():
            raise Offline(self.id)
        try:
            result = task.result()
        except OCPPError:
            self.counters.call_errors_received += 1
            raise
        except TimeoutError as exc:
            self.counters.response_timeouts += 1
            raise NoResponse(f"{self.id}: no response to {type(request).__name__}") from exc
        except ConnectionClosed as exc:
            raise Offline(self.id) from exc
        self.counters.responses_received += 1
        return result

    async def _send(self, message: str) -> None:
        if message.startswith(("[3", "[4")):
            self.counters.calls_received += 1
            self.counters.call_errors_sent += message.startswith("[4")
        await super()._send(message)

    # -- one connection ------------------------------------------------------------------------

    async def serve(self, ws: ClientConnection) -> None:
        """Run the protocol on ``ws`` until it closes (or a Reset closes it)."""
        link = Link(ws, asyncio.get_running_loop().create_future(), asyncio.Event())
        self._connection, self._response_queue, self._link = ws, asyncio.Queue(), link
        self.counters.connects += 1
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._receive())
                tg.create_task(register(self, link))
                tg.create_task(watch_reset(self, link))
                tg.create_task(self._when_ready(link, self._deliver))
        except* (ConnectionEnded, Offline, ConnectionClosed):
            pass
        finally:
            self._link = None
            link.closed.set_result(None)
            self.counters.disconnects += 1

    async def _receive(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self.start()
        raise ConnectionEnded(self.id)

    async def _when_ready(self, link: Link, work: Job) -> None:
        await link.ready.wait()
        await work()

    async def _deliver(self) -> None:
        await self.outbox.run(
            self.send,
            on_control_result=self._on_control_result,
            on_started=self._on_started,
            attempts=lambda: self.keys.transaction_attempts,
            retry_interval_s=lambda: self.keys.transaction_retry_interval_s,
        )

    def _on_started(self, tx_ref: int, result: Any) -> None:
        status = dict(result.id_tag_info).get("status")
        self.sessions.transaction_confirmed(tx_ref, result.transaction_id, status)

    def _on_control_result(self, request: Any, result: Any) -> None:
        if isinstance(request, call.BootNotification):
            self.apply_boot(result)

    def apply_boot(self, result: Any) -> None:
        """Take a BootNotification response into account."""
        self.registration = RegistrationStatus(result.status)
        if result.interval > 0 and self.registration is RegistrationStatus.accepted:
            self.keys.set("HeartbeatInterval", str(result.interval))
        if self.registration is RegistrationStatus.accepted and not self.booted.is_set():
            self.counters.boots_accepted += 1
            self.booted.set()
            self.sessions.accepting = True

    async def run_jobs(self) -> None:
        """Work the handlers queued (remote starts); runs for the station's lifetime."""
        while True:
            job = await self.jobs.get()
            try:
                await job()
            except Exception:
                log.exception("%s: queued job failed", self.id)
