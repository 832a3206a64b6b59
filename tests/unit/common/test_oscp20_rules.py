"""The validation rules of a received capacity forecast (``check_forecast``): signs
(FR.01.05/FR.02.04, FR.01.06/FR.02.05), fallbacks against the capacity in force
(FR.01.07/FR.02.06, FR.02.07 against FR.01.08), the Optimum within [GC, CC] (FR.01.09), and
overlapping blocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from wiseevp_common.messages.oscp20 import (
    CapacityForecastType,
    ForecastedBlock,
    ForecastedBlockUnit,
    PhaseIndicator,
    UpdateGroupCapacityForecast,
)
from wiseevp_common.messages.oscp20.rules import RuleViolation, check_forecast

T = CapacityForecastType
T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


def blk(
    capacity: float | str,
    start: int = 0,
    length: int = 1,
    *,
    unit: ForecastedBlockUnit = ForecastedBlockUnit.A,
    phase: PhaseIndicator = PhaseIndicator.ALL,
) -> ForecastedBlock:
    """A block of ``length`` quarters from quarter ``start`` after T0."""
    return ForecastedBlock(
        capacity=Decimal(str(capacity)),
        phase=phase,
        unit=unit,
        start_time=T0 + start * QUARTER,
        end_time=T0 + (start + length) * QUARTER,
    )


def fc(kind: CapacityForecastType, *blocks: ForecastedBlock) -> UpdateGroupCapacityForecast:
    return UpdateGroupCapacityForecast(group_id="g1", type=kind, forecasted_blocks=list(blocks))


def requirements(violations: list[RuleViolation]) -> list[str]:
    return [v.requirement for v in violations]


# -- signs ------------------------------------------------------------------------------------


def test_consumption_capacity_must_be_at_least_zero() -> None:
    """FR.01.05/FR.02.04: the Consumption Capacity must be greater than or equal to 0."""
    assert check_forecast(fc(T.CONSUMPTION, blk(0), blk(32, 1)), {}) == []
    violations = check_forecast(fc(T.CONSUMPTION, blk(16), blk("-0.00000001", 1)), {})
    assert requirements(violations) == ["FR.01.05/FR.02.04"]
    assert "forecasted_blocks[1]" in violations[0].text
    assert str(violations[0]).startswith("FR.01.05/FR.02.04: the Consumption Capacity")


def test_generation_capacity_must_be_at_most_zero() -> None:
    """FR.01.06/FR.02.05: the Generation Capacity must be less than or equal to 0."""
    assert check_forecast(fc(T.GENERATION, blk(0), blk(-10, 1)), {}) == []
    violations = check_forecast(fc(T.GENERATION, blk(1), blk(2, 1)), {})
    assert requirements(violations) == ["FR.01.06/FR.02.05"] * 2
    assert "forecasted_blocks[0]" in violations[0].text
    assert "forecasted_blocks[1]" in violations[1].text


def test_fallback_signs() -> None:
    """2.3: fallback consumption is positive, fallback generation negative."""
    assert requirements(check_forecast(fc(T.FALLBACK_CONSUMPTION, blk(-1)), {})) == ["2.3"]
    assert requirements(check_forecast(fc(T.FALLBACK_GENERATION, blk(1)), {})) == ["2.3"]
    assert check_forecast(fc(T.FALLBACK_CONSUMPTION, blk(0)), {}) == []
    assert check_forecast(fc(T.FALLBACK_GENERATION, blk(0)), {}) == []


def test_optimum_has_no_sign_rule() -> None:
    assert check_forecast(fc(T.OPTIMUM, blk(-5), blk(5, 1)), {}) == []


# -- fallbacks against the capacity in force --------------------------------------------------


def test_fallback_consumption_at_most_consumption() -> None:
    """FR.01.07/FR.02.06: the Fallback Consumption Capacity must be less than or equal to the
    Consumption Capacity."""
    in_force = {T.CONSUMPTION: fc(T.CONSUMPTION, blk(32), blk(16, 1))}
    assert check_forecast(fc(T.FALLBACK_CONSUMPTION, blk(32), blk(16, 1)), in_force) == []
    assert check_forecast(fc(T.FALLBACK_CONSUMPTION, blk(8, 0, 2)), in_force) == []
    violations = check_forecast(fc(T.FALLBACK_CONSUMPTION, blk(20, 0, 2)), in_force)
    assert requirements(violations) == ["FR.01.07/FR.02.06"]
    assert "20 > 16" in violations[0].text


def test_fallback_consumption_without_consumption_in_force_is_accepted() -> None:
    assert check_forecast(fc(T.FALLBACK_CONSUMPTION, blk(1000)), {}) == []
    generation_only = {T.GENERATION: fc(T.GENERATION, blk(-1))}
    assert check_forecast(fc(T.FALLBACK_CONSUMPTION, blk(1000)), generation_only) == []


def test_fallback_generation_at_least_generation() -> None:
    """FR.02.07: the Fallback Generation Capacity must be greater than or equal to the
    Generation Capacity (|FGC| ≤ |GC|); FR.01.08, which says the opposite, is named too."""
    in_force = {T.GENERATION: fc(T.GENERATION, blk(-20))}
    assert check_forecast(fc(T.FALLBACK_GENERATION, blk(-20)), in_force) == []
    assert check_forecast(fc(T.FALLBACK_GENERATION, blk(-5)), in_force) == []
    violations = check_forecast(fc(T.FALLBACK_GENERATION, blk(-25)), in_force)
    assert requirements(violations) == ["FR.02.07 (FR.01.08)"]
    assert "-25 < -20" in violations[0].text
    assert "FR.01.08 states the opposite" in violations[0].text


def test_fallbacks_are_not_compared_with_the_other_direction() -> None:
    in_force = {
        T.CONSUMPTION: fc(T.CONSUMPTION, blk(5)),
        T.GENERATION: fc(T.GENERATION, blk(-5)),
    }
    assert check_forecast(fc(T.FALLBACK_GENERATION, blk(-1)), in_force) == []
    assert check_forecast(fc(T.FALLBACK_CONSUMPTION, blk(1)), in_force) == []


# -- the Optimum ------------------------------------------------------------------------------


def test_optimum_within_generation_and_consumption() -> None:
    """FR.01.09: the Optimum must lie between the Generation and the Consumption Capacity."""
    in_force = {
        T.CONSUMPTION: fc(T.CONSUMPTION, blk(32)),
        T.GENERATION: fc(T.GENERATION, blk(-10)),
    }
    for inside in (32, 0, -10, "25.6"):
        assert check_forecast(fc(T.OPTIMUM, blk(inside)), in_force) == [], inside
    above = check_forecast(fc(T.OPTIMUM, blk(33)), in_force)
    assert requirements(above) == ["FR.01.09"]
    assert "less than or equal to the Consumption Capacity" in above[0].text
    below = check_forecast(fc(T.OPTIMUM, blk(-11)), in_force)
    assert requirements(below) == ["FR.01.09"]
    assert "greater than or equal to the Generation Capacity" in below[0].text


def test_optimum_with_only_one_bound_in_force() -> None:
    consumption = {T.CONSUMPTION: fc(T.CONSUMPTION, blk(32))}
    assert check_forecast(fc(T.OPTIMUM, blk(-1000)), consumption) == []
    assert requirements(check_forecast(fc(T.OPTIMUM, blk(40)), consumption)) == ["FR.01.09"]
    assert check_forecast(fc(T.OPTIMUM, blk(1000)), {}) == []


def test_optimum_is_not_compared_with_fallbacks() -> None:
    in_force = {T.FALLBACK_CONSUMPTION: fc(T.FALLBACK_CONSUMPTION, blk(5))}
    assert check_forecast(fc(T.OPTIMUM, blk(30)), in_force) == []


# -- when blocks are compared -----------------------------------------------------------------


def test_only_blocks_overlapping_in_time_are_compared() -> None:
    in_force = {T.CONSUMPTION: fc(T.CONSUMPTION, blk(10, 0, 2))}  # 06:00-06:30
    assert check_forecast(fc(T.FALLBACK_CONSUMPTION, blk(50, 2)), in_force) == []  # adjacent
    assert check_forecast(fc(T.FALLBACK_CONSUMPTION, blk(50, 5)), in_force) == []  # later
    overlapping = ForecastedBlock(
        capacity=Decimal(50),
        phase=PhaseIndicator.ALL,
        unit=ForecastedBlockUnit.A,
        start_time=T0 + timedelta(minutes=29),
        end_time=T0 + timedelta(minutes=45),
    )
    violations = check_forecast(fc(T.FALLBACK_CONSUMPTION, overlapping), in_force)
    assert requirements(violations) == ["FR.01.07/FR.02.06"]


def test_each_overlap_is_checked() -> None:
    in_force = {T.CONSUMPTION: fc(T.CONSUMPTION, blk(30), blk(10, 1))}
    violations = check_forecast(fc(T.FALLBACK_CONSUMPTION, blk(20, 0, 2)), in_force)
    assert requirements(violations) == ["FR.01.07/FR.02.06"]  # only against the 10
    assert "20 > 10" in violations[0].text


@pytest.mark.parametrize(
    "other",
    [
        blk(50, unit=ForecastedBlockUnit.W),
        blk(50, unit=ForecastedBlockUnit.KW),
        blk(50, phase=PhaseIndicator.ONE),
        blk(50, phase=PhaseIndicator.UNKNOWN),
    ],
    ids=["W", "KW", "phase ONE", "phase UNKNOWN"],
)
def test_blocks_of_another_unit_or_phase_are_not_compared(other: ForecastedBlock) -> None:
    in_force = {T.CONSUMPTION: fc(T.CONSUMPTION, blk(10))}  # A, ALL
    assert check_forecast(fc(T.FALLBACK_CONSUMPTION, other), in_force) == []
    assert check_forecast(fc(T.OPTIMUM, other), in_force) == []


def test_same_unit_and_phase_are_compared() -> None:
    in_force = {
        T.CONSUMPTION: fc(
            T.CONSUMPTION,
            blk(10, phase=PhaseIndicator.ONE, unit=ForecastedBlockUnit.KW),
            blk(99, phase=PhaseIndicator.TWO, unit=ForecastedBlockUnit.KW),
        )
    }
    new = fc(T.FALLBACK_CONSUMPTION, blk(11, phase=PhaseIndicator.ONE, unit=ForecastedBlockUnit.KW))
    assert requirements(check_forecast(new, in_force)) == ["FR.01.07/FR.02.06"]


def test_a_new_consumption_is_never_refused_because_of_an_older_fallback() -> None:
    """FR.02.02: the CP can alter the Capacity without limits at any time; a lowered capacity
    below the fallback in force is accepted (the gateway applies the lower of the two)."""
    in_force = {
        T.FALLBACK_CONSUMPTION: fc(T.FALLBACK_CONSUMPTION, blk(30)),
        T.OPTIMUM: fc(T.OPTIMUM, blk(25)),
    }
    assert check_forecast(fc(T.CONSUMPTION, blk(5)), in_force) == []
    generation = {T.FALLBACK_GENERATION: fc(T.FALLBACK_GENERATION, blk(-30))}
    assert check_forecast(fc(T.GENERATION, blk(-5)), generation) == []


def test_in_force_of_the_same_type_is_not_a_constraint() -> None:
    """FR.01.04: the new forecast of a type replaces the previous one."""
    in_force = {T.FALLBACK_CONSUMPTION: fc(T.FALLBACK_CONSUMPTION, blk(1))}
    assert check_forecast(fc(T.FALLBACK_CONSUMPTION, blk(100)), in_force) == []


# -- overlapping blocks within one forecast ---------------------------------------------------


def test_overlapping_blocks_of_one_phase_are_refused() -> None:
    violations = check_forecast(fc(T.CONSUMPTION, blk(10, 0, 2), blk(10, 1, 2)), {})
    assert requirements(violations) == ["4.4.1"]
    assert "phase ALL overlap at 2026-03-01T06:15:00+00:00" in violations[0].text


def test_overlap_is_reported_once_even_out_of_order() -> None:
    forecast = fc(T.CONSUMPTION, blk(1, 4), blk(1, 0, 3), blk(1, 2), blk(1, 1))
    assert requirements(check_forecast(forecast, {})) == ["4.4.1"]


def test_adjacent_and_per_phase_blocks_are_not_overlaps() -> None:
    forecast = fc(
        T.CONSUMPTION,
        blk(10, 1),
        blk(10, 0),
        blk(16, 0, 2, phase=PhaseIndicator.ONE),
        blk(16, 0, 2, phase=PhaseIndicator.TWO),
        blk(16, 0, 2, phase=PhaseIndicator.THREE),
    )
    assert check_forecast(forecast, {}) == []


def test_all_violations_are_listed() -> None:
    in_force = {T.CONSUMPTION: fc(T.CONSUMPTION, blk(10, 0, 4))}
    forecast = fc(T.FALLBACK_CONSUMPTION, blk(-1, 0, 2), blk(20, 1, 2))
    assert requirements(check_forecast(forecast, in_force)) == [
        "2.3",
        "4.4.1",
        "FR.01.07/FR.02.06",
    ]
