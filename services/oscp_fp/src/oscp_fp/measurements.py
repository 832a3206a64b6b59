"""Charge point snapshots → OSCP measurements (4.5, 5.6), pure: the group's energy for its
Capacity Provider (UpdateGroupMeasurements) and each charge point's for the Capacity
Optimizers (UpdateAssetMeasurements), aggregated as the recipient's RequiredBehaviour asks
(5.2.1; none asked: CONTINUOUS).

Every energy is in WH on phase ALL, energy_type TOTAL; values are decimals with at most 8
places. NET is always sent ("net is mandatory", 5.6.2): import minus export, export counting 0
where a charge point has no export register; EXPORT is added when some charge point has one.
Charge points without any register are skipped; nothing to report gives None (an
UpdateAssetMeasurements without measurements SHOULD NOT be sent, 4.5.2).

**Group, CONTINUOUS**: the sums of the charge points' registers, ``measure_time`` = the latest
reading among them (``now`` if none has a time).

**Group, INTERMITTENT**: the energy since the previous report, ``initial_measure_time`` = that
report's ``measure_time`` (5.6.3: MUST be set for an INTERMITTENT recipient). It is the sum of
per-charge-point differences against the previous registers (:class:`GroupTotals`), not the
difference of the sums, so a charge point that starts or stops reporting adds no jump (it
counts from its first reading on); a register that went back (meter replaced or reset) counts
0 and becomes the new baseline. The **first report** has no INTERMITTENT part: there is no
previous report to count from, and energy "since the earliest open transaction" would miss the
charge points without one; the totals it returns are the baseline of the next report. With no
new reading since the previous report, the INTERMITTENT part is left out and the previous
baseline kept.

**Assets, CONTINUOUS**: each charge point's registers (IMPORT, EXPORT if any, NET).
**Assets, INTERMITTENT**: each open session's energy since its start, from its connector's own
register (``meter_wh - meter_start_wh``; meterStart is that connector's meter), with
``initial_measure_time`` = the start; NET too when the charge point has no export register
(then net = import). A session whose connector reported nothing since its start is skipped.
**Assets, power**: whenever the power is known, an instantaneous measurement in W.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from wiseevp_common.messages.oscp20 import (
    AssetCategory,
    AssetMeasurement,
    EnergyFlowDirection,
    EnergyMeasurement,
    EnergyMeasurementUnit,
    EnergyType,
    InstantaneousMeasurement,
    InstantaneousMeasurementUnit,
    MeasurementConfiguration,
    PhaseIndicator,
    UpdateAssetMeasurements,
    UpdateGroupMeasurements,
)

from .snapshots import EvseSnapshot

CONTINUOUS = MeasurementConfiguration.CONTINUOUS
INTERMITTENT = MeasurementConfiguration.INTERMITTENT
_PLACES = Decimal("0.00000001")
_ZERO = Decimal(0)


@dataclass(frozen=True)
class GroupTotals:
    """The registers of a group's charge points at a group report: the baseline of the next
    INTERMITTENT report."""

    measure_time: datetime
    import_wh: Mapping[str, Decimal]
    export_wh: Mapping[str, Decimal]

    @property
    def total_import_wh(self) -> Decimal:
        return sum(self.import_wh.values(), _ZERO)

    @property
    def total_export_wh(self) -> Decimal:
        return sum(self.export_wh.values(), _ZERO)


def decimal8(value: float | Decimal) -> Decimal:
    """``value`` as an OSCP decimal (at most 8 places); floats by their shortest repr."""
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    return number.quantize(_PLACES)


def _kinds(configurations: Iterable[MeasurementConfiguration]) -> set[MeasurementConfiguration]:
    return set(configurations) or {CONTINUOUS}


def _energy(
    value: Decimal,
    direction: EnergyFlowDirection,
    measure_time: datetime,
    initial_measure_time: datetime | None = None,
) -> EnergyMeasurement:
    return EnergyMeasurement(
        value=decimal8(value),
        phase=PhaseIndicator.ALL,
        unit=EnergyMeasurementUnit.WH,
        energy_type=EnergyType.TOTAL,
        direction=direction,
        measure_time=measure_time,
        initial_measure_time=initial_measure_time,
    )


def _flows(
    imported: Decimal | None,
    exported: Decimal | None,
    measure_time: datetime,
    initial_measure_time: datetime | None = None,
) -> list[EnergyMeasurement]:
    """IMPORT and EXPORT for the registers there are, and NET (a missing one counting 0)."""
    flows = [
        _energy(value, direction, measure_time, initial_measure_time)
        for value, direction in (
            (imported, EnergyFlowDirection.IMPORT),
            (exported, EnergyFlowDirection.EXPORT),
        )
        if value is not None
    ]
    net = (imported or _ZERO) - (exported or _ZERO)
    flows.append(_energy(net, EnergyFlowDirection.NET, measure_time, initial_measure_time))
    return flows


def _registers(
    snapshots: Sequence[EvseSnapshot],
    register: Callable[[EvseSnapshot], float | None],
    before: Mapping[str, Decimal],
) -> dict[str, Decimal]:
    """Each charge point's register; one without a register now keeps its previous one."""
    registers: dict[str, Decimal] = {}
    for snapshot in snapshots:
        value = register(snapshot)
        if value is not None:
            registers[snapshot.evse_id] = decimal8(value)
        elif snapshot.evse_id in before:
            registers[snapshot.evse_id] = before[snapshot.evse_id]
    return registers


def _since(now: Mapping[str, Decimal], before: Mapping[str, Decimal]) -> Decimal:
    """Energy counted since ``before``: per charge point, never negative."""
    return sum(
        (max(_ZERO, value - before[evse]) for evse, value in now.items() if evse in before),
        _ZERO,
    )


def group_measurements(
    group_id: str,
    snapshots: Sequence[EvseSnapshot],
    configurations: Sequence[MeasurementConfiguration],
    now: datetime,
    previous: GroupTotals | None,
) -> tuple[UpdateGroupMeasurements | None, GroupTotals]:
    """The group's measurements (None: nothing to report) and the baseline of the next report."""
    if previous is not None and not previous.import_wh and not previous.export_wh:
        previous = None  # a baseline without registers counts nothing: as a first report
    metered = [
        s for s in snapshots if s.energy_import_wh is not None or s.energy_export_wh is not None
    ]
    if not metered:
        return None, previous if previous is not None else GroupTotals(now, {}, {})
    times = [s.energy_measured_at for s in metered if s.energy_measured_at is not None]
    measure_time = max(times, default=now)
    imports = _registers(
        snapshots, lambda s: s.energy_import_wh, previous.import_wh if previous else {}
    )
    exports = _registers(
        snapshots, lambda s: s.energy_export_wh, previous.export_wh if previous else {}
    )
    totals = GroupTotals(measure_time, imports, exports)
    kinds = _kinds(configurations)
    measurements: list[EnergyMeasurement] = []
    if CONTINUOUS in kinds:
        measurements += _flows(
            totals.total_import_wh if imports else None,
            totals.total_export_wh if exports else None,
            measure_time,
        )
    if INTERMITTENT in kinds and previous is not None:
        if measure_time > previous.measure_time:
            measurements += _flows(
                _since(imports, previous.import_wh) if imports else None,
                _since(exports, previous.export_wh) if exports else None,
                measure_time,
                previous.measure_time,
            )
        else:  # no new reading: the next report counts from the previous one
            totals = previous
    if not measurements:
        return None, totals
    return UpdateGroupMeasurements(group_id=group_id, measurements=measurements), totals


def _asset(evse_id: str, energy: EnergyMeasurement) -> AssetMeasurement:
    return AssetMeasurement(
        asset_id=evse_id, asset_category=AssetCategory.CHARGING, energy_measurement=energy
    )


def _sessions(snapshot: EvseSnapshot) -> list[EnergyMeasurement]:
    """INTERMITTENT: each open session's energy since its start."""
    flows: list[EnergyMeasurement] = []
    for tx in snapshot.transactions:
        if tx.meter_wh is None or tx.meter_measured_at is None:
            continue
        if tx.meter_measured_at < tx.started_at:
            continue  # no reading since the session started
        energy = max(_ZERO, decimal8(tx.meter_wh) - tx.meter_start_wh)
        directions = [EnergyFlowDirection.IMPORT]
        if snapshot.energy_export_wh is None:
            directions.append(EnergyFlowDirection.NET)
        flows += [_energy(energy, d, tx.meter_measured_at, tx.started_at) for d in directions]
    return flows


def asset_measurements(
    group_id: str,
    snapshots: Sequence[EvseSnapshot],
    configurations: Sequence[MeasurementConfiguration],
    now: datetime,
) -> UpdateAssetMeasurements | None:
    """The charge points' measurements; None when there is nothing to report."""
    kinds = _kinds(configurations)
    items: list[AssetMeasurement] = []
    for s in snapshots:
        imported, exported = s.energy_import_wh, s.energy_export_wh
        if CONTINUOUS in kinds and (imported is not None or exported is not None):
            flows = _flows(
                decimal8(imported) if imported is not None else None,
                decimal8(exported) if exported is not None else None,
                s.energy_measured_at or now,
            )
            items += [_asset(s.evse_id, f) for f in flows]
        if INTERMITTENT in kinds:
            items += [_asset(s.evse_id, f) for f in _sessions(s)]
        if s.power_w is not None:
            power = InstantaneousMeasurement(
                value=decimal8(s.power_w),
                phase=PhaseIndicator.ALL,
                unit=InstantaneousMeasurementUnit.W,
                measure_time=s.power_measured_at or now,
            )
            items.append(
                AssetMeasurement(
                    asset_id=s.evse_id,
                    asset_category=AssetCategory.CHARGING,
                    instantaneous_measurement=power,
                )
            )
    return UpdateAssetMeasurements(group_id=group_id, measurements=items) if items else None
