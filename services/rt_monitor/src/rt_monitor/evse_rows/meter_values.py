"""MeterValues.req (and the sampled values of any request) → sample rows, and the transaction
id a meter value tells about its connector (pure functions, no I/O)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from wiseevp_common.messages.ocpp16 import (
    DEFAULT_CONTEXT,
    DEFAULT_FORMAT,
    DEFAULT_LOCATION,
    DEFAULT_MEASURAND,
    MeterValuesRequest,
    SampledValue,
    ValueFormat,
    default_unit,
)

from .storable_values import (
    checked_connector,
    checked_evse_id,
    checked_text,
    checked_transaction_id,
)

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
    value = checked_text(sample.value, "sampledValue.value")
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
    evse = checked_evse_id(evse_id)
    connector = checked_connector(request.connector_id)
    transaction = checked_transaction_id(request.transaction_id)
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
