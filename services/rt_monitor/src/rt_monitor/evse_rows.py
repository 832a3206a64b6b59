"""Validated OCPP 1.6 requests from the IOP EVSE topics → rows for PostgreSQL, and the matching
of transactions to the ids the central system gave them (pure functions, no I/O).

See ``migrations/0002_evse_tables.sql`` for the tables and the transaction key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from wiseevp_common.messages.ocpp16 import (
    DEFAULT_CONTEXT,
    DEFAULT_FORMAT,
    DEFAULT_LOCATION,
    DEFAULT_MEASURAND,
    DEFAULT_STOP_REASON,
    BootNotificationRequest,
    MeterValuesRequest,
    SampledValue,
    StartTransactionRequest,
    StatusNotificationRequest,
    StopTransactionRequest,
    ValueFormat,
    default_unit,
)

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


class UnstorableMessage(ValueError):
    """A schema-valid OCPP message the monitor cannot store (out-of-range integer, NUL byte in
    a text, negative connector id). It can never succeed: the message is dead-lettered."""


def _text(value: str | None, what: str) -> str | None:
    if value is not None and "\x00" in value:
        raise UnstorableMessage(f"{what} contains a NUL character")
    return value


def _int(value: int | None, what: str, *, low: int, high: int) -> int | None:
    if value is not None and not low <= value <= high:
        raise UnstorableMessage(f"{what} {value} is out of range [{low}, {high}]")
    return value


def _connector(value: int, *, minimum: int = 0) -> int:
    """OCPP 1.6: connector ids are ≥ 0 (0: the charge point) and > 0 in StartTransaction."""
    checked = _int(value, "connectorId", low=minimum, high=INT32_MAX)
    assert checked is not None
    return checked


def _transaction_id(value: int | None) -> int | None:
    return _int(value, "transactionId", low=-(2**31), high=INT32_MAX)


def _wh(value: int, what: str) -> int:
    checked = _int(value, what, low=-(2**63), high=INT64_MAX)
    assert checked is not None
    return checked


# -- registry -------------------------------------------------------------------------------

BOOT_COLUMNS = (
    "evse_id",
    "charge_point_vendor",
    "charge_point_model",
    "charge_point_serial_number",
    "charge_box_serial_number",
    "firmware_version",
    "iccid",
    "imsi",
    "meter_type",
    "meter_serial_number",
    "last_boot_at",
    "first_seen",
    "last_seen",
)
SEEN_COLUMNS = ("evse_id", "first_seen", "last_seen")


@dataclass(frozen=True)
class BootRow:
    evse_id: str
    fields: tuple[str | None, ...]
    """BootNotification fields in :data:`BOOT_COLUMNS` order (vendor … meter serial)."""
    received_at: datetime

    @property
    def values(self) -> tuple[object, ...]:
        return (self.evse_id, *self.fields, self.received_at, self.received_at, self.received_at)


def boot_row(evse_id: str, boot: BootNotificationRequest, received_at: datetime) -> BootRow:
    names = BOOT_COLUMNS[1:10]
    fields = tuple(_text(getattr(boot, name), name) for name in names)
    return BootRow(_evse(evse_id), fields, received_at)


def _evse(evse_id: str) -> str:
    checked = _text(evse_id, "the evse id")
    assert checked is not None
    return checked


# -- connector status ---------------------------------------------------------------------

CONNECTOR_STATUS_COLUMNS = (
    "evse_id",
    "connector_id",
    "ts",
    "timestamp_reported",
    "status",
    "error_code",
    "info",
    "vendor_id",
    "vendor_error_code",
    "received_at",
)


@dataclass(frozen=True)
class ConnectorStatusRow:
    evse_id: str
    connector_id: int
    ts: datetime
    timestamp_reported: bool
    status: str
    error_code: str
    info: str | None
    vendor_id: str | None
    vendor_error_code: str | None
    received_at: datetime

    @property
    def values(self) -> tuple[object, ...]:
        return tuple(getattr(self, c) for c in CONNECTOR_STATUS_COLUMNS)


def connector_status_row(
    evse_id: str, notification: StatusNotificationRequest, received_at: datetime
) -> ConnectorStatusRow:
    """A status row; without a timestamp, the time of receipt is assumed (OCPP 1.6)."""
    reported = notification.timestamp is not None
    return ConnectorStatusRow(
        evse_id=_evse(evse_id),
        connector_id=_connector(notification.connector_id),
        ts=notification.timestamp if notification.timestamp is not None else received_at,
        timestamp_reported=reported,
        status=notification.status.value,
        error_code=notification.error_code.value,
        info=_text(notification.info, "info"),
        vendor_id=_text(notification.vendor_id, "vendorId"),
        vendor_error_code=_text(notification.vendor_error_code, "vendorErrorCode"),
        received_at=received_at,
    )


def latest_per_connector(rows: Iterable[ConnectorStatusRow]) -> list[ConnectorStatusRow]:
    """The newest row of each connector (an upsert must touch each key once per statement)."""
    newest: dict[tuple[str, int], ConnectorStatusRow] = {}
    for row in rows:
        key = (row.evse_id, row.connector_id)
        current = newest.get(key)
        if current is None or (row.ts, row.received_at) >= (current.ts, current.received_at):
            newest[key] = row
    return list(newest.values())


def _content(row: ConnectorStatusRow) -> tuple[object, ...]:
    return (row.status, row.error_code, row.info, row.vendor_id, row.vendor_error_code)


def without_repeats(rows: Iterable[ConnectorStatusRow]) -> list[ConnectorStatusRow]:
    """Drop a notification without timestamp that repeats the previous one without timestamp
    of its connector in the batch: a redelivery stamped with another receipt time. (Against
    the stored latest status the writer checks the same in SQL.)"""
    kept: list[ConnectorStatusRow] = []
    previous: dict[tuple[str, int], ConnectorStatusRow] = {}
    for row in sorted(rows, key=lambda r: r.received_at):
        if not row.timestamp_reported:
            key = (row.evse_id, row.connector_id)
            before = previous.get(key)
            if before is not None and _content(before) == _content(row):
                continue
            previous[key] = row
        kept.append(row)
    return kept


# -- meter values ---------------------------------------------------------------------------

SAMPLE_COLUMNS = (
    "evse_id",
    "connector_id",
    "transaction_id",
    "ts",
    "measurand",
    "phase",
    "location",
    "context",
    "format",
    "unit",
    "value",
    "value_num",
    "received_at",
)

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def decimal_value(value: str, value_format: ValueFormat) -> float | None:
    """The number in a ``Raw`` sampled value, or None (signed data, not a finite decimal)."""
    if value_format is not ValueFormat.RAW or not _DECIMAL.fullmatch(value.strip()):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class SampleRow:
    evse_id: str
    connector_id: int | None
    transaction_id: int | None
    ts: datetime
    measurand: str
    phase: str | None
    location: str
    context: str
    format: str
    unit: str | None
    value: str
    value_num: float | None
    received_at: datetime

    @property
    def values(self) -> tuple[object, ...]:
        return tuple(getattr(self, c) for c in SAMPLE_COLUMNS)


def sample_row(
    evse_id: str,
    sample: SampledValue,
    *,
    connector_id: int | None,
    transaction_id: int | None,
    ts: datetime,
    received_at: datetime,
) -> SampleRow:
    """One sampled value, absent optional fields resolved to their OCPP 1.6 defaults."""
    measurand = sample.measurand or DEFAULT_MEASURAND
    value_format = sample.format or DEFAULT_FORMAT
    unit = sample.unit or default_unit(measurand)
    value = _text(sample.value, "sampledValue.value")
    assert value is not None
    return SampleRow(
        evse_id=evse_id,
        connector_id=connector_id,
        transaction_id=transaction_id,
        ts=ts,
        measurand=measurand.value,
        phase=sample.phase.value if sample.phase is not None else None,
        location=(sample.location or DEFAULT_LOCATION).value,
        context=(sample.context or DEFAULT_CONTEXT).value,
        format=value_format.value,
        unit=unit.value if unit is not None else None,
        value=value,
        value_num=decimal_value(value, value_format),
        received_at=received_at,
    )


@dataclass(frozen=True)
class TxHint:
    """A MeterValues.req told which transaction id runs on a connector at ``ts``."""

    evse_id: str
    connector_id: int
    transaction_id: int
    ts: datetime


@dataclass(frozen=True)
class MeterValuesRow:
    evse_id: str
    connector_id: int
    transaction_id: int | None
    received_at: datetime
    samples: tuple[SampleRow, ...]

    @property
    def hint(self) -> TxHint | None:
        """Connector 0 is the charge point's main meter: it runs no transaction."""
        if self.transaction_id is None or self.connector_id == 0 or not self.samples:
            return None
        first = min(s.ts for s in self.samples)
        return TxHint(self.evse_id, self.connector_id, self.transaction_id, first)


def meter_values_row(
    evse_id: str, request: MeterValuesRequest, received_at: datetime
) -> MeterValuesRow:
    evse = _evse(evse_id)
    connector = _connector(request.connector_id)
    transaction = _transaction_id(request.transaction_id)
    samples = tuple(
        sample_row(
            evse,
            sv,
            connector_id=connector,
            transaction_id=transaction,
            ts=mv.timestamp,
            received_at=received_at,
        )
        for mv in request.meter_value
        for sv in mv.sampled_value
    )
    return MeterValuesRow(evse, connector, transaction, received_at, samples)


# -- transactions ---------------------------------------------------------------------------

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
    id_tag = _text(start.id_tag, "idTag")
    assert id_tag is not None
    return StartRow(
        TxKey(_evse(evse_id), start.timestamp, _connector(start.connector_id, minimum=1), id_tag),
        _wh(start.meter_start, "meterStart"),
        _int(start.reservation_id, "reservationId", low=-(2**31), high=INT32_MAX),
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
    evse = _evse(evse_id)
    transaction = _transaction_id(stop.transaction_id)
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
        meter_stop_wh=_wh(stop.meter_stop, "meterStop"),
        id_tag=_text(stop.id_tag, "idTag"),
        reason=(stop.reason or DEFAULT_STOP_REASON).value,
        received_at=received_at,
        samples=samples,
    )


def with_connector(samples: Sequence[SampleRow], connector_id: int | None) -> list[SampleRow]:
    return [replace(s, connector_id=connector_id) for s in samples]


EvseRow = BootRow | ConnectorStatusRow | MeterValuesRow | StartRow | StopRow
EVSE_ROW_TYPES = (BootRow, ConnectorStatusRow, MeterValuesRow, StartRow, StopRow)


def seen_rows(rows: Iterable[EvseRow]) -> list[tuple[str, datetime, datetime]]:
    """``(evse_id, first_seen, last_seen)`` of each evse in a batch."""
    seen: dict[str, tuple[datetime, datetime]] = {}
    for row in rows:
        first, last = seen.get(row.evse_id, (row.received_at, row.received_at))
        seen[row.evse_id] = (min(first, row.received_at), max(last, row.received_at))
    return [(evse, first, last) for evse, (first, last) in sorted(seen.items())]


def latest_boot_per_evse(rows: Iterable[BootRow]) -> list[BootRow]:
    newest: dict[str, BootRow] = {}
    for row in rows:
        current = newest.get(row.evse_id)
        if current is None or row.received_at >= current.received_at:
            newest[row.evse_id] = row
    return list(newest.values())


# -- matching transactions to their ids ------------------------------------------------------


@dataclass(frozen=True)
class OpenTx:
    """A transaction without a stop, with the id learned so far."""

    key: TxKey
    transaction_id: int | None


@dataclass(frozen=True)
class PendingStop:
    """A stop not yet matched to a transaction."""

    evse_id: str
    transaction_id: int
    ts: datetime
    id_tag: str | None


@dataclass(frozen=True)
class LinkPlan:
    links: dict[TxKey, int]
    """Transactions that learn their id."""
    closes: dict[TxKey, PendingStop]
    """Transactions matched to their stop (their id is in ``links`` if it was unknown)."""


def plan_links(
    open_txs: Iterable[OpenTx],
    hints: Iterable[tuple[TxHint, TxKey | None]],
    stops: Iterable[PendingStop],
) -> LinkPlan:
    """Decide which transactions learn their id and which are closed (rules in the migration).

    ``hints`` pairs each meter-values hint with the key of the latest transaction started on
    its connector at or before it (open or not; None if there is none). ``open_txs`` are the
    open transactions of the evses concerned, ``stops`` their unmatched stops.
    """
    open_ids: dict[TxKey, int | None] = {tx.key: tx.transaction_id for tx in open_txs}
    links: dict[TxKey, int] = {}
    closes: dict[TxKey, PendingStop] = {}

    def held(evse_id: str, transaction_id: int) -> bool:
        return any(k.evse_id == evse_id and t == transaction_id for k, t in open_ids.items())

    for hint, target in sorted(hints, key=lambda h: (h[0].ts, h[0].connector_id)):
        if target is None or target not in open_ids or open_ids[target] is not None:
            continue  # no transaction, or the latest one is closed or already has its id
        if held(hint.evse_id, hint.transaction_id):
            continue
        open_ids[target] = links[target] = hint.transaction_id

    for stop in sorted(stops, key=lambda s: (s.ts, s.evse_id, s.transaction_id)):
        started = [k for k in open_ids if k.evse_id == stop.evse_id and k.start_ts <= stop.ts]
        linked = [k for k in started if open_ids[k] == stop.transaction_id]
        if linked:
            key = max(linked)
        elif held(stop.evse_id, stop.transaction_id):
            continue  # the id belongs to a transaction started after this stop
        else:
            unlinked = [k for k in started if open_ids[k] is None]
            same_tag = [k for k in unlinked if stop.id_tag is not None and k.id_tag == stop.id_tag]
            if len(same_tag) == 1:
                key = same_tag[0]
            elif len(unlinked) == 1:
                key = unlinked[0]
            else:
                continue  # unknown or ambiguous: try again when the evse's transactions change
            links[key] = stop.transaction_id
        closes[key] = stop
        del open_ids[key]
    return LinkPlan(links, closes)
