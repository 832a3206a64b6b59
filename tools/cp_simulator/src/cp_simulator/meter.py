"""MeterValue payloads (OCPP 1.6 §7.32 SampledValue) from a connector reading: pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ocpp.v16.enums import Measurand, ReadingContext, UnitOfMeasure

from .timing import iso

CORE_MEASURANDS = (
    Measurand.energy_active_import_register,
    Measurand.power_active_import,
    Measurand.current_import,
    Measurand.power_offered,
    Measurand.soc,
)
V2G_MEASURANDS = (Measurand.energy_active_export_register, Measurand.power_active_export)
SUPPORTED_MEASURANDS = frozenset(
    {*CORE_MEASURANDS, *V2G_MEASURANDS, Measurand.current_export, Measurand.voltage}
)


@dataclass(frozen=True)
class Reading:
    """What the connector's meter shows at ``at``. ``power_w`` is signed (negative: export)."""

    at: datetime
    power_w: float
    import_wh: float
    export_wh: float
    offered_w: float
    soc: float | None
    voltage: float
    phases: int


def _value(reading: Reading, measurand: Measurand) -> tuple[float, UnitOfMeasure] | None:
    importing = max(reading.power_w, 0.0)
    exporting = max(-reading.power_w, 0.0)
    per_phase = reading.voltage * reading.phases
    values: dict[Measurand, tuple[float, UnitOfMeasure]] = {
        Measurand.energy_active_import_register: (reading.import_wh, UnitOfMeasure.wh),
        Measurand.energy_active_export_register: (reading.export_wh, UnitOfMeasure.wh),
        Measurand.power_active_import: (importing, UnitOfMeasure.w),
        Measurand.power_active_export: (exporting, UnitOfMeasure.w),
        Measurand.power_offered: (abs(reading.offered_w), UnitOfMeasure.w),
        Measurand.current_import: (importing / per_phase, UnitOfMeasure.a),
        Measurand.current_export: (exporting / per_phase, UnitOfMeasure.a),
        Measurand.voltage: (reading.voltage, UnitOfMeasure.v),
    }
    if measurand is Measurand.soc:
        return None if reading.soc is None else (reading.soc, UnitOfMeasure.percent)
    return values.get(measurand)


def meter_value(
    reading: Reading, measurands: Iterable[str], context: ReadingContext
) -> dict[str, object]:
    """One MeterValue (camelCase keys, as on the wire) with a sampled value per measurand."""
    sampled = []
    for name in measurands:
        measurand = Measurand(name)
        found = _value(reading, measurand)
        if found is None:
            continue
        value, unit = found
        entry = {
            "value": f"{value:.1f}" if unit is not UnitOfMeasure.wh else f"{round(value)}",
            "context": context.value,
            "measurand": measurand.value,
            "unit": unit.value,
        }
        if measurand is Measurand.soc:
            entry["location"] = "EV"
        sampled.append(entry)
    return {"timestamp": iso(reading.at), "sampledValue": sampled}
