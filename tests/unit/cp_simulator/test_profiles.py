"""Charging-profile composition (OCPP 1.6 §3.13, §5.16): stack levels, purposes, kinds, units,
validity, negative (V2G) limits, composite schedules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cp_simulator.profile_store import ProfileStore
from cp_simulator.profiles import (
    ChargingProfile,
    CompositePeriod,
    Context,
    InvalidProfile,
    Purpose,
    composite_schedule,
    connector_limit_w,
    next_change,
    parse_profile,
    schedule_limit_w,
)

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday, midnight
IDLE = Context(1)


def profile_data(
    periods: list[tuple[int, float]] | list[tuple[int, float, int]],
    *,
    profile_id: int = 1,
    stack: int = 0,
    purpose: str = "TxDefaultProfile",
    kind: str = "Absolute",
    unit: str = "W",
    start: datetime | None = T0,
    duration: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``csChargingProfiles`` payload as the ocpp library hands it over (snake_case)."""
    schedule: dict[str, Any] = {
        "charging_rate_unit": unit,
        "charging_schedule_period": [
            {"start_period": p[0], "limit": Decimal(str(p[1]))}
            | ({"number_phases": p[2]} if len(p) > 2 else {})
            for p in periods
        ],
    }
    if start is not None:
        schedule["start_schedule"] = start.isoformat().replace("+00:00", "Z")
    if duration is not None:
        schedule["duration"] = duration
    return {
        "charging_profile_id": profile_id,
        "stack_level": stack,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": kind,
        "charging_schedule": schedule,
        **extra,
    }


def make(connector_id: int = 1, *args: Any, **kwargs: Any) -> ChargingProfile:
    return parse_profile(connector_id, profile_data(*args, **kwargs), T0)


def at(hours: float = 0, days: int = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


def test_absolute_w_profile_follows_its_periods_and_ends_after_duration() -> None:
    p = make(1, [(0, 11000), (3600, 7000), (7200, 0)], duration=3 * 3600)
    assert schedule_limit_w(p, at(-1), IDLE) is None  # before startSchedule
    assert schedule_limit_w(p, at(0), IDLE) == 11000
    assert schedule_limit_w(p, at(1.5), IDLE) == 7000
    assert schedule_limit_w(p, at(2.5), IDLE) == 0
    assert schedule_limit_w(p, at(3), IDLE) is None  # duration over


def test_amps_convert_to_watts_with_voltage_and_number_of_phases() -> None:
    three = make(1, [(0, 16)], unit="A")
    one = make(1, [(0, 16, 1)], unit="A")
    assert schedule_limit_w(three, at(), IDLE) == pytest.approx(16 * 230 * 3)
    assert schedule_limit_w(one, at(), IDLE) == pytest.approx(16 * 230)
    assert schedule_limit_w(three, at(), IDLE, voltage=400 / 3**0.5) == pytest.approx(
        16 * 400 * 3**0.5
    )


def test_negative_limits_are_kept_signed_for_v2g_discharge() -> None:
    p = make(1, [(0, -5000), (1800, -2.5)], unit="A")
    assert p.has_negative_limit
    assert schedule_limit_w(p, at(), IDLE) == pytest.approx(-5000 * 690)
    assert connector_limit_w([make(1, [(0, -7400)])], IDLE, at(1)) == -7400


def test_highest_stack_level_wins_and_the_lower_one_takes_over_when_it_ends() -> None:
    low = make(1, [(0, 11000)], profile_id=1, stack=0)
    high = make(1, [(0, 3000)], profile_id=2, stack=5, duration=3600)
    assert connector_limit_w([low, high], IDLE, at(0.5)) == 3000
    assert connector_limit_w([low, high], IDLE, at(1.5)) == 11000


def test_connector_specific_default_beats_connector_zero_default_at_same_stack_level() -> None:
    station_wide = make(0, [(0, 11000)], profile_id=1)
    own = make(1, [(0, 4000)], profile_id=2)
    assert connector_limit_w([station_wide], Context(2), at()) == 11000  # applies to every one
    assert connector_limit_w([station_wide, own], Context(1), at()) == 4000
    assert connector_limit_w([station_wide, own], Context(2), at()) == 11000


def test_tx_profile_overrules_tx_default_only_during_a_matching_transaction() -> None:
    default = make(1, [(0, 3000)], profile_id=1, stack=3)
    tx = make(1, [(0, 7000)], profile_id=2, purpose="TxProfile", transaction_id=42)
    profiles = [default, tx]
    assert connector_limit_w(profiles, IDLE, at()) == 3000  # no transaction: TxProfile idle
    running = Context(1, tx_active=True, transaction_id=42, tx_start=at())
    assert connector_limit_w(profiles, running, at()) == 7000  # higher than default: overrules
    other = Context(1, tx_active=True, transaction_id=43, tx_start=at())
    assert connector_limit_w(profiles, other, at()) == 3000


def test_charge_point_max_is_the_minimum_across_purposes() -> None:
    cp_max = make(0, [(0, 5000)], profile_id=9, purpose="ChargePointMaxProfile")
    default = make(1, [(0, 11000)], profile_id=1)
    assert connector_limit_w([cp_max, default], IDLE, at()) == 5000
    assert connector_limit_w([cp_max], IDLE, at()) == 5000
    assert connector_limit_w([cp_max, make(1, [(0, 2000)])], IDLE, at()) == 2000
    assert connector_limit_w([default], Context(0), at()) is None  # connector 0: CP max only
    assert connector_limit_w([cp_max, default], Context(0), at()) == 5000


def test_recurring_daily_repeats_every_day_including_negative_evening_limit() -> None:
    p = make(
        1,
        [(0, 11000), (8 * 3600, 3600), (18 * 3600, -5000), (22 * 3600, 11000)],
        kind="Recurring",
        recurrency_kind="Daily",
        start=T0 - timedelta(days=3),
    )
    assert schedule_limit_w(p, at(2), IDLE) == 11000
    assert schedule_limit_w(p, at(9, days=5), IDLE) == 3600
    assert schedule_limit_w(p, at(19, days=1), IDLE) == -5000
    assert schedule_limit_w(p, at(23, days=10), IDLE) == 11000


def test_recurring_weekly_uses_the_offset_in_the_week() -> None:
    p = make(
        1,
        [(0, 11000), (5 * 86400, 22000)],  # weekend (from Saturday) faster
        kind="Recurring",
        recurrency_kind="Weekly",
    )
    assert schedule_limit_w(p, at(12, days=2), IDLE) == 11000  # Wednesday
    assert schedule_limit_w(p, at(12, days=5), IDLE) == 22000  # Saturday
    assert schedule_limit_w(p, at(12, days=7), IDLE) == 11000  # next Monday


def test_relative_profile_starts_with_the_transaction() -> None:
    p = make(1, [(0, 11000), (1800, 3000)], kind="Relative", start=None)
    assert schedule_limit_w(p, at(5), IDLE) is None  # no transaction, no start
    running = Context(1, tx_active=True, tx_start=at(5))
    assert schedule_limit_w(p, at(5.25), running) == 11000
    assert schedule_limit_w(p, at(5.75), running) == 3000


def test_valid_from_and_valid_to_bound_the_profile() -> None:
    p = make(
        1,
        [(0, 3000)],
        valid_from=at(1).isoformat(),
        valid_to=at(2).isoformat(),
    )
    assert schedule_limit_w(p, at(0.5), IDLE) is None
    assert schedule_limit_w(p, at(1.5), IDLE) == 3000
    assert schedule_limit_w(p, at(2), IDLE) is None


def test_absolute_profile_without_start_schedule_starts_when_received() -> None:
    p = parse_profile(1, profile_data([(0, 3000), (60, 1000)], start=None), at(3))
    assert p.start_schedule == at(3)
    assert schedule_limit_w(p, at(3) + timedelta(seconds=30), IDLE) == 3000
    assert schedule_limit_w(p, at(3) + timedelta(seconds=90), IDLE) == 1000


@pytest.mark.parametrize(
    ("connector_id", "data"),
    [
        (1, profile_data([(0, 1)], kind="Recurring")),  # no recurrencyKind
        (1, profile_data([(600, 1), (0, 2)])),  # periods out of order
        (1, profile_data([])),  # no period
        (1, profile_data([(0, 1)], purpose="ChargePointMaxProfile")),  # not on connector 0
        (0, profile_data([(0, 1)], purpose="TxProfile")),  # TxProfile needs a connector
        (1, {"charging_profile_id": 1}),  # malformed
    ],
)
def test_invalid_profiles_are_refused(connector_id: int, data: dict[str, Any]) -> None:
    with pytest.raises(InvalidProfile):
        parse_profile(connector_id, data, T0)


def test_composite_schedule_merges_stack_levels_and_clamps_to_hardware() -> None:
    base = make(1, [(0, 30000), (7200, -4000)], profile_id=1)
    cap = make(1, [(0, 6000)], profile_id=2, stack=2, start=at(1), duration=1800)
    periods = composite_schedule([base, cap], IDLE, at(), 4 * 3600, hardware_w=22000)
    assert periods == [
        CompositePeriod(0, 22000),  # 30 kW clamped to the hardware
        CompositePeriod(3600, 6000),
        CompositePeriod(5400, 22000),
        CompositePeriod(7200, -4000),
    ]


def test_composite_schedule_is_none_without_any_applicable_profile() -> None:
    assert composite_schedule([], IDLE, at(), 3600, hardware_w=11000) is None
    later = make(1, [(0, 1000)], start=at(5))
    assert composite_schedule([later], IDLE, at(), 3600, hardware_w=11000) is None


def test_next_change_is_the_next_period_boundary() -> None:
    p = make(1, [(0, 11000), (3600, 3000)], duration=7200)
    assert next_change([p], IDLE, at(0.5)) == at(1)
    assert next_change([p], IDLE, at(1.5)) == at(2)
    assert next_change([p], IDLE, at(3)) is None


def test_store_replaces_same_id_or_same_stack_level_purpose_and_connector() -> None:
    store = ProfileStore()
    store.install(make(1, [(0, 1000)], profile_id=1, stack=1))
    store.install(make(1, [(0, 2000)], profile_id=1, stack=2))  # same id
    assert [(p.id, p.stack_level) for p in store.profiles] == [(1, 2)]
    store.install(make(1, [(0, 3000)], profile_id=7, stack=2))  # same stack/purpose/connector
    assert [p.id for p in store.profiles] == [7]
    store.install(make(2, [(0, 3000)], profile_id=8, stack=2))  # other connector: kept apart
    assert sorted(p.id for p in store.profiles) == [7, 8]


def test_store_clears_by_id_or_by_criteria_and_drops_tx_profiles_at_end_of_transaction() -> None:
    store = ProfileStore()
    store.install(make(0, [(0, 9000)], profile_id=1, purpose="ChargePointMaxProfile"))
    store.install(make(1, [(0, 5000)], profile_id=2, stack=1))
    store.install(make(2, [(0, 5000)], profile_id=3, stack=1))
    store.install(make(1, [(0, 7000)], profile_id=4, purpose="TxProfile"))
    assert not store.clear(profile_id=99)
    assert store.clear(connector_id=2)
    assert store.clear(purpose=Purpose.CHARGE_POINT_MAX)
    assert sorted(p.id for p in store.profiles) == [2, 4]
    store.end_transaction(1)
    assert [p.id for p in store.profiles] == [2]
    assert store.clear(stack_level=1)
    assert store.profiles == ()
