"""Splits a group's capacity over its charge points and builds, for each, the OCPP 1.6
``SetChargingProfile.req`` that enforces its share (pure: no I/O).

- **Group limit of a block**: its consumption capacity, lowered to its Optimum when
  ``0 <= optimum < consumption`` (the FP applies the Optimum, OSCP 3.2.2). A block without a
  consumption capacity sets no limit. Generation capacities are not used: a
  ``ChargePointMaxProfile`` only caps what a charge point draws. In FALLBACK mode the blocks of
  :class:`~wiseevp_common.messages.grid.GroupCapacity` already are the fallback capacities.
- **Timeline**: blocks ending before ``now`` are ignored, one started before ``now`` starts at
  ``now``; where blocks overlap the lower limit applies; between blocks (and before the first)
  there is no limit; after the last block its limit continues. Periods start on whole seconds
  from ``startSchedule``: a second in which the limit changes gets the lower of the two, so a
  charge point never has more than the group limit at any instant.
- **Unit**: A — the limit is amperes per phase and every charge point's current is counted on
  each phase (safe for single-phase ones, whose phase is unknown): the sum of the per-EVSE
  currents stays within it; a charge point's most is ``max_current_a``. W — the sum of the
  per-EVSE powers stays within it; a charge point's most is ``max_current_a * V * phases``.
- **Split** (water-filling): each charge point's share is proportional to its most times its
  weight — ``min(max, weight * max * λ)`` with one λ for the group — so the surplus of those
  capped at their most goes to the others. Charging charge points weigh 1, idle ones
  ``idle_weight`` (default 0.25): cars that charge get more while idle points can still start;
  without charging information all weigh 1. Every share is rounded *down* to 0.1 (OCPP limits
  are multiples of 0.1), so the shares never add up to more than the limit; never negative.
- **Profile**: ``ChargePointMaxProfile``, ``Absolute``, on connector 0, ``startSchedule`` =
  ``now`` (UTC, ms); consecutive equal limits are merged; at most ``max_periods`` periods are
  kept — the last kept one then continues past its block, so the profile must be sent again
  before it starts (or ``max_periods`` be large enough for the horizon).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby, islice
from operator import itemgetter
from typing import Any

from wiseevp_common.messages.grid import CapacityBlock, CapacityUnit, GroupCapacity
from wiseevp_common.messages.types import format_iso_ms

from .groups import EvseConfig, GroupConfig

_EPS = 1e-9
"""Float slack when flooring to tenths (a share of 4.9999999999 tenths is 5)."""

Segment = tuple[float, float]
"""(seconds from the schedule start, group limit; ``math.inf``: no limit)."""


@dataclass(frozen=True)
class AllocationOptions:
    profile_id: int = 1701
    stack_level: int = 0
    max_periods: int = 48
    idle_weight: float = 0.25
    """Weight of a charge point not charging, against 1 for one that charges."""

    def __post_init__(self) -> None:
        if self.stack_level < 0 or self.max_periods < 1 or not 0 < self.idle_weight <= 1:
            raise ValueError(
                "stack_level must be >= 0, max_periods >= 1 and 0 < idle_weight <= 1 "
                f"(got {self.stack_level}, {self.max_periods}, {self.idle_weight})"
            )


@dataclass(frozen=True)
class EvseLimit:
    evse_id: str
    unit: CapacityUnit
    current_limit: float
    """The limit in force now, in ``unit`` (A per phase or W)."""
    payload: dict[str, Any]
    """The ``SetChargingProfile.req`` to send to the charge point."""


def block_limit(block: CapacityBlock) -> float | None:
    """The group limit of one block; None: no limit."""
    if block.consumption is None:
        return None
    if block.optimum is not None and 0 <= block.optimum < block.consumption:
        return block.optimum
    return block.consumption


def evse_max(evse: EvseConfig, unit: CapacityUnit, voltage_v: float) -> float:
    """The most one charge point may draw, in the unit of the group limit."""
    return evse.max_current_a if unit is CapacityUnit.A else evse.max_power_w(voltage_v)


def group_timeline(blocks: Iterable[CapacityBlock], origin: datetime) -> list[Segment]:
    """The group limit from ``origin`` on, as segments; the last one continues for ever."""
    spans = [
        ((b.start - origin).total_seconds(), (b.end - origin).total_seconds(), block_limit(b))
        for b in blocks
        if b.end > origin
    ]
    if not spans:
        return [(0.0, math.inf)]
    last_end = max(end for _, end, _ in spans)
    edges = sorted({0.0} | {max(0.0, t) for s, e, _ in spans for t in (s, e) if t < last_end})
    segments: list[Segment] = []
    for edge in edges:
        here = [lim for s, e, lim in spans if s <= edge < e]
        limit = min((math.inf if lim is None else lim for lim in here), default=math.inf)
        if not segments or segments[-1][1] != limit:
            segments.append((edge, limit))
    return segments


def whole_seconds(segments: list[Segment]) -> list[tuple[int, float]]:
    """Segments starting on whole seconds: a second that holds a change gets the lowest limit
    found in it."""
    starts = [s for s, _ in segments]
    limits = [lim for _, lim in segments]
    candidates = sorted({0} | {f(s) for s in starts for f in (math.floor, math.ceil)})
    result: list[tuple[int, float]] = []
    for second in candidates:
        first = bisect_right(starts, second) - 1  # the segment holding the second's start
        after = bisect_left(starts, second + 1)  # the first one starting after the second
        limit = min(limits[first:after])
        if not result or result[-1][1] != limit:
            result.append((second, limit))
    return result


def tenths(value: float) -> int:
    """``value`` rounded down to a multiple of 0.1, in tenths."""
    return max(0, math.floor(value * 10 + _EPS))


def _ratio(cap: int, weight: float) -> float:
    return cap / weight if weight > 0 else 0.0


class WaterFill:
    """Splits limits (in tenths) over charge points with caps and weights: each gets
    ``min(cap, floor(weight * λ))`` with λ as large as the limit allows (O(log n) to find λ,
    O(n) to share)."""

    def __init__(self, caps: list[int], weights: list[float]) -> None:
        self.caps = caps
        self.weights = weights
        self.total_cap = sum(caps)
        order = sorted(range(len(caps)), key=lambda i: _ratio(caps[i], weights[i]))
        self._order = order
        self._cap_before = [0]
        self._weight_before = [0.0]
        for i in order:
            self._cap_before.append(self._cap_before[-1] + caps[i])
            self._weight_before.append(self._weight_before[-1] + weights[i])
        total_weight = self._weight_before[-1]
        # filled[k]: the total given when λ reaches the k-th smallest cap/weight (non-decreasing)
        self._filled = [
            self._cap_before[k]
            + _ratio(caps[i], weights[i]) * (total_weight - self._weight_before[k])
            for k, i in enumerate(order)
        ]

    def split(self, limit: int) -> list[int]:
        if limit >= self.total_cap:
            return list(self.caps)
        k = bisect_right(self._filled, limit)
        rest = self._weight_before[-1] - self._weight_before[k]
        lam = (limit - self._cap_before[k]) / rest
        # the uncapped get weight * λ < cap, so adding _EPS before int() never passes the cap
        shares = [int(w * lam + _EPS) for w in self.weights]
        for i in self._order[:k]:
            shares[i] = self.caps[i]
        excess = sum(shares) - limit
        if excess > 0:  # float slack only: a tenth here and there
            for i in sorted(range(len(shares)), key=shares.__getitem__, reverse=True)[:excess]:
                shares[i] -= 1
        return shares


def _blocks(capacity: GroupCapacity) -> list[CapacityBlock]:
    blocks = list(capacity.blocks)
    if capacity.current is not None and capacity.current not in blocks:
        blocks.insert(0, capacity.current)
    return blocks


def _payload(
    origin: str, unit: CapacityUnit, periods: list[tuple[int, int]], options: AllocationOptions
) -> dict[str, Any]:
    return {
        "connectorId": 0,
        "csChargingProfiles": {
            "chargingProfileId": options.profile_id,
            "stackLevel": options.stack_level,
            "chargingProfilePurpose": "ChargePointMaxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "startSchedule": origin,
                "chargingRateUnit": unit.value,
                "chargingSchedulePeriod": [
                    {"startPeriod": start, "limit": share / 10} for start, share in periods
                ],
            },
        },
    }


def allocate(
    capacity: GroupCapacity,
    group: GroupConfig,
    now: datetime,
    charging: Collection[str] | None = None,
    options: AllocationOptions | None = None,
) -> list[EvseLimit]:
    """One limit and ``SetChargingProfile.req`` per charge point of ``group``, in its order.
    ``charging``: the ids of those charging now (None: unknown, all weigh the same)."""
    if capacity.group_id != group.id:
        raise ValueError(f"capacity of group {capacity.group_id!r} given for group {group.id!r}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    options = options or AllocationOptions()
    origin = now - timedelta(microseconds=now.microsecond % 1000)
    unit = capacity.unit
    caps = [tenths(evse_max(e, unit, group.nominal_voltage_v)) for e in group.evses]
    weights = [
        cap * (1.0 if charging is None or e.id in charging else options.idle_weight)
        for cap, e in zip(caps, group.evses, strict=True)
    ]
    fill = WaterFill(caps, weights)
    timeline = whole_seconds(group_timeline(_blocks(capacity), origin))
    splits: dict[float, list[int]] = {}
    columns: list[list[int]] = []
    for _, limit in timeline:
        if limit not in splits:
            splits[limit] = fill.split(tenths(limit)) if limit != math.inf else caps
        columns.append(splits[limit])
    starts = [start for start, _ in timeline]
    start_schedule = format_iso_ms(origin)
    result: list[EvseLimit] = []
    value = itemgetter(1)
    for evse, row in zip(group.evses, zip(*columns, strict=True), strict=True):
        # the first (start, share) of every run of equal shares, at most max_periods of them
        runs = groupby(zip(starts, row, strict=True), key=value)
        periods = [next(run) for _, run in islice(runs, options.max_periods)]
        payload = _payload(start_schedule, unit, periods, options)
        result.append(EvseLimit(evse.id, unit, periods[0][1] / 10, payload))
    return result
