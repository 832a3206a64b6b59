"""Snapshots → OSCP UpdateGroupMeasurements / UpdateAssetMeasurements (4.5, 5.6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from oscp_fp.measurements import (
    GroupTotals,
    asset_measurements,
    decimal8,
    group_measurements,
)
from oscp_fp.snapshots import EvseSnapshot, OpenTransaction
from wiseevp_common.messages.oscp20 import (
    AssetCategory,
    EnergyFlowDirection,
    EnergyMeasurement,
    EnergyMeasurementUnit,
    EnergyType,
    InstantaneousMeasurementUnit,
    MeasurementConfiguration,
    PhaseIndicator,
    UpdateAssetMeasurements,
    UpdateGroupMeasurements,
)

T0 = datetime(2026, 5, 1, 10, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)
CONTINUOUS = [MeasurementConfiguration.CONTINUOUS]
INTERMITTENT = [MeasurementConfiguration.INTERMITTENT]
BOTH = [MeasurementConfiguration.CONTINUOUS, MeasurementConfiguration.INTERMITTENT]
IMPORT, EXPORT, NET = (
    EnergyFlowDirection.IMPORT,
    EnergyFlowDirection.EXPORT,
    EnergyFlowDirection.NET,
)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def snap(
    evse_id: str, imported: float | None = None, minutes: float = 0, **more: Any
) -> EvseSnapshot:
    return EvseSnapshot(
        evse_id=evse_id,
        known=True,
        energy_import_wh=imported,
        energy_measured_at=at(minutes) if imported is not None else None,
        **more,
    )


def flows(message: UpdateGroupMeasurements | None) -> list[tuple[Any, ...]]:
    assert message is not None
    return [
        (m.direction, m.value, m.measure_time, m.initial_measure_time) for m in message.measurements
    ]


def round_trips(message: UpdateGroupMeasurements | UpdateAssetMeasurements) -> None:
    assert type(message).model_validate_json(message.to_json()) == message


# -- group -------------------------------------------------------------------------------------


def test_continuous_sums_the_registers_with_net() -> None:
    snapshots = [snap("A", 1000.5, 3), snap("B", 2000, 7), snap("C")]  # C: no register
    message, totals = group_measurements("g", snapshots, CONTINUOUS, NOW, None)
    assert message is not None and message.group_id == "g"
    assert flows(message) == [
        (IMPORT, Decimal("3000.5"), at(7), None),
        (NET, Decimal("3000.5"), at(7), None),
    ]
    first = message.measurements[0]
    assert (first.unit, first.phase, first.energy_type) == (
        EnergyMeasurementUnit.WH,
        PhaseIndicator.ALL,
        EnergyType.TOTAL,
    )
    assert totals == GroupTotals(at(7), {"A": Decimal("1000.5"), "B": Decimal(2000)}, {})
    round_trips(message)
    assert b'"value":3000.5' in message.to_json()


def test_no_configuration_asked_means_continuous() -> None:
    asked, _ = group_measurements("g", [snap("A", 10)], CONTINUOUS, NOW, None)
    default, _ = group_measurements("g", [snap("A", 10)], [], NOW, None)
    assert default == asked


def test_export_registers_add_export_and_lower_net() -> None:
    v2g = snap("V2G", 5000, 2, energy_export_wh=1200.25)
    message, _ = group_measurements("g", [v2g, snap("A", 100)], CONTINUOUS, NOW, None)
    assert [(d, v) for d, v, _, _ in flows(message)] == [
        (IMPORT, Decimal(5100)),
        (EXPORT, Decimal("1200.25")),
        (NET, Decimal("3899.75")),
    ]


def test_values_have_at_most_eight_places() -> None:
    assert decimal8(1234.123456789) == Decimal("1234.12345679")
    assert decimal8(0.1 + 0.2) == Decimal("0.30000000")
    message, _ = group_measurements("g", [snap("A", 1.123456789123)], CONTINUOUS, NOW, None)
    assert message is not None
    assert message.measurements[0].value == Decimal("1.12345679")
    round_trips(message)


def test_nothing_metered_is_nothing_to_report() -> None:
    message, totals = group_measurements("g", [snap("A"), snap("B")], BOTH, NOW, None)
    assert message is None
    assert totals == GroupTotals(NOW, {}, {})
    message, _ = group_measurements("g", [], CONTINUOUS, NOW, None)
    assert message is None


def test_a_register_without_time_is_measured_now() -> None:
    bare = EvseSnapshot(evse_id="A", known=True, energy_import_wh=5)
    message, _ = group_measurements("g", [bare], CONTINUOUS, NOW, None)
    assert flows(message)[0] == (IMPORT, Decimal(5), NOW, None)


def test_intermittent_counts_from_the_previous_report() -> None:
    first, baseline = group_measurements(
        "g", [snap("A", 1000), snap("B", 500)], INTERMITTENT, NOW, None
    )
    assert first is None  # no previous report to count from
    assert baseline.measure_time == at(0)
    later = [snap("A", 1300, 15), snap("B", 650, 14)]
    message, totals = group_measurements("g", later, INTERMITTENT, NOW, baseline)
    assert flows(message) == [
        (IMPORT, Decimal(450), at(15), at(0)),
        (NET, Decimal(450), at(15), at(0)),
    ]
    assert message is not None
    assert all(m.initial_measure_time is not None for m in message.measurements)  # 5.6.3
    round_trips(message)
    assert totals.total_import_wh == Decimal(1950)


def test_both_configurations_send_both_kinds() -> None:
    _, baseline = group_measurements("g", [snap("A", 1000)], BOTH, NOW, None)
    message, _ = group_measurements("g", [snap("A", 1250, 15)], BOTH, NOW, baseline)
    assert flows(message) == [
        (IMPORT, Decimal(1250), at(15), None),
        (NET, Decimal(1250), at(15), None),
        (IMPORT, Decimal(250), at(15), at(0)),
        (NET, Decimal(250), at(15), at(0)),
    ]


def test_intermittent_is_robust_to_points_joining_leaving_and_meters_reset() -> None:
    _, baseline = group_measurements(
        "g", [snap("A", 1000), snap("B", 800)], INTERMITTENT, NOW, None
    )
    later = [
        snap("A", 1100, 15),  # +100
        snap("B"),  # no reading now: keeps its previous register
        snap("NEW", 90_000, 15),  # first reading: counts from here, no jump
    ]
    message, totals = group_measurements("g", later, INTERMITTENT, NOW, baseline)
    assert flows(message)[0][1] == Decimal(100)
    assert totals.import_wh == {"A": Decimal(1100), "B": Decimal(800), "NEW": Decimal(90_000)}
    again = [snap("A", 50, 30), snap("B", 900, 30), snap("NEW", 90_010, 30)]  # A: new meter
    message, totals = group_measurements("g", again, INTERMITTENT, NOW, totals)
    assert flows(message)[0][1] == Decimal(110)  # 0 + 100 + 10
    assert totals.import_wh["A"] == Decimal(50)


def test_intermittent_without_a_new_reading_keeps_the_baseline() -> None:
    _, baseline = group_measurements("g", [snap("A", 1000, 5)], INTERMITTENT, NOW, None)
    message, totals = group_measurements("g", [snap("A", 1000, 5)], INTERMITTENT, NOW, baseline)
    assert message is None
    assert totals is baseline


def test_an_empty_baseline_is_a_first_report() -> None:
    _, empty = group_measurements("g", [snap("A")], INTERMITTENT, NOW, None)
    message, baseline = group_measurements("g", [snap("A", 700, 5)], INTERMITTENT, NOW, empty)
    assert message is None
    assert baseline.import_wh == {"A": Decimal(700)}


def test_intermittent_export_and_net() -> None:
    _, baseline = group_measurements(
        "g", [snap("V", 1000, 0, energy_export_wh=300)], INTERMITTENT, NOW, None
    )
    later = [snap("V", 1100, 15, energy_export_wh=340)]
    message, _ = group_measurements("g", later, INTERMITTENT, NOW, baseline)
    assert [(d, v) for d, v, _, _ in flows(message)] == [
        (IMPORT, Decimal(100)),
        (EXPORT, Decimal(40)),
        (NET, Decimal(60)),
    ]


# -- assets ------------------------------------------------------------------------------------


def energies(message: UpdateAssetMeasurements) -> list[tuple[str, EnergyMeasurement]]:
    return [
        (m.asset_id, m.energy_measurement)
        for m in message.measurements
        if m.energy_measurement is not None
    ]


def test_assets_continuous_registers_and_power() -> None:
    snapshots = [
        snap("A", 1000, 3, power_w=7200.0, power_measured_at=at(4)),
        snap("V2G", 5000, 2, energy_export_wh=1000),
        snap("IDLE", power_w=0.0, power_measured_at=at(1)),
        EvseSnapshot(evse_id="NOBODY", known=False),
    ]
    message = asset_measurements("g", snapshots, CONTINUOUS, NOW)
    assert message is not None
    assert [(a, e.direction, e.value, e.measure_time) for a, e in energies(message)] == [
        ("A", IMPORT, Decimal(1000), at(3)),
        ("A", NET, Decimal(1000), at(3)),
        ("V2G", IMPORT, Decimal(5000), at(2)),
        ("V2G", EXPORT, Decimal(1000), at(2)),
        ("V2G", NET, Decimal(4000), at(2)),
    ]
    powers = [
        (m.asset_id, m.instantaneous_measurement)
        for m in message.measurements
        if m.instantaneous_measurement is not None
    ]
    assert [(a, p.value, p.unit, p.phase, p.measure_time) for a, p in powers] == [
        ("A", Decimal(7200), InstantaneousMeasurementUnit.W, PhaseIndicator.ALL, at(4)),
        ("IDLE", Decimal(0), InstantaneousMeasurementUnit.W, PhaseIndicator.ALL, at(1)),
    ]
    assert {m.asset_category for m in message.measurements} == {AssetCategory.CHARGING}
    for m in message.measurements:  # the model allows exactly one of the two
        assert (m.energy_measurement is None) != (m.instantaneous_measurement is None)
    round_trips(message)


def session(
    start: float, meter_start: int, meter: float | None, measured: float | None
) -> OpenTransaction:
    return OpenTransaction(
        transaction_id=7,
        connector_id=1,
        started_at=at(start),
        meter_start_wh=meter_start,
        meter_wh=meter,
        meter_measured_at=at(measured) if measured is not None else None,
    )


def test_assets_intermittent_sessions_since_their_start() -> None:
    charging = snap(
        "A",
        99_999,  # the charge point's total (connector 0): not the session's meter
        10,
        charging=True,
        transactions=(
            session(0, 1000, 1450.5, 10),
            session(5, 300, 300, 2),
        ),  # 2nd: no reading since
    )
    v2g = snap("V", 500, 10, energy_export_wh=20, transactions=(session(1, 100, 400, 9),))
    unlinked = snap("U", 10, 10, transactions=(session(1, 100, None, None),))
    message = asset_measurements("g", [charging, v2g, unlinked], INTERMITTENT, NOW)
    assert message is not None
    assert [
        (a, e.direction, e.value, e.measure_time, e.initial_measure_time)
        for a, e in energies(message)
    ] == [
        ("A", IMPORT, Decimal("450.5"), at(10), at(0)),
        ("A", NET, Decimal("450.5"), at(10), at(0)),
        ("V", IMPORT, Decimal(300), at(9), at(1)),  # net unknown: export since start is not
    ]
    round_trips(message)


def test_assets_both_configurations() -> None:
    one = snap("A", 1450, 10, transactions=(session(0, 1000, 1450, 10),))
    message = asset_measurements("g", [one], BOTH, NOW)
    assert message is not None
    assert [(e.direction, e.value, e.initial_measure_time) for _, e in energies(message)] == [
        (IMPORT, Decimal(1450), None),
        (NET, Decimal(1450), None),
        (IMPORT, Decimal(450), at(0)),
        (NET, Decimal(450), at(0)),
    ]


def test_assets_with_nothing_to_report_are_not_sent() -> None:
    assert asset_measurements("g", [snap("A"), snap("B")], CONTINUOUS, NOW) is None
    assert asset_measurements("g", [snap("A", 100)], INTERMITTENT, NOW) is None  # no session
    assert asset_measurements("g", [], [], NOW) is None
