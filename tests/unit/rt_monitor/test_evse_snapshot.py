"""The pure part of ``POST /api/v1/evses/snapshot``: which samples make a charge point's value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rt_monitor.evse_snapshot import (
    EXPORT_REGISTER,
    IMPORT_REGISTER,
    POWER,
    EvseFacts,
    OpenTransaction,
    Reading,
    Sample,
    connector_reading,
    evse_reading,
    snapshot_item,
)

T0 = datetime(2026, 5, 1, 10, tzinfo=UTC)


def sample(
    value: float,
    *,
    connector: int = 1,
    measurand: str = IMPORT_REGISTER,
    phase: str | None = None,
    location: str = "Outlet",
    unit: str | None = "Wh",
    minutes: int = 0,
) -> Sample:
    return Sample(
        connector, measurand, phase, location, unit, value, T0 + timedelta(minutes=minutes)
    )


def test_overall_value_wins_over_phases_and_units_are_converted() -> None:
    assert connector_reading([sample(1.5, unit="kWh"), sample(700, phase="L1")]) == Reading(
        1500.0, T0
    )


def test_phases_are_summed_lines_before_line_to_neutral() -> None:
    lines = [sample(1, phase="L1"), sample(2, phase="L2"), sample(4, phase="L3")]
    assert connector_reading(lines) == Reading(7.0, T0)
    to_neutral = [sample(1, phase="L1-N"), sample(2, phase="L2-N"), sample(8, phase="N")]
    assert connector_reading(to_neutral) == Reading(3.0, T0)
    assert connector_reading([sample(5, phase="L1-L2")]) is None  # line to line: not a meter


def test_one_reading_under_several_contexts_counts_once() -> None:
    assert connector_reading([sample(10), sample(10), sample(10, phase="L1")]) == Reading(10.0, T0)


def test_locations_by_preference_and_unusable_units() -> None:
    assert connector_reading([sample(1, location="Cable"), sample(2, location="Inlet")]) == Reading(
        2.0, T0
    )
    assert connector_reading([sample(3, location="Cable")]) == Reading(3.0, T0)
    assert connector_reading([sample(3, unit="varh")]) is None
    assert connector_reading([]) is None
    assert connector_reading([sample(2, measurand=POWER, unit="kW")]) == Reading(2000.0, T0)


def test_connector_zero_or_the_sum_of_the_connectors() -> None:
    later = T0 + timedelta(hours=1)
    per_connector = {1: Reading(10, T0), 2: Reading(5, later)}
    assert evse_reading(per_connector) == Reading(15, later)
    assert evse_reading({0: Reading(100, T0), **per_connector}) == Reading(100, T0)
    assert evse_reading(per_connector, lambda c: c == 1) == Reading(10, later)
    assert evse_reading({}) is None


def test_item_of_a_charge_point_with_an_open_session_but_no_samples() -> None:
    facts = EvseFacts(
        statuses={0: "Available", 1: "Preparing"},
        transactions=[OpenTransaction(None, 1, T0, 1234)],
        samples=[sample(2, measurand=EXPORT_REGISTER, connector=1, minutes=3)],
    )
    item = snapshot_item("CP", facts)
    assert item["known"] is True
    assert item["charging"] is True  # an open transaction, whatever the status says
    assert item["energy_import_wh"] is None
    assert item["energy_export_wh"] == 2.0
    assert item["energy_measured_at"] == "2026-05-01T10:03:00.000Z"
    assert item["transactions"] == [
        {
            "transaction_id": None,
            "connector_id": 1,
            "started_at": "2026-05-01T10:00:00.000Z",
            "meter_start_wh": 1234,
            "meter_wh": None,
            "meter_measured_at": None,
        }
    ]
    assert snapshot_item("CP", None)["known"] is False
