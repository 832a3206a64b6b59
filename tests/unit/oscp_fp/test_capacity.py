"""The limits in force for a group from the forecasts received (``group_capacity``): normal
and fallback mode, units, per-phase blocks, the Optimum, the horizon from ``now``, merging,
the current block and the forecast the limits come from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from oscp_fp.capacity import ForecastInForce, block_value, group_capacity
from wiseevp_common.messages.grid import CapacityBlock, CapacityMode, CapacityUnit
from wiseevp_common.messages.oscp20 import (
    CapacityForecastType,
    ForecastedBlock,
    ForecastedBlockUnit,
    PhaseIndicator,
    UpdateGroupCapacityForecast,
)

T = CapacityForecastType
U = ForecastedBlockUnit
P = PhaseIndicator
T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
Q = timedelta(minutes=15)
V = 230.0


def at(quarters: float) -> datetime:
    return T0 + quarters * Q


def blk(
    capacity: float | str,
    start: float = 0,
    end: float | None = None,
    *,
    unit: ForecastedBlockUnit = U.A,
    phase: PhaseIndicator = P.ALL,
) -> ForecastedBlock:
    """A block from quarter ``start`` to ``end`` (one quarter by default) after T0."""
    return ForecastedBlock(
        capacity=Decimal(str(capacity)),
        phase=phase,
        unit=unit,
        start_time=at(start),
        end_time=at(start + 1 if end is None else end),
    )


def held(kind: CapacityForecastType, *blocks: ForecastedBlock, rid: str = "") -> ForecastInForce:
    forecast = UpdateGroupCapacityForecast(group_id="g1", type=kind, forecasted_blocks=list(blocks))
    return ForecastInForce(forecast, rid or f"req-{kind.value.lower()}", "cp", T0 - Q)


def forecasts(*items: ForecastInForce) -> dict[CapacityForecastType, ForecastInForce]:
    return {item.forecast.type: item for item in items}


def limits(blocks: list[CapacityBlock]) -> list[tuple[float, float, float | None]]:
    """(start quarter, end quarter, consumption) of each block."""
    return [((b.start - T0) / Q, (b.end - T0) / Q, b.consumption) for b in blocks]


# -- normal and fallback mode -----------------------------------------------------------------

NORMAL_AND_FALLBACK = forecasts(
    held(T.CONSUMPTION, blk(32, 0), blk(16, 1)),
    held(T.FALLBACK_CONSUMPTION, blk(10, 0), blk(20, 1)),
    held(T.GENERATION, blk(-20, 0, 2)),
    held(T.FALLBACK_GENERATION, blk(-5, 0), blk(-30, 1)),
)


def test_normal_mode_applies_consumption_and_generation() -> None:
    capacity = group_capacity("g1", NORMAL_AND_FALLBACK, cp_online=True, now=T0)
    assert capacity.mode is CapacityMode.NORMAL
    assert capacity.capacity_provider_online is True
    assert capacity.group_id == "g1" and capacity.at == T0
    assert [(b.consumption, b.generation) for b in capacity.blocks] == [
        (32.0, -20.0),
        (16.0, -20.0),
    ]


def test_fallback_mode_applies_the_tighter_of_fallback_and_normal() -> None:
    """FR.01.03/FR.02.03 with FR.01.02: min(FCC, CC) and max(FGC, GC)."""
    capacity = group_capacity("g1", NORMAL_AND_FALLBACK, cp_online=False, now=T0)
    assert capacity.mode is CapacityMode.FALLBACK
    assert capacity.capacity_provider_online is False
    assert [(b.consumption, b.generation) for b in capacity.blocks] == [
        (10.0, -5.0),  # the fallbacks are tighter
        (16.0, -20.0),  # the normal capacities are tighter (lowered after the fallback)
    ]


def test_fallback_mode_keeps_the_capacity_where_no_fallback_is_given() -> None:
    given = forecasts(
        held(T.CONSUMPTION, blk(32, 0, 3)),
        held(T.FALLBACK_CONSUMPTION, blk(8, 1)),
    )
    capacity = group_capacity("g1", given, cp_online=False, now=T0)
    assert limits(capacity.blocks) == [(0, 1, 32.0), (1, 2, 8.0), (2, 3, 32.0)]


def test_fallback_without_a_normal_capacity_applies_alone() -> None:
    given = forecasts(held(T.FALLBACK_CONSUMPTION, blk(12, 0, 2)))
    assert limits(group_capacity("g1", given, cp_online=False, now=T0).blocks) == [(0, 2, 12.0)]
    assert group_capacity("g1", given, cp_online=True, now=T0).blocks == []


def test_without_any_forecast_there_is_no_limit() -> None:
    capacity = group_capacity("g1", {}, cp_online=True, now=T0)
    assert capacity.blocks == [] and capacity.current is None
    assert capacity.unit is CapacityUnit.W
    assert capacity.forecast_request_id is None


# -- units ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("block", "unit", "expected"),
    [
        (blk(16, unit=U.A), CapacityUnit.A, 16.0),
        (blk(16, unit=U.A), CapacityUnit.W, 16 * V * 3),
        (blk(11040, unit=U.W), CapacityUnit.W, 11040.0),
        (blk(11040, unit=U.W), CapacityUnit.A, 16.0),
        (blk("11.04", unit=U.KW), CapacityUnit.W, 11040.0),
        (blk("11.04", unit=U.KW), CapacityUnit.A, 16.0),
        (blk(1000, unit=U.WH), CapacityUnit.W, 4000.0),  # 1 kWh in a quarter: 4 kW
        (blk(1000, 0, 4, unit=U.WH), CapacityUnit.W, 1000.0),  # over an hour: 1 kW
        (blk(3, 0, 2, unit=U.KWH), CapacityUnit.W, 6000.0),  # 3 kWh in half an hour
        (blk("2.76", unit=U.KWH), CapacityUnit.A, 16.0),  # 11.04 kW
        (blk(-5, unit=U.KW), CapacityUnit.W, -5000.0),
    ],
)
def test_block_value(block: ForecastedBlock, unit: CapacityUnit, expected: float) -> None:
    assert block_value(block, unit, V) == pytest.approx(expected)


def test_block_value_uses_the_voltage() -> None:
    assert block_value(blk(10, unit=U.A), CapacityUnit.W, 400.0) == pytest.approx(12000.0)
    assert block_value(blk(12, unit=U.KW), CapacityUnit.A, 400.0) == pytest.approx(10.0)


def test_group_unit_is_amperes_when_the_consumption_is_in_amperes() -> None:
    given = forecasts(
        held(T.CONSUMPTION, blk(16, unit=U.A)),
        held(T.GENERATION, blk(-11040, unit=U.W)),
        held(T.OPTIMUM, blk("5.52", unit=U.KW)),
    )
    capacity = group_capacity("g1", given, cp_online=True, now=T0)
    assert capacity.unit is CapacityUnit.A
    (only,) = capacity.blocks
    assert only.consumption == pytest.approx(16.0)
    assert only.generation == pytest.approx(-16.0)
    assert only.optimum == pytest.approx(8.0)


@pytest.mark.parametrize("unit", [U.W, U.KW, U.WH, U.KWH])
def test_group_unit_is_watts_otherwise(unit: ForecastedBlockUnit) -> None:
    given = forecasts(held(T.CONSUMPTION, blk(4, unit=unit)), held(T.GENERATION, blk(-1, unit=U.A)))
    capacity = group_capacity("g1", given, cp_online=True, now=T0)
    assert capacity.unit is CapacityUnit.W
    assert capacity.blocks[0].generation == pytest.approx(-V * 3)


def test_group_unit_follows_the_first_capacity_kind_present() -> None:
    fallback_only = forecasts(held(T.FALLBACK_CONSUMPTION, blk(10, unit=U.A)))
    assert group_capacity("g1", fallback_only, cp_online=False, now=T0).unit is CapacityUnit.A
    generation = forecasts(held(T.GENERATION, blk(-10, unit=U.A)))
    assert group_capacity("g1", generation, cp_online=True, now=T0).unit is CapacityUnit.A
    optimum_only = forecasts(held(T.OPTIMUM, blk(10, unit=U.A)))
    capacity = group_capacity("g1", optimum_only, cp_online=True, now=T0)
    assert capacity.unit is CapacityUnit.W
    assert capacity.blocks[0].optimum == pytest.approx(10 * V * 3)


def test_group_voltage_is_used() -> None:
    given = forecasts(held(T.CONSUMPTION, blk(12, unit=U.KW)), held(T.OPTIMUM, blk(5, unit=U.A)))
    capacity = group_capacity("g1", given, cp_online=True, now=T0, voltage_v=400.0)
    assert capacity.blocks[0].optimum == pytest.approx(6000.0)


# -- per phase --------------------------------------------------------------------------------


def test_per_phase_blocks_the_lowest_consumption_applies() -> None:
    given = forecasts(
        held(
            T.CONSUMPTION,
            blk(32, phase=P.ONE),
            blk(20, phase=P.TWO),
            blk(25, phase=P.THREE),
        ),
        held(T.OPTIMUM, blk(18, phase=P.ONE), blk(12, phase=P.TWO)),
    )
    (only,) = group_capacity("g1", given, cp_online=True, now=T0).blocks
    assert only.consumption == 20.0
    assert only.optimum == 12.0


def test_per_phase_fallback_consumption_lowest_and_generation_least_negative() -> None:
    given = forecasts(
        held(T.FALLBACK_CONSUMPTION, blk(10, phase=P.ONE), blk(6, phase=P.TWO)),
        held(T.GENERATION, blk(-10, phase=P.ONE), blk(-4, phase=P.TWO)),
    )
    (only,) = group_capacity("g1", given, cp_online=False, now=T0).blocks
    assert only.consumption == 6.0
    assert only.generation == -4.0


# -- the Optimum ------------------------------------------------------------------------------


def test_optimum_is_carried_in_both_modes() -> None:
    given = forecasts(
        held(T.CONSUMPTION, blk(32, 0, 2)),
        held(T.FALLBACK_CONSUMPTION, blk(10, 0, 2)),
        held(T.OPTIMUM, blk(25, 0), blk(20, 1)),
    )
    for online in (True, False):
        capacity = group_capacity("g1", given, cp_online=online, now=T0)
        assert [b.optimum for b in capacity.blocks] == [25.0, 20.0]


def test_optimum_alone_makes_blocks_without_limits() -> None:
    given = forecasts(held(T.OPTIMUM, blk(-3, 1)))
    (only,) = group_capacity("g1", given, cp_online=True, now=T0).blocks
    assert (only.consumption, only.generation) == (None, None)
    assert only.optimum == pytest.approx(-3 * V * 3)
    assert (only.start, only.end) == (at(1), at(2))


# -- the horizon from now ---------------------------------------------------------------------


def test_blocks_before_now_are_dropped_and_the_current_one_starts_now() -> None:
    given = forecasts(held(T.CONSUMPTION, blk(10, 0), blk(20, 1), blk(30, 2)))
    now = at(1.5)
    capacity = group_capacity("g1", given, cp_online=True, now=now)
    assert capacity.at == now
    assert limits(capacity.blocks) == [(1.5, 2, 20.0), (2, 3, 30.0)]
    assert capacity.current == capacity.blocks[0]


def test_everything_past_leaves_nothing() -> None:
    given = forecasts(held(T.CONSUMPTION, blk(10, 0, 2)))
    capacity = group_capacity("g1", given, cp_online=True, now=at(2))
    assert capacity.blocks == [] and capacity.current is None


def test_future_blocks_leave_no_current_limit() -> None:
    given = forecasts(held(T.CONSUMPTION, blk(10, 4)))
    capacity = group_capacity("g1", given, cp_online=True, now=T0)
    assert limits(capacity.blocks) == [(4, 5, 10.0)]
    assert capacity.current is None


def test_gaps_between_blocks_stay_gaps() -> None:
    given = forecasts(held(T.CONSUMPTION, blk(10, 0), blk(20, 3)))
    capacity = group_capacity("g1", given, cp_online=True, now=T0)
    assert limits(capacity.blocks) == [(0, 1, 10.0), (3, 4, 20.0)]
    assert capacity.current is not None and capacity.current.consumption == 10.0


# -- merging ----------------------------------------------------------------------------------


def test_adjacent_equal_blocks_are_merged() -> None:
    given = forecasts(
        held(T.CONSUMPTION, blk(16, 0), blk(16, 1), blk(16, 2), blk(8, 3)),
        held(T.GENERATION, blk(-5, 0, 4)),
    )
    capacity = group_capacity("g1", given, cp_online=True, now=T0)
    assert limits(capacity.blocks) == [(0, 3, 16.0), (3, 4, 8.0)]


def test_blocks_differing_only_in_the_optimum_are_not_merged() -> None:
    given = forecasts(
        held(T.CONSUMPTION, blk(16, 0, 2)),
        held(T.OPTIMUM, blk(10, 0), blk(12, 1)),
    )
    capacity = group_capacity("g1", given, cp_online=True, now=T0)
    assert [(b.start, b.end, b.optimum) for b in capacity.blocks] == [
        (at(0), at(1), 10.0),
        (at(1), at(2), 12.0),
    ]


def test_equal_blocks_across_a_gap_are_not_merged() -> None:
    given = forecasts(held(T.CONSUMPTION, blk(16, 0), blk(16, 2)))
    assert limits(group_capacity("g1", given, cp_online=True, now=T0).blocks) == [
        (0, 1, 16.0),
        (2, 3, 16.0),
    ]


# -- clamping and the source forecast ---------------------------------------------------------


def test_limits_keep_their_sign() -> None:
    """Consumption never below 0, generation never above 0, even from odd conversions."""
    given = forecasts(held(T.CONSUMPTION, blk(0)), held(T.GENERATION, blk(0)))
    (only,) = group_capacity("g1", given, cp_online=True, now=T0).blocks
    assert (only.consumption, only.generation) == (0.0, 0.0)


def test_forecast_request_id_names_the_forecast_in_force() -> None:
    given = forecasts(
        held(T.CONSUMPTION, blk(32), rid="cc-1"),
        held(T.FALLBACK_CONSUMPTION, blk(10), rid="fcc-1"),
    )
    assert group_capacity("g1", given, cp_online=True, now=T0).forecast_request_id == "cc-1"
    assert group_capacity("g1", given, cp_online=False, now=T0).forecast_request_id == "fcc-1"
    consumption_only = forecasts(held(T.CONSUMPTION, blk(32), rid="cc-2"))
    offline = group_capacity("g1", consumption_only, cp_online=False, now=T0)
    assert offline.forecast_request_id == "cc-2"
    optimum_only = forecasts(held(T.OPTIMUM, blk(3), rid="opt"))
    assert group_capacity("g1", optimum_only, cp_online=True, now=T0).forecast_request_id is None


def test_the_result_is_a_valid_message() -> None:
    capacity = group_capacity("g1", NORMAL_AND_FALLBACK, cp_online=False, now=at(0.5))
    again = type(capacity).model_validate_json(capacity.model_dump_json())
    assert again == capacity
