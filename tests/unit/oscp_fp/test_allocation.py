"""Splitting a group's capacity over its charge points, and the SetChargingProfile.req payloads
that enforce the shares."""

from __future__ import annotations

import json
import math
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker  # type: ignore[import-untyped]

from evse_wrapper.framing import validate_request
from oscp_fp.allocation import (
    AllocationOptions,
    EvseLimit,
    WaterFill,
    allocate,
    block_limit,
    group_timeline,
    whole_seconds,
)
from oscp_fp.groups import EvseConfig, GroupConfig
from wiseevp_common.messages.grid import CapacityBlock, CapacityMode, CapacityUnit, GroupCapacity
from wiseevp_common.ocpp_topology import ocpp16_schema

NOW = datetime(2026, 5, 1, 10, 0, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)

# the schema's numbers as decimals: `multipleOf: 0.1` is exact then (floats say 0.3 is not)
_SCHEMA = json.loads(json.dumps(ocpp16_schema("SetChargingProfile")), parse_float=Decimal)
_VALIDATOR = Draft4Validator(_SCHEMA, format_checker=FormatChecker())


def assert_valid(payload: dict[str, Any]) -> None:
    """Valid for the official schema, as a charge point parsing decimals sees it, and for the
    EVSE wrapper, which forwards only valid commands."""
    _VALIDATOR.validate(json.loads(json.dumps(payload), parse_float=Decimal))
    validate_request("SetChargingProfile", payload)


def evse(evse_id: str, amps: float = 32, phases: int = 3) -> EvseConfig:
    return EvseConfig(id=evse_id, max_current_a=amps, phases=phases)


def group(*evses: EvseConfig, voltage: float = 230) -> GroupConfig:
    return GroupConfig(id="g", nominal_voltage_v=voltage, evses=evses)


def block(
    start: timedelta,
    end: timedelta,
    consumption: float | None,
    optimum: float | None = None,
) -> CapacityBlock:
    return CapacityBlock(start=NOW + start, end=NOW + end, consumption=consumption, optimum=optimum)


def capacity(
    *blocks: CapacityBlock,
    unit: CapacityUnit = CapacityUnit.A,
    mode: CapacityMode = CapacityMode.NORMAL,
    at: datetime = NOW,
) -> GroupCapacity:
    current = next((b for b in blocks if b.start <= at < b.end), None)
    return GroupCapacity(
        group_id="g",
        at=at,
        mode=mode,
        unit=unit,
        current=current,
        blocks=[b for b in blocks if b.end > at],
        capacity_provider_online=mode is CapacityMode.NORMAL,
    )


def periods(limit: EvseLimit) -> list[tuple[int, float]]:
    schedule = limit.payload["csChargingProfiles"]["chargingSchedule"]
    return [(p["startPeriod"], p["limit"]) for p in schedule["chargingSchedulePeriod"]]


def limits_now(limits: list[EvseLimit]) -> dict[str, float]:
    return {lim.evse_id: lim.current_limit for lim in limits}


# -- the payload ------------------------------------------------------------------------------


def test_the_payload_is_a_charge_point_max_profile_from_now() -> None:
    now = NOW + timedelta(milliseconds=1234, microseconds=567)
    [lim] = allocate(
        capacity(block(-QUARTER, QUARTER, 20)),
        group(evse("CP.1")),
        now,
        options=AllocationOptions(profile_id=42, stack_level=3),
    )
    assert lim == EvseLimit(
        "CP.1",
        CapacityUnit.A,
        20.0,
        {
            "connectorId": 0,
            "csChargingProfiles": {
                "chargingProfileId": 42,
                "stackLevel": 3,
                "chargingProfilePurpose": "ChargePointMaxProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": {
                    "startSchedule": "2026-05-01T10:00:01.234Z",
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 20.0}],
                },
            },
        },
    )
    assert_valid(lim.payload)


def test_default_options() -> None:
    [lim] = allocate(capacity(block(-QUARTER, QUARTER, 20)), group(evse("CP.1")), NOW)
    profile = lim.payload["csChargingProfiles"]
    assert (profile["chargingProfileId"], profile["stackLevel"]) == (1701, 0)
    with pytest.raises(ValueError, match="idle_weight"):
        AllocationOptions(idle_weight=0)


def test_blocks_gaps_and_the_last_block_continuing() -> None:
    cap = capacity(
        block(-QUARTER, QUARTER, 10),
        block(2 * QUARTER, 3 * QUARTER, 5),  # a gap before: no limit, each gets its max
        block(3 * QUARTER, 4 * QUARTER, 5),  # same limit: merged
        block(4 * QUARTER, 5 * QUARTER, 8),  # then 8 continues after the end
    )
    [lim] = allocate(cap, group(evse("CP.1")), NOW)
    assert periods(lim) == [(0, 10.0), (900, 32.0), (1800, 5.0), (3600, 8.0)]
    assert_valid(lim.payload)


def test_future_blocks_leave_the_present_unlimited_and_past_blocks_are_ignored() -> None:
    cap = capacity(
        block(-2 * QUARTER, -QUARTER, 1),  # over: ignored
        block(QUARTER, 2 * QUARTER, 12),
    )
    [lim] = allocate(cap, group(evse("CP.1", 16)), NOW)
    assert periods(lim) == [(0, 16.0), (900, 12.0)]
    assert lim.current_limit == 16.0


def test_no_blocks_at_all_means_no_limit() -> None:
    [lim] = allocate(capacity(), group(evse("CP.1", 16)), NOW)
    assert periods(lim) == [(0, 16.0)]


def test_changes_between_whole_seconds_take_the_lower_limit_for_that_second() -> None:
    now = NOW + timedelta(milliseconds=400)  # block edges fall 0.6 s after a whole second
    cap = capacity(
        block(-QUARTER, QUARTER, 10),
        block(QUARTER, 2 * QUARTER, 20),  # up at 899.6 s: from 900
        block(2 * QUARTER, 3 * QUARTER, 4),  # down at 1799.6 s: from 1799
    )
    [lim] = allocate(cap, group(evse("CP.1")), now)
    assert periods(lim) == [(0, 10.0), (900, 20.0), (1799, 4.0)]


def test_whole_seconds_with_several_changes_in_one_second() -> None:
    segments = [(0.0, 10.0), (5.2, 30.0), (5.5, 2.0), (5.8, 20.0), (9.0, 7.0)]
    assert whole_seconds(segments) == [(0, 10.0), (5, 2.0), (6, 20.0), (9, 7.0)]


def test_overlapping_blocks_take_the_lower_limit() -> None:
    segments = group_timeline(
        [block(timedelta(0), 2 * QUARTER, 10), block(QUARTER, 3 * QUARTER, 6)], NOW
    )
    assert segments == [(0.0, 10.0), (900.0, 6.0)]


def test_at_most_max_periods_and_the_last_kept_one_continues() -> None:
    cap = capacity(
        *(block(k * QUARTER, (k + 1) * QUARTER, 10 + k % 2) for k in range(96)),
    )
    [lim] = allocate(cap, group(evse("CP.1")), NOW, options=AllocationOptions(max_periods=48))
    kept = periods(lim)
    assert len(kept) == 48
    assert kept[-1] == (47 * 900, 11.0)
    assert_valid(lim.payload)


# -- the group limit -----------------------------------------------------------------------------


def test_the_optimum_lowers_the_consumption_capacity() -> None:
    assert block_limit(block(timedelta(0), QUARTER, 40, optimum=20)) == 20
    assert block_limit(block(timedelta(0), QUARTER, 40, optimum=-5)) == 40  # a generation goal
    assert block_limit(block(timedelta(0), QUARTER, 40, optimum=50)) == 40
    assert block_limit(block(timedelta(0), QUARTER, None, optimum=10)) is None
    cap = capacity(block(-QUARTER, QUARTER, 40, optimum=20))
    limits = allocate(cap, group(evse("A"), evse("B")), NOW)
    assert limits_now(limits) == {"A": 10.0, "B": 10.0}


def test_fallback_capacities_are_applied_as_any_other() -> None:
    cap = capacity(block(-QUARTER, QUARTER, 9), mode=CapacityMode.FALLBACK)
    limits = allocate(cap, group(evse("A"), evse("B"), evse("C")), NOW)
    assert [periods(lim) for lim in limits] == [[(0, 3.0)]] * 3


# -- the split ---------------------------------------------------------------------------------


def test_shares_are_proportional_to_the_maxima_and_rounded_down() -> None:
    cap = capacity(block(-QUARTER, QUARTER, 10))
    assert limits_now(allocate(cap, group(evse("A"), evse("B"), evse("C")), NOW)) == {
        "A": 3.3,
        "B": 3.3,
        "C": 3.3,
    }
    cap = capacity(block(-QUARTER, QUARTER, 24))
    assert limits_now(allocate(cap, group(evse("A", 16), evse("B", 32)), NOW)) == {
        "A": 8.0,
        "B": 16.0,
    }


def test_charging_points_get_more_than_idle_ones() -> None:
    cap = capacity(block(-QUARTER, QUARTER, 20))
    two = group(evse("A"), evse("B"))
    assert limits_now(allocate(cap, two, NOW, charging={"A"})) == {"A": 16.0, "B": 4.0}
    options = AllocationOptions(idle_weight=1.0)
    assert limits_now(allocate(cap, two, NOW, {"A"}, options)) == {"A": 10.0, "B": 10.0}
    assert limits_now(allocate(cap, two, NOW, charging=None)) == {"A": 10.0, "B": 10.0}


def test_a_capped_point_leaves_its_surplus_to_the_others() -> None:
    cap = capacity(block(-QUARTER, QUARTER, 40))
    # weights 16 and 32 * 0.25 = 8: A would get 26.7 A but has 16, B gets the other 24
    limits = allocate(cap, group(evse("A", 16), evse("B", 32)), NOW, charging={"A"})
    assert limits_now(limits) == {"A": 16.0, "B": 24.0}
    cap = capacity(block(-QUARTER, QUARTER, 500))
    limits = allocate(cap, group(evse("A", 16), evse("B", 32)), NOW, charging={"A"})
    assert limits_now(limits) == {"A": 16.0, "B": 32.0}


def test_a_zero_limit_stops_everyone() -> None:
    cap = capacity(block(-QUARTER, QUARTER, 0))
    limits = allocate(cap, group(evse("A"), evse("B")), NOW, charging={"A"})
    assert limits_now(limits) == {"A": 0.0, "B": 0.0}
    assert_valid(limits[0].payload)


def test_watts_count_phases_and_voltage() -> None:
    cap = capacity(block(-QUARTER, QUARTER, 50_000), unit=CapacityUnit.W)
    limits = allocate(cap, group(evse("THREE", 16, 3), evse("ONE", 16, 1)), NOW)
    assert limits_now(limits) == {"THREE": 11040.0, "ONE": 3680.0}
    assert {lim.unit for lim in limits} == {CapacityUnit.W}
    cap = capacity(block(-QUARTER, QUARTER, 7360), unit=CapacityUnit.W)
    limits = allocate(cap, group(evse("THREE", 16, 3), evse("ONE", 16, 1)), NOW)
    assert limits_now(limits) == {"THREE": 5520.0, "ONE": 1840.0}
    schedule = limits[0].payload["csChargingProfiles"]["chargingSchedule"]
    assert schedule["chargingRateUnit"] == "W"
    assert_valid(limits[0].payload)


def test_a_capacity_of_another_group_or_a_naive_now_is_refused() -> None:
    cap = capacity(block(-QUARTER, QUARTER, 10))
    with pytest.raises(ValueError, match="capacity of group 'g' given for group 'other'"):
        allocate(cap, GroupConfig(id="other", evses=()), NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        allocate(cap, group(evse("A")), NOW.replace(tzinfo=None))


def test_water_fill_never_exceeds_the_limit() -> None:
    rng = random.Random(7)
    for _ in range(500):
        n = rng.randint(1, 40)
        caps = [rng.randint(0, 700) for _ in range(n)]
        weights = [c * rng.choice([1.0, 0.25, 0.1, 0.7]) for c in caps]
        fill = WaterFill(caps, weights)
        for limit in (0, 1, rng.randint(0, sum(caps) + 10), sum(caps), sum(caps) * 2):
            shares = fill.split(limit)
            assert sum(shares) <= limit
            assert all(0 <= s <= c for s, c in zip(shares, caps, strict=True))
            if limit >= sum(caps):
                assert shares == caps
            else:  # at most a tenth per point is lost to rounding
                assert sum(shares) >= limit - n


# -- properties over random groups and forecasts ------------------------------------------------


def _random_case(rng: random.Random) -> tuple[GroupCapacity, GroupConfig, datetime, set[str]]:
    evses = [
        evse(f"CP.{i}", rng.choice([6, 10, 16, 32, 63, 7.5]), rng.choice([1, 3]))
        for i in range(rng.randint(1, 25))
    ]
    unit = rng.choice([CapacityUnit.A, CapacityUnit.W])
    scale = 230 * 3 if unit is CapacityUnit.W else 1
    blocks, t = [], timedelta(seconds=rng.uniform(-3600, 600))
    for _ in range(rng.randint(0, 12)):
        length = timedelta(seconds=rng.choice([1.5, 60, 900, 907.3]))
        if rng.random() < 0.8:
            consumption = None if rng.random() < 0.1 else rng.uniform(0, 200) * scale
            optimum = rng.choice([None, rng.uniform(-50, 200) * scale])
            blocks.append(block(t, t + length, consumption, optimum))
        t += length + (
            timedelta(seconds=rng.uniform(0, 100)) if rng.random() < 0.2 else timedelta(0)
        )
    now = NOW + timedelta(seconds=rng.uniform(-60, 300), microseconds=rng.randint(0, 999_999))
    charging = {e.id for e in evses if rng.random() < 0.5}
    return capacity(*blocks, unit=unit), group(*evses), now, charging


def _group_limit_at(cap: GroupCapacity, origin: datetime, t: datetime) -> float:
    """The reference: the lowest limit of the blocks holding t; after the last block, its
    limit; blocks over before the schedule starts do not count."""
    live = [b for b in cap.blocks if b.end > origin]
    if not live:
        return math.inf
    probe = min(t, max(b.end for b in live) - timedelta(microseconds=1))
    here = [block_limit(b) for b in live if b.start <= probe < b.end]
    return min((math.inf if x is None else x for x in here), default=math.inf)


def _limit_at(lim: EvseLimit, start: datetime, t: datetime) -> float:
    offset = (t - start).total_seconds()
    return [value for begin, value in periods(lim) if begin <= offset][-1]


def test_random_cases_never_exceed_the_group_limit_nor_a_maximum() -> None:
    rng = random.Random(2026)
    options = AllocationOptions(max_periods=10_000)
    for case in range(300):
        cap, grp, now, charging = _random_case(rng)
        limits = allocate(cap, grp, now, charging, options)
        assert [lim.evse_id for lim in limits] == grp.evse_ids
        start = datetime.fromisoformat(
            limits[0].payload["csChargingProfiles"]["chargingSchedule"]["startSchedule"]
        )
        assert timedelta(0) <= now - start < timedelta(milliseconds=1)
        edges = {start} | {e for b in cap.blocks for e in (b.start, b.end) if e > start}
        instants = {e + timedelta(milliseconds=d) for e in edges for d in (-1, 0, 1, 400, 999)} | {
            start + timedelta(seconds=rng.uniform(0, 20_000)) for _ in range(20)
        }
        for t in sorted(i for i in instants if i >= start):
            group_limit = _group_limit_at(cap, start, t)
            total = sum(_limit_at(lim, start, t) for lim in limits)
            assert total <= group_limit + 1e-6, (case, t, total, group_limit)
        for lim, e in zip(limits, grp.evses, strict=True):
            top = e.max_current_a if cap.unit is CapacityUnit.A else e.max_power_w(230)
            values = [v for _, v in periods(lim)]
            assert all(0 <= v <= top + 1e-9 for v in values)
            assert all(abs(v * 10 - round(v * 10)) < 1e-6 for v in values)  # tenths
            assert all(a != b for a, b in pairwise(values))  # merged
            assert lim.current_limit == values[0]
            if case % 10 == 0:
                assert_valid(lim.payload)


def test_a_thousand_points_and_a_day_of_quarters_is_fast() -> None:
    rng = random.Random(1)
    evses = [evse(f"CP.{i:04d}", rng.choice([16, 32]), rng.choice([1, 3])) for i in range(1000)]
    blocks = [block(k * QUARTER, (k + 1) * QUARTER, rng.uniform(1000, 20000)) for k in range(96)]
    cap, grp = capacity(*blocks), group(*evses)
    charging = {e.id for e in evses[::3]}
    now = NOW + timedelta(microseconds=123_456)
    best = math.inf
    for _ in range(3):
        started = time.perf_counter()
        limits = allocate(cap, grp, now, charging)
        best = min(best, time.perf_counter() - started)
    print(f"\nallocate: 1,000 EVSEs x 96 blocks in {best * 1000:.1f} ms")  # noqa: T201
    assert len(limits) == 1000
    assert all(len(periods(lim)) <= 48 for lim in limits)
