"""A load generator process: its share of the simulated charge points (``station.py``),
connected, booted, made to send (``sending.py``) and to beat on the bench's commands."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from .children import commands, raise_fd_limit, reply
from .frames import (
    SUBPROTOCOL,
    boot_frame,
    heartbeat_frame,
)
from .sending import Plan, send_meter_values
from .space import station_ids
from .station import Station, StationClosed

CALL_TIMEOUT = 60.0


class Fleet:
    """The stations of this process."""

    def __init__(self, url: str, ids: list[str], *, echo: bool, concurrency: int) -> None:
        self.url = url
        self.ids = ids
        self.echo = echo
        self.gate = asyncio.Semaphore(concurrency)
        self.stations: list[Station] = []
        self.next = 0
        """Index in ``ids`` of the next station to connect."""

    async def _open(self, station_id: str, errors: Counter[str], first: list[str]) -> None:
        try:
            async with self.gate:
                ws = await connect(
                    self.url + station_id,
                    subprotocols=[Subprotocol(SUBPROTOCOL)],
                    compression=None,
                    proxy=None,
                    open_timeout=CALL_TIMEOUT,
                    ping_interval=None,
                    close_timeout=2,
                )
                station = Station(station_id, ws, echo=self.echo)
                self.stations.append(station)
                uid = station.next_uid()
                if not await asyncio.wait_for(station.call(uid, boot_frame(uid)), CALL_TIMEOUT):
                    raise RuntimeError("BootNotification not accepted")
        except Exception as exc:
            errors[type(exc).__name__] += 1
            if not first:
                first.append(f"{station_id}: {exc!r}")

    async def connect(self, count: int) -> dict[str, Any]:
        """Connect and boot the next ``count`` stations."""
        ids = self.ids[self.next : self.next + count]
        self.next += len(ids)
        opened_before = len(self.stations)
        errors: Counter[str] = Counter()
        first: list[str] = []
        started = time.perf_counter()
        await asyncio.gather(*(self._open(i, errors, first) for i in ids))
        return {
            "opened": len(self.stations) - opened_before,
            "booted": len(ids) - sum(errors.values()),
            "errors": dict(errors),
            "first_error": first[0] if first else None,
            "seconds": time.perf_counter() - started,
            "server_calls": sum(s.server_calls for s in self.stations),
        }

    async def heartbeat(self) -> dict[str, Any]:
        """Every station that is still open sends a Heartbeat: how many were answered."""

        async def beat(station: Station) -> bool:
            uid = station.next_uid()
            try:
                return await asyncio.wait_for(station.call(uid, heartbeat_frame(uid)), CALL_TIMEOUT)
            except (StationClosed, ConnectionClosed, TimeoutError):
                return False

        answers = await asyncio.gather(*(beat(s) for s in self.stations))
        return {
            "answered": sum(answers),
            "open": sum(s.open for s in self.stations),
            "server_calls": sum(s.server_calls for s in self.stations),
        }

    async def close(self) -> None:
        async def close_one(station: Station) -> None:
            with contextlib.suppress(Exception):
                await station.ws.close()

        await asyncio.gather(*(close_one(s) for s in self.stations))


async def stations_child(args: list[str]) -> None:
    """``STATIONS_FLAG url-prefix first count echo(0|1) concurrency``."""
    raise_fd_limit()
    url, first, count, echo, concurrency = args[0], int(args[1]), int(args[2]), args[3], args[4]
    fleet = Fleet(url, station_ids(first, count), echo=echo == "1", concurrency=int(concurrency))
    reply({"ready": True})
    try:
        async for command in commands():
            match command["cmd"]:
                case "connect":
                    reply(await fleet.connect(command["count"]))
                case "heartbeat":
                    reply(await fleet.heartbeat())
                case "run":
                    reply(await send_meter_values(fleet.stations, Plan(**command["plan"])))
                case "close":
                    await asyncio.wait_for(fleet.close(), 20)
                    reply({"closed": True})
    finally:
        for station in fleet.stations:
            station.reader.cancel()
