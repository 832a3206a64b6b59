"""Per connection: boot (and retry while Pending/Rejected), the status of every connector,
heartbeats; and the Reset procedure."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from ocpp.exceptions import OCPPError
from ocpp.v16 import call
from ocpp.v16.enums import ChargePointErrorCode, Reason, ResetType

from .timing import sleep_or_wake

if TYPE_CHECKING:
    from .station import Link, Station

log = logging.getLogger(__name__)
BOOT_RETRY_S = 60
NO_HEARTBEAT_CHECK_S = 3600


async def register(station: Station, link: Link) -> None:
    """Boot (first connection, after a reset, or always with ``boot_on_reconnect``), send every
    connector's status, then heartbeat every HeartbeatInterval (0: none)."""
    if not station.booted.is_set() or station.config.boot_on_reconnect:
        station.booted.clear()
        await boot(station)
    station.outbox.clear_control()
    link.ready.set()
    sessions, clock = station.sessions, station.clock
    sessions.refresh()
    station.send_status(0, sessions.status0, ChargePointErrorCode.no_error, clock.now())
    for conn in sessions.connectors.values():
        station.send_status(conn.id, conn.status, conn.error_code, clock.now())
    while True:
        interval = station.keys.heartbeat_interval_s
        await clock.sleep(interval if interval > 0 else NO_HEARTBEAT_CHECK_S)
        if interval > 0:
            try:
                await station.send(call.Heartbeat())
            except OCPPError:
                log.warning("%s: Heartbeat answered with a CALLERROR", station.id)


async def boot(station: Station) -> None:
    """BootNotification until Accepted; Pending/Rejected/CALLERROR: again after the interval
    the central system gave (or a TriggerMessage asks for it)."""
    while not station.booted.is_set():
        interval = BOOT_RETRY_S
        try:
            result = await station.send(station.boot_request())
            station.apply_boot(result)
            interval = result.interval if result.interval > 0 else BOOT_RETRY_S
        except OCPPError:
            log.warning("%s: BootNotification answered with a CALLERROR", station.id)
        if not station.booted.is_set():
            retry_at = station.clock.now() + timedelta(seconds=interval)
            await sleep_or_wake(station.clock, retry_at, station.boot_now)


async def watch_reset(station: Station, link: Link) -> None:
    """On Reset: stop the transactions, try to deliver their StopTransaction (for up to
    ``drain_timeout_s`` real seconds), close the connection so the station reconnects and boots
    again. A Hard reset also drops the reservations."""
    kind = await station.reset_requests.get()
    station.sessions.accepting = False
    station.sessions.stop_all(Reason.hard_reset if kind is ResetType.hard else Reason.soft_reset)
    try:
        async with asyncio.timeout(station.drain_timeout_s):
            await station.outbox.drained()
    except TimeoutError:
        log.warning("%s: rebooting with undelivered transaction messages", station.id)
    if kind is ResetType.hard:
        station.sessions.reservations.clear()
    station.booted.clear()
    station.registration = None
    await link.ws.close()
