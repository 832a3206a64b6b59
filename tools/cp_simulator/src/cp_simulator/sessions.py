"""The charging side of one station: connectors, EV sessions, power, meter values.

No I/O of its own: it talks to the central system through a :class:`SessionPort` (Authorize,
status notifications, the transaction queue). Time comes from the clock; :mod:`.station_loop`
runs it in time.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from ocpp.v16 import call
from ocpp.v16.enums import (
    AvailabilityStatus,
    ChargePointErrorCode,
    ChargePointStatus,
    ReadingContext,
    Reason,
)

from wiseevp_common.clock import Clock

from .config import Quirk, StationConfig
from .config_keys import ConfigurationStore
from .connector import Connector, Transaction
from .meter import Reading, meter_value
from .power import ev_power_w, offered_w, share_capacity
from .profile_store import ProfileStore
from .profiles import Context, connector_limit_w, next_change
from .reservations import ReservationBook
from .stats import StationStats
from .timing import iso
from .transaction_queue import UNKNOWN_TRANSACTION_ID, TxRequest

MIN_WAKE = timedelta(milliseconds=1)
Action = Callable[[datetime], None]


class SessionPort(Protocol):
    """What the session logic needs from the OCPP side of the station."""

    async def authorize(self, id_tag: str) -> dict[str, Any] | None:
        """idTagInfo (snake_case keys) from the central system; ``None`` when offline."""
        ...

    def send_status(
        self,
        connector_id: int,
        status: ChargePointStatus,
        error: ChargePointErrorCode,
        at: datetime,
    ) -> None: ...

    def queue_transaction_message(self, tx_ref: int, request: TxRequest) -> None: ...


class SessionManager:
    def __init__(
        self,
        config: StationConfig,
        clock: Clock,
        *,
        keys: ConfigurationStore,
        profiles: ProfileStore,
        reservations: ReservationBook,
        port: SessionPort,
        stats: StationStats,
    ) -> None:
        self.config, self.clock, self.keys, self.port, self.stats = config, clock, keys, port, stats
        self.profiles, self.reservations = profiles, reservations
        self.connectors = {i: Connector(i) for i in range(1, config.connectors + 1)}
        self.operative = True  # connector 0 (the whole charge point)
        self.status0 = ChargePointStatus.available
        self.accepting = True  # False while resetting: no new sessions
        self.station_limit_w: float | None = None
        self.wake = asyncio.Event()
        self._refs = itertools.count(1)
        self._updated = clock.now()
        self._catching_up = False

    def connector(self, connector_id: int) -> Connector:
        try:
            return self.connectors[connector_id]
        except KeyError:
            raise KeyError(f"{self.config.id} has no connector {connector_id}") from None

    def find_transaction(self, transaction_id: int) -> Connector | None:
        return next(
            (c for c in self.connectors.values() if c.tx and c.tx.transaction_id == transaction_id),
            None,
        )

    # -- physics and statuses ----------------------------------------------------------------

    def refresh(self, at: datetime | None = None) -> None:
        """Bring the station up to ``at`` (now): every event due until then (meter sample,
        departure, EV full/empty, profile period) happens at its own time, in order; then
        energy is integrated and powers and statuses are recomputed."""
        at = max(at or self.clock.now(), self._updated)
        if not self._catching_up:
            self._catching_up = True
            try:
                while (t := self.next_event(self._updated)) is not None and t <= at:
                    self._step(t)
                    for when, action in sorted(self._due(t), key=lambda e: e[0]):
                        action(when)
            finally:
                self._catching_up = False
        self._step(at)

    def _step(self, at: datetime) -> None:
        at = max(at, self._updated)
        seconds = (at - self._updated).total_seconds()
        for conn in self.connectors.values():
            if seconds > 0 and conn.ev is not None and conn.power_w != 0:
                wh = conn.ev.apply(conn.power_w, seconds)
                if wh >= 0:
                    conn.import_wh += wh
                else:
                    conn.export_wh -= wh
        self._updated = at
        self.reservations.expire(at)
        self._recompute(at)
        self._publish_statuses(at)

    def _recompute(self, at: datetime) -> None:
        profiles = () if self.config.has(Quirk.IGNORE_PROFILES) else self.profiles.profiles
        max_current_w = self.keys.max_current_a * self.config.watts_per_amp
        voltage = self.config.voltage
        demands: list[float] = []
        for conn in self.connectors.values():
            conn.profile_limit_w = connector_limit_w(profiles, conn.context(), at, voltage)
            conn.offered_w = offered_w(
                self.config.connector_max_w, max_current_w, conn.profile_limit_w
            )
            demand = 0.0
            if conn.tx is not None and conn.ev is not None:
                demand = ev_power_w(
                    conn.offered_w, conn.ev, dc=self.config.dc, v2g_station=self.config.v2g
                )
            demands.append(demand)
        self.station_limit_w = connector_limit_w(profiles, Context(0), at, voltage)
        cap = self.station_limit_w
        powers = share_capacity(cap, demands) if cap is not None and cap >= 0 else demands
        for conn, power in zip(self.connectors.values(), powers, strict=True):
            conn.power_w = power

    def _publish_statuses(self, at: datetime) -> None:
        status0 = ChargePointStatus.available if self.operative else ChargePointStatus.unavailable
        if status0 != self.status0:
            self.status0 = status0
            self.port.send_status(0, status0, ChargePointErrorCode.no_error, at)
        for conn in self.connectors.values():
            status = conn.derive_status(reserved=self.reservations.get(conn.id) is not None)
            if status != conn.status:
                conn.status = status
                self.port.send_status(conn.id, status, conn.error_code, at)

    def reading(self, conn: Connector, at: datetime) -> Reading:
        soc = conn.ev.soc if conn.ev is not None else None
        return Reading(
            at, conn.power_w, conn.import_wh, conn.export_wh, conn.offered_w, soc,
            self.config.voltage, self.config.number_phases,
        )  # fmt: skip

    # -- sessions ------------------------------------------------------------------------------

    def start_transaction(self, conn: Connector, id_tag: str, reservation_id: int | None) -> None:
        now = self.clock.now()
        self.refresh(now)
        tx = Transaction(next(self._refs), id_tag, now, round(conn.import_wh), reservation_id)
        conn.tx, conn.finished = tx, False
        interval = self.keys.meter_interval_s
        conn.next_sample = now + timedelta(seconds=interval) if interval > 0 else None
        self.port.queue_transaction_message(
            tx.ref,
            call.StartTransaction(
                connector_id=conn.id, id_tag=id_tag, meter_start=tx.meter_start_wh,
                timestamp=iso(now), reservation_id=reservation_id,
            ),
        )  # fmt: skip
        self.stats.transactions_started += 1
        self.refresh(now)
        self.wake.set()

    def stop_transaction(
        self,
        conn: Connector,
        reason: Reason,
        at: datetime | None = None,
        *,
        unplugged: bool = False,
    ) -> None:
        """Stop the connector's transaction (StopTransaction queued); the EV stays plugged
        (Finishing) unless ``unplugged``."""
        at = at or self.clock.now()
        self.refresh(at)
        tx = conn.tx
        if tx is None:
            return
        measurands = self.keys.stop_measurands
        data = [meter_value(self.reading(conn, at), measurands, ReadingContext.transaction_end)]
        self.port.queue_transaction_message(
            tx.ref,
            call.StopTransaction(
                meter_stop=round(conn.import_wh), timestamp=iso(at),
                transaction_id=tx.transaction_id or UNKNOWN_TRANSACTION_ID, reason=reason,
                id_tag=tx.id_tag, transaction_data=data if measurands else None,
            ),
        )  # fmt: skip
        conn.tx, conn.next_sample = None, None
        if unplugged:
            conn.ev, conn.departure = None, None
        conn.finished = conn.ev is not None
        self.profiles.end_transaction(conn.id)
        self.stats.transactions_stopped += 1
        if conn.inoperative_pending:
            conn.operative, conn.inoperative_pending = False, False
        self.refresh(at)
        self.wake.set()

    def leave(self, conn: Connector, at: datetime | None = None) -> None:
        """The EV unplugs and drives off (its transaction stops: EVDisconnected)."""
        at = at or self.clock.now()
        if conn.tx is not None:
            self.stop_transaction(conn, Reason.ev_disconnected, at, unplugged=True)
        conn.ev, conn.finished, conn.departure = None, False, None
        conn.vacated.set()
        self.refresh(at)
        self.wake.set()

    def stop_all(self, reason: Reason) -> None:
        for conn in self.connectors.values():
            if conn.tx is not None:
                self.stop_transaction(conn, reason)

    def transaction_confirmed(self, tx_ref: int, transaction_id: int, status: str | None) -> None:
        """The StartTransaction of ``tx_ref`` was answered."""
        conn = next((c for c in self.connectors.values() if c.tx and c.tx.ref == tx_ref), None)
        if conn is None or conn.tx is None:
            return
        conn.tx.transaction_id = transaction_id
        if status != "Accepted" and self.keys.stop_on_invalid_id:
            self.stop_transaction(conn, Reason.de_authorized)
        self.refresh()
        self.wake.set()

    def set_availability(self, connector_id: int, operative: bool) -> AvailabilityStatus:
        if connector_id != 0 and connector_id not in self.connectors:
            return AvailabilityStatus.rejected
        if connector_id == 0:
            self.operative = operative
        targets = (
            list(self.connectors.values()) if connector_id == 0 else [self.connectors[connector_id]]
        )
        scheduled = False
        for conn in targets:
            if conn.tx is not None and not operative:
                conn.inoperative_pending, scheduled = True, True
            else:
                conn.operative, conn.inoperative_pending = operative, False
        self.refresh()
        return AvailabilityStatus.scheduled if scheduled else AvailabilityStatus.accepted

    def reschedule_samples(self) -> None:
        """MeterValueSampleInterval changed: the next samples follow the new interval."""
        now, interval = self.clock.now(), self.keys.meter_interval_s
        for conn in self.connectors.values():
            if conn.tx is not None:
                conn.next_sample = now + timedelta(seconds=interval) if interval > 0 else None

    # -- meter values ---------------------------------------------------------------------------

    def sample(self, conn: Connector, at: datetime) -> None:
        self.refresh(at)
        if conn.tx is None:
            return
        value = meter_value(
            self.reading(conn, at), self.keys.sampled_measurands, ReadingContext.sample_periodic
        )
        self.port.queue_transaction_message(
            conn.tx.ref,
            call.MeterValues(
                connector_id=conn.id, meter_value=[value], transaction_id=UNKNOWN_TRANSACTION_ID
            ),
        )
        self.stats.meter_values_produced += 1
        interval = self.keys.meter_interval_s
        conn.next_sample = at + timedelta(seconds=interval) if interval > 0 else None

    # -- timing ----------------------------------------------------------------------------------

    def _events(self, conn: Connector) -> list[tuple[datetime, Action]]:
        events: list[tuple[datetime, Action]] = []
        if conn.tx is not None and conn.next_sample is not None:
            events.append((conn.next_sample, lambda t: self.sample(conn, t)))
        if conn.ev is not None and conn.departure is not None:
            events.append((conn.departure, lambda t: self.leave(conn, t)))
        return events

    def _due(self, at: datetime) -> list[tuple[datetime, Action]]:
        return [e for c in self.connectors.values() for e in self._events(c) if e[0] <= at]

    def next_event(self, now: datetime) -> datetime | None:
        """When something happens next (``None``: nothing until an outside change)."""
        times = [t for c in self.connectors.values() for t, _ in self._events(c)]
        expiry = self.reservations.next_expiry()
        if expiry is not None:
            times.append(expiry)
        for conn in self.connectors.values():
            if conn.ev is not None and conn.power_w != 0:
                seconds = conn.ev.seconds_until_limit(conn.power_w)
                if seconds is not None:
                    times.append(now + timedelta(seconds=seconds))
            if conn.tx is not None:
                change = next_change(self.profiles.profiles, conn.context(), now)
                if change is not None:
                    times.append(change)
        return max(min(times), now + MIN_WAKE) if times else None
