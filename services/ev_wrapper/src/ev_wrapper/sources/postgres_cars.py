"""The Ghent source: the operator's car table in PostgreSQL, followed with LISTEN/NOTIFY.

A thin adapter around :mod:`.car_table` (contract and row mapping). On every (re)connection:
``LISTEN`` first, then read every car, so that no change falls between the read and the
listen; then, per notification, re-read the named car. What changed since it was last
published goes to the sink: characteristics when new or different, the status when
different. A car whose row disappears is reported lost (``nocomm``).

The connection is probed with ``SELECT 1`` after ``probe_s`` idle seconds; when it is lost the
source reconnects with back-off (0.5 s doubling up to ``reconnect_max_s``) and re-reads
everything, since notifications sent meanwhile are gone. A lost database does not make the
cars ``nocomm``: their last statuses stay valid (the publisher's staleness watchdog still
applies). Infrastructure time (probe, back-off) is real time, not the service clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry

from wiseevp_common.messages.iop import EvCharacteristics, EvStatus

from .base import EvSink
from .car_table import (
    ALL_CARS,
    CarRowError,
    CarSnapshot,
    car_from_row,
    ev_id_for,
    notified_car,
    select_all_sql,
    select_one_sql,
)
from .source_metrics import SourceMetrics

log = logging.getLogger("ev_wrapper.postgres")

APPLICATION_NAME = "wiseevp-ev-wrapper"
"""``application_name`` of the source's connection (find it in ``pg_stat_activity``)."""
RECONNECT_MIN_S = 0.5
CONNECT_TIMEOUT_S = 10.0
PROBE_TIMEOUT_S = 10.0

_DATABASE_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class ConnectionLost(Exception):
    """The LISTEN connection closed under us."""


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class PostgresCarSource:
    name = "postgres"

    def __init__(
        self,
        url: str,
        *,
        table: str,
        channel: str,
        organisation: str,
        reconnect_max_s: float = 30.0,
        probe_s: float = 30.0,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._url = url  # may hold a password: never logged
        self.table = table
        self.channel = channel
        self.organisation = organisation
        self.reconnect_max_s = reconnect_max_s
        self.probe_s = probe_s
        self.metrics = SourceMetrics(self.name, registry)
        self.characteristics: dict[str, EvCharacteristics] = {}
        """Last published characteristics by EV id."""
        self.statuses: dict[str, EvStatus] = {}
        """Last published status by EV id."""
        self.connections = 0
        """Connections made so far (each followed by a full read)."""
        self.full_reads = 0
        self.backend_pid: int | None = None
        """Server process of the current connection (None while disconnected)."""

    async def healthy(self) -> bool:
        """Whether the source is connected to the car database and listening."""
        return self.backend_pid is not None

    async def run(self, sink: EvSink) -> None:
        delay = RECONNECT_MIN_S
        while True:
            try:
                conn = await asyncpg.connect(
                    self._url,
                    timeout=CONNECT_TIMEOUT_S,
                    server_settings={"application_name": APPLICATION_NAME},
                )
            except _DATABASE_ERRORS as exc:
                self.metrics.count("connect_failed")
                log.warning(
                    "cannot connect to the car database (%s); retrying in %.1f s",
                    _describe(exc),
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.reconnect_max_s)
                continue
            delay = RECONNECT_MIN_S
            try:
                await self._follow(conn, sink)
            except (ConnectionLost, *_DATABASE_ERRORS) as exc:
                self.metrics.count("connection_lost")
                log.warning(
                    "lost the car database connection (%s); reconnecting in %.1f s",
                    _describe(exc),
                    delay,
                )
            finally:
                self.backend_pid = None
                await _close(conn)
            await asyncio.sleep(delay)

    async def _follow(self, conn: asyncpg.Connection, sink: EvSink) -> None:
        """LISTEN, read everything, then apply notifications until the connection is lost."""
        queue: asyncio.Queue[str | None] = asyncio.Queue()

        def on_notification(_conn: Any, _pid: int, _channel: str, payload: object) -> None:
            queue.put_nowait(str(payload))

        def on_termination(_conn: Any) -> None:
            queue.put_nowait(None)

        conn.add_termination_listener(on_termination)
        await conn.add_listener(self.channel, on_notification)
        self.connections += 1
        self.backend_pid = conn.get_server_pid()
        log.info("listening to %s for changes of %s", self.channel, self.table)
        await self._read_all(conn, sink)
        while True:
            try:
                first = await asyncio.wait_for(queue.get(), self.probe_s)
            except TimeoutError:
                await asyncio.wait_for(conn.fetchval("SELECT 1"), PROBE_TIMEOUT_S)
                continue
            batch = [first]
            while not queue.empty():
                batch.append(queue.get_nowait())
            if None in batch:
                raise ConnectionLost("the server closed the connection")
            await self._apply([p for p in batch if p is not None], conn, sink)

    async def _apply(self, payloads: list[str], conn: asyncpg.Connection, sink: EvSink) -> None:
        """Re-read the cars named by a burst of notifications, each once."""
        cars: list[str] = []
        for payload in payloads:
            car = notified_car(payload)
            if car is None:
                self.metrics.count("malformed")
                log.warning(
                    "ignored notification on %s: not a car id (%.80r)", self.channel, payload
                )
            elif car not in cars:
                cars.append(car)
        if ALL_CARS in cars:
            await self._read_all(conn, sink)
            return
        for car_id in cars:
            await self._read_one(conn, car_id, sink)

    async def _read_all(self, conn: asyncpg.Connection, sink: EvSink) -> None:
        rows = await conn.fetch(select_all_sql(self.table))
        present: set[str] = set()
        for row in rows:
            car_id = row["car_id"]
            present.add(ev_id_for(self.organisation, str(car_id)))
            snapshot = self._snapshot(row)
            if snapshot is not None:
                await self._publish(snapshot, sink)
        for ev_id in sorted(set(self.characteristics) - present):
            await self._forget(ev_id, sink)
        self.full_reads += 1
        log.info("read %d cars from %s", len(rows), self.table)

    async def _read_one(self, conn: asyncpg.Connection, car_id: str, sink: EvSink) -> None:
        row = await conn.fetchrow(select_one_sql(self.table), car_id)
        if row is None:
            ev_id = ev_id_for(self.organisation, car_id)
            if ev_id in self.characteristics:
                await self._forget(ev_id, sink)
            return
        snapshot = self._snapshot(row)
        if snapshot is not None:
            await self._publish(snapshot, sink)

    def _snapshot(self, row: asyncpg.Record) -> CarSnapshot | None:
        try:
            return car_from_row(row, self.organisation)
        except CarRowError as exc:
            self.metrics.count("malformed")
            log.warning("skipped a row of %s: %s", self.table, exc)
            return None

    async def _publish(self, snapshot: CarSnapshot, sink: EvSink) -> None:
        ev_id = snapshot.ev_id
        if self.characteristics.get(ev_id) != snapshot.characteristics:
            await sink.characteristics(snapshot.characteristics)
            self.characteristics[ev_id] = snapshot.characteristics
        status = snapshot.status
        if status is not None and self.statuses.get(ev_id) != status:
            await sink.status(status)
            self.statuses[ev_id] = status
            self.metrics.count("status")

    async def _forget(self, ev_id: str, sink: EvSink) -> None:
        log.info("%s is no longer in %s: nocomm", ev_id, self.table)
        self.characteristics.pop(ev_id, None)
        self.statuses.pop(ev_id, None)
        self.metrics.count("removed")
        await sink.lost(ev_id)


async def _close(conn: asyncpg.Connection) -> None:
    """Close politely if the server answers within 2 s, else drop the socket."""
    with contextlib.suppress(Exception):
        try:
            if not conn.is_closed():
                await asyncio.wait_for(conn.close(), 2.0)
        finally:
            if not conn.is_closed():
                conn.terminate()
