"""StartTransaction.req and StopTransaction.req → transaction rows (pure functions, no I/O).

See ``migrations/0002_evse_tables.sql`` for the transaction key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from wiseevp_common.messages.ocpp16 import (
    DEFAULT_STOP_REASON,
    StartTransactionRequest,
    StopTransactionRequest,
)

from .meter_values import SampleRow, sample_row
from .storable_values import (
    INT32_MAX,
    checked_connector,
    checked_evse_id,
    checked_int,
    checked_text,
    checked_transaction_id,
    checked_wh,
)

START_COLUMNS = (
    "evse_id",
    "start_ts",
    "connector_id",
    "id_tag",
    "meter_start_wh",
    "reservation_id",
    "start_received_at",
)
STOP_COLUMNS = (
    "evse_id",
    "transaction_id",
    "ts",
    "meter_stop_wh",
    "id_tag",
    "reason",
    "received_at",
)


@dataclass(frozen=True, order=True)
class TxKey:
    """The key of a transaction: what its StartTransaction.req says."""

    evse_id: str
    start_ts: datetime
    connector_id: int
    id_tag: str


@dataclass(frozen=True)
class StartRow:
    key: TxKey
    meter_start_wh: int
    reservation_id: int | None
    received_at: datetime

    @property
    def evse_id(self) -> str:
        return self.key.evse_id

    @property
    def values(self) -> tuple[object, ...]:
        k = self.key
        return (
            k.evse_id,
            k.start_ts,
            k.connector_id,
            k.id_tag,
            self.meter_start_wh,
            self.reservation_id,
            self.received_at,
        )


def start_row(evse_id: str, start: StartTransactionRequest, received_at: datetime) -> StartRow:
    id_tag = checked_text(start.id_tag, "idTag")
    assert id_tag is not None
    return StartRow(
        TxKey(
            checked_evse_id(evse_id),
            start.timestamp,
            checked_connector(start.connector_id, minimum=1),
            id_tag,
        ),
        checked_wh(start.meter_start, "meterStart"),
        checked_int(start.reservation_id, "reservationId", low=-(2**31), high=INT32_MAX),
        received_at,
    )


@dataclass(frozen=True)
class StopRow:
    evse_id: str
    transaction_id: int
    ts: datetime
    meter_stop_wh: int
    id_tag: str | None
    reason: str
    received_at: datetime
    samples: tuple[SampleRow, ...] = field(default=())
    """transactionData, connector unknown (StopTransaction.req has no connectorId): the writer
    fills it in from the transaction the stop is matched to."""

    @property
    def values(self) -> tuple[object, ...]:
        return tuple(getattr(self, c) for c in STOP_COLUMNS)


def stop_row(evse_id: str, stop: StopTransactionRequest, received_at: datetime) -> StopRow:
    evse = checked_evse_id(evse_id)
    transaction = checked_transaction_id(stop.transaction_id)
    assert transaction is not None
    samples = tuple(
        sample_row(
            evse,
            sv,
            connector_id=None,
            transaction_id=transaction,
            ts=data.timestamp,
            received_at=received_at,
        )
        for data in stop.transaction_data or ()
        for sv in data.sampled_value
    )
    return StopRow(
        evse_id=evse,
        transaction_id=transaction,
        ts=stop.timestamp,
        meter_stop_wh=checked_wh(stop.meter_stop, "meterStop"),
        id_tag=checked_text(stop.id_tag, "idTag"),
        reason=(stop.reason or DEFAULT_STOP_REASON).value,
        received_at=received_at,
        samples=samples,
    )


def with_connector(samples: Sequence[SampleRow], connector_id: int | None) -> list[SampleRow]:
    return [replace(s, connector_id=connector_id) for s in samples]
