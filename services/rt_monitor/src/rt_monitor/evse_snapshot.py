"""``POST /api/v1/evses/snapshot``: the state of many charge points at once — latest energy
registers, active power, whether they charge, open transactions — read by the OSCP gateway,
which turns it into group and asset measurements.

Body ``{"evse_ids": [...]}`` (1..5000 non-empty ids); answer ``{"evses": [...]}``, one item per
requested id in request order (an id asked twice is answered twice; an unknown id has
``known: false``). Four queries serve the whole list, all on indexes: the registry, the
connectors' latest status, the open transactions (partial index), and the latest samples by a
lateral probe per (charge point, connector, measurand) on ``evse_meter_value_latest_idx``
(migration 0003).

Which readings make a charge point's value — one rule for the import register, the export
register and the active power:

- **Connector 0** is the charge point's main meter in OCPP 1.6: when the charge point ever
  reported the measurand on connector 0, that reading alone is used (it covers every connector;
  adding the connectors would count twice). Otherwise the value is the **sum over its connectors**
  (≥ 1) of each connector's latest reading, timed at the newest of them: a register does not
  change while its connector is idle, so an older reading still holds. The choice depends only on
  what was ever reported, so the value never jumps between the two sources from one snapshot to
  the next (the gateway subtracts successive snapshots).
- **Power**: in the sum, a connector that is not charging (no open transaction, latest status not
  Charging/SuspendedEV/SuspendedEVSE) counts 0 W — its latest reading may be the last one of a
  finished session.
- **One connector's reading** is its samples at its latest timestamp: the overall value (no
  phase) if any, else the sum of the phases L1+L2+L3 (else L1-N+L2-N+L3-N); location Outlet
  (the OCPP default), else Inlet, else Cable — EV and Body are not the charge point's meter.
  kWh and kW are converted to Wh and W; signed data, non-numeric values and other units are
  skipped.
- **Connectors** are those the charge point announced by StatusNotification or holds an open
  transaction on, and connector 0; samples of a connector that did neither are not looked at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wiseevp_common.messages.ocpp16 import ChargePointStatus, Location, Measurand
from wiseevp_common.messages.types import format_iso_ms
from wiseevp_common.messages.validation import describe_validation_error
from wiseevp_common.storage.component import PostgresPool

from .schema import SCHEMA

MAX_EVSE_IDS = 5000
IMPORT_REGISTER = Measurand.ENERGY_ACTIVE_IMPORT_REGISTER.value
EXPORT_REGISTER = Measurand.ENERGY_ACTIVE_EXPORT_REGISTER.value
POWER = Measurand.POWER_ACTIVE_IMPORT.value
MEASURANDS = (IMPORT_REGISTER, EXPORT_REGISTER, POWER)
"""The measurands read; ``evse_meter_value_latest_idx`` is partial on exactly these."""
CHARGING_STATUSES = frozenset(
    s.value
    for s in (
        ChargePointStatus.CHARGING,
        ChargePointStatus.SUSPENDED_EV,
        ChargePointStatus.SUSPENDED_EVSE,
    )
)
LOCATIONS = (Location.OUTLET.value, Location.INLET.value, Location.CABLE.value)
"""Where a meter may sit, in order of preference."""
PHASE_SETS = (("L1", "L2", "L3"), ("L1-N", "L2-N", "L3-N"))
_ENERGY_UNITS: dict[str | None, float] = {None: 1.0, "Wh": 1.0, "kWh": 1000.0}
_UNITS: dict[str, dict[str | None, float]] = {
    IMPORT_REGISTER: _ENERGY_UNITS,
    EXPORT_REGISTER: _ENERGY_UNITS,
    POWER: {None: 1.0, "W": 1.0, "kW": 1000.0},
}

_PARTIAL = "measurand IN ({})".format(", ".join(f"'{m}'" for m in MEASURANDS))
_KNOWN = f"SELECT evse_id FROM {SCHEMA}.evse WHERE evse_id = ANY($1::text[])"
_CONNECTORS = (
    f"SELECT evse_id, connector_id, status FROM {SCHEMA}.evse_connector "
    "WHERE evse_id = ANY($1::text[])"
)
_OPEN_TRANSACTIONS = f"""
SELECT evse_id, transaction_id, connector_id, start_ts, meter_start_wh
FROM {SCHEMA}.evse_transaction WHERE evse_id = ANY($1::text[]) AND stop_ts IS NULL
ORDER BY evse_id, start_ts, connector_id
"""
_LATEST_SAMPLES = f"""
SELECT k.evse_id, k.connector_id, q.measurand::text AS measurand, s.phase::text AS phase,
       s.location::text AS location, s.unit::text AS unit, s.value_num, s.ts
FROM unnest($1::text[], $2::integer[]) AS k(evse_id, connector_id)
CROSS JOIN unnest($3::{SCHEMA}.ocpp_measurand[]) AS q(measurand)
CROSS JOIN LATERAL (
    SELECT m.phase, m.location, m.unit, m.value_num, m.ts FROM {SCHEMA}.evse_meter_value m
    WHERE m.evse_id = k.evse_id AND m.connector_id = k.connector_id
      AND m.measurand = q.measurand AND m.{_PARTIAL}
      AND m.value_num IS NOT NULL AND m.location = ANY($4::{SCHEMA}.ocpp_location[])
    ORDER BY m.ts DESC FETCH FIRST 1 ROWS WITH TIES
) AS s
"""


class SnapshotRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evse_ids: Annotated[
        list[Annotated[str, Field(min_length=1)]],
        Field(min_length=1, max_length=MAX_EVSE_IDS),
    ]


@dataclass(frozen=True)
class Sample:
    """A stored sampled value of one of :data:`MEASURANDS` (numeric, from a meter location)."""

    connector_id: int
    measurand: str
    phase: str | None
    location: str
    unit: str | None
    value: float
    ts: datetime


@dataclass(frozen=True)
class Reading:
    value: float
    at: datetime


@dataclass(frozen=True)
class OpenTransaction:
    transaction_id: int | None
    connector_id: int
    started_at: datetime
    meter_start_wh: int


@dataclass
class EvseFacts:
    """What the tables hold about one known charge point."""

    statuses: dict[int, str] = field(default_factory=dict)
    transactions: list[OpenTransaction] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)


def connector_reading(samples: Iterable[Sample]) -> Reading | None:
    """The value of one connector's samples of one measurand, all taken at the same time."""
    by_location: dict[str, list[Sample]] = {}
    for sample in samples:
        by_location.setdefault(sample.location, []).append(sample)
    chosen = next((by_location[loc] for loc in LOCATIONS if loc in by_location), [])
    values: dict[str | None, float] = {}
    for sample in chosen:
        factor = _UNITS[sample.measurand].get(sample.unit)
        if factor is not None:  # the same reading may come under several contexts
            value = sample.value * factor
            values[sample.phase] = max(value, values.get(sample.phase, value))
    if not values:
        return None
    at = chosen[0].ts
    if None in values:
        return Reading(values[None], at)
    for phases in PHASE_SETS:
        found = [values[p] for p in phases if p in values]
        if found:
            return Reading(sum(found), at)
    return None


def evse_reading(
    readings: Mapping[int, Reading], counts: Callable[[int], bool] = lambda _: True
) -> Reading | None:
    """Connector 0's reading if any, else the sum over the connectors ``counts`` admits (the
    others count 0), timed at the newest reading; None without any reading."""
    if 0 in readings:
        return readings[0]
    connectors = {c: r for c, r in readings.items() if c > 0}
    if not connectors:
        return None
    total = sum(r.value for c, r in connectors.items() if counts(c))
    return Reading(total, max(r.at for r in connectors.values()))


def _iso(value: datetime | None) -> str | None:
    return format_iso_ms(value) if value is not None else None


def snapshot_item(evse_id: str, facts: EvseFacts | None) -> dict[str, Any]:
    """The snapshot of one charge point (``facts`` None: not known to the monitor)."""
    known = facts is not None
    facts = facts if facts is not None else EvseFacts()
    charging_connectors = {c for c, s in facts.statuses.items() if s in CHARGING_STATUSES}
    charging_connectors |= {t.connector_id for t in facts.transactions}
    grouped: dict[tuple[str, int], list[Sample]] = {}
    for sample in facts.samples:
        grouped.setdefault((sample.measurand, sample.connector_id), []).append(sample)
    per_connector: dict[str, dict[int, Reading]] = {m: {} for m in MEASURANDS}
    for (measurand, connector), samples in grouped.items():
        reading = connector_reading(samples)
        if reading is not None:
            per_connector[measurand][connector] = reading
    energy_import = evse_reading(per_connector[IMPORT_REGISTER])
    energy_export = evse_reading(per_connector[EXPORT_REGISTER])
    power = evse_reading(per_connector[POWER], lambda c: c in charging_connectors)
    energy_times = [r.at for r in (energy_import, energy_export) if r is not None]
    connector_registers = per_connector[IMPORT_REGISTER]
    return {
        "evse_id": evse_id,
        "known": known,
        "energy_import_wh": energy_import.value if energy_import else None,
        "energy_export_wh": energy_export.value if energy_export else None,
        "energy_measured_at": _iso(max(energy_times, default=None)),
        "power_w": power.value if power else None,
        "power_measured_at": _iso(power.at) if power else None,
        "charging": bool(charging_connectors),
        "transactions": [
            _transaction_item(t, connector_registers.get(t.connector_id))
            for t in facts.transactions
        ],
    }


def _transaction_item(tx: OpenTransaction, register: Reading | None) -> dict[str, Any]:
    """An open transaction with its connector's own latest import register: ``meter_wh -
    meter_start_wh`` is the session's energy once ``meter_measured_at`` is past the start
    (meterStart is the connector's meter, not connector 0's nor the charge point's sum)."""
    return {
        "transaction_id": tx.transaction_id,
        "connector_id": tx.connector_id,
        "started_at": format_iso_ms(tx.started_at),
        "meter_start_wh": tx.meter_start_wh,
        "meter_wh": register.value if register else None,
        "meter_measured_at": _iso(register.at) if register else None,
    }


class EvseSnapshots:
    def __init__(self, db: PostgresPool) -> None:
        self.db = db

    async def handle(self, request: web.Request) -> web.Response:
        try:
            body = SnapshotRequest.model_validate_json(await request.read())
        except ValidationError as exc:
            raise web.HTTPBadRequest(text=describe_validation_error(exc, limit=5)) from None
        facts = await self.fetch(body.evse_ids)
        return web.json_response(
            {"evses": [snapshot_item(evse_id, facts.get(evse_id)) for evse_id in body.evse_ids]}
        )

    async def fetch(self, evse_ids: Sequence[str]) -> dict[str, EvseFacts]:
        """The facts of every known charge point among ``evse_ids``."""
        ids = list(dict.fromkeys(evse_ids))
        async with self.db.pool.acquire() as conn:
            known = await conn.fetch(_KNOWN, ids)
            facts = {r["evse_id"]: EvseFacts() for r in known}
            found = list(facts)
            for row in await conn.fetch(_CONNECTORS, found):
                facts[row["evse_id"]].statuses[row["connector_id"]] = row["status"]
            for row in await conn.fetch(_OPEN_TRANSACTIONS, found):
                facts[row["evse_id"]].transactions.append(
                    OpenTransaction(
                        row["transaction_id"],
                        row["connector_id"],
                        row["start_ts"],
                        row["meter_start_wh"],
                    )
                )
            keys = sorted(
                {(e, 0) for e in facts}
                | {(e, c) for e, f in facts.items() for c in f.statuses}
                | {(e, t.connector_id) for e, f in facts.items() for t in f.transactions}
            )
            async with conn.transaction(readonly=True):
                # thousands of index probes: compiling them (JIT) costs more than it saves
                await conn.execute("SET LOCAL jit = off")
                rows = await conn.fetch(
                    _LATEST_SAMPLES,
                    [e for e, _ in keys],
                    [c for _, c in keys],
                    list(MEASURANDS),
                    list(LOCATIONS),
                )
        for row in rows:
            facts[row["evse_id"]].samples.append(
                Sample(
                    row["connector_id"],
                    row["measurand"],
                    row["phase"],
                    row["location"],
                    row["unit"],
                    row["value_num"],
                    row["ts"],
                )
            )
        return facts
