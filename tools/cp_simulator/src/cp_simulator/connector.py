"""One connector's state: the EV plugged in, the transaction, the meter registers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus

from .ev import Ev
from .profiles import Context


class PlugResult(StrEnum):
    """Outcome of plugging an EV in (:meth:`Station.plug_in`)."""

    STARTED = "started"  # transaction started (StartTransaction queued)
    REJECTED = "rejected"  # idTag not Accepted by Authorize; the EV left
    RESERVED = "reserved"  # connector reserved for another idTag; the EV was not plugged
    OCCUPIED = "occupied"  # an EV is already there
    UNAVAILABLE = "unavailable"  # connector Inoperative (or station resetting)
    WAITING = "waiting"  # plugged without presenting an idTag: waits for RemoteStartTransaction


@dataclass
class Transaction:
    ref: int  # local reference until the central system gives the transactionId
    id_tag: str
    start: datetime
    meter_start_wh: int
    reservation_id: int | None = None
    transaction_id: int | None = None


@dataclass
class Connector:
    id: int
    status: ChargePointStatus = ChargePointStatus.available
    error_code: ChargePointErrorCode = ChargePointErrorCode.no_error
    operative: bool = True
    inoperative_pending: bool = False  # ChangeAvailability Scheduled: after the transaction
    ev: Ev | None = None
    departure: datetime | None = None
    finished: bool = False  # transaction over, EV still plugged (Finishing)
    tx: Transaction | None = None
    import_wh: float = 0.0
    export_wh: float = 0.0
    power_w: float = 0.0  # signed: negative while discharging (V2G)
    offered_w: float = 0.0  # signed ceiling: hardware, max-current key, profiles, CP max share
    profile_limit_w: float | None = None  # composite limit of the charging profiles alone
    next_sample: datetime | None = None
    vacated: asyncio.Event = field(default_factory=asyncio.Event)

    def context(self) -> Context:
        return Context(
            connector_id=self.id,
            tx_active=self.tx is not None,
            transaction_id=self.tx.transaction_id if self.tx else None,
            tx_start=self.tx.start if self.tx else None,
        )

    def derive_status(self, reserved: bool) -> ChargePointStatus:
        """The OCPP status the connector's state implies."""
        if self.tx is not None:
            if self.power_w != 0:
                return ChargePointStatus.charging
            if (self.ev is not None and self.ev.full) or self.offered_w > 0:
                return ChargePointStatus.suspended_ev
            return ChargePointStatus.suspended_evse
        if self.ev is not None:
            return ChargePointStatus.finishing if self.finished else ChargePointStatus.preparing
        if not self.operative:
            return ChargePointStatus.unavailable
        return ChargePointStatus.reserved if reserved else ChargePointStatus.available
