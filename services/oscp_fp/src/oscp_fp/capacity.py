"""The limits in force for a group, from the forecasts received (pure; no I/O).

- The Capacity Provider's last forecast of each type replaces the previous one (FR.01.04).
- Online (normal mode): CONSUMPTION and GENERATION apply. Offline (fallback mode): the
  FALLBACK_CONSUMPTION and FALLBACK_GENERATION of the last forecasts apply (FR.01.03, FR.02.03),
  never more than the normal capacity where both are known (a lowered capacity is how a CP
  keeps the grid safe, FR.01.02); where no fallback block covers a time, the normal capacity
  of the last forecast is kept.
- The OPTIMUM (from the Capacity Optimizer, or the Capacity Provider acting as one) is carried
  along as the target to strive for.
- Blocks are normalised to one unit per group: A (per phase) if the consumption forecast is in
  amperes, else W (W, KW; WH and KWH blocks as average power over the block). Blocks of the
  other kind are converted with the group's nominal voltage over three phases. Where blocks
  are given per phase, the lowest phase limit applies to the group.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from wiseevp_common.messages.grid import CapacityBlock, CapacityMode, CapacityUnit, GroupCapacity
from wiseevp_common.messages.oscp20 import (
    CapacityForecastType,
    ForecastedBlock,
    ForecastedBlockUnit,
    UpdateGroupCapacityForecast,
)

T = CapacityForecastType
PHASES = 3
_LOWEST_APPLIES = frozenset({T.CONSUMPTION, T.FALLBACK_CONSUMPTION, T.OPTIMUM})
"""Per-phase blocks: the lowest consumption limit and the highest (least negative)
generation limit of the phases apply to the group."""


@dataclass(frozen=True)
class ForecastInForce:
    """The last forecast of one type for one group, with where it came from."""

    forecast: UpdateGroupCapacityForecast
    request_id: str
    peer_id: str
    received_at: datetime


def _unit_of(forecasts: Mapping[CapacityForecastType, ForecastInForce]) -> CapacityUnit:
    for kind in (T.CONSUMPTION, T.FALLBACK_CONSUMPTION, T.GENERATION, T.FALLBACK_GENERATION):
        held = forecasts.get(kind)
        if held is not None:
            unit = held.forecast.forecasted_blocks[0].unit
            return CapacityUnit.A if unit is ForecastedBlockUnit.A else CapacityUnit.W
    return CapacityUnit.W


def block_value(block: ForecastedBlock, unit: CapacityUnit, voltage_v: float) -> float:
    """The block's capacity in ``unit`` (A per phase or W)."""
    value = float(block.capacity)
    hours = (block.end_time - block.start_time).total_seconds() / 3600
    if block.unit is ForecastedBlockUnit.A:
        watts = value * voltage_v * PHASES
    elif block.unit is ForecastedBlockUnit.W:
        watts = value
    elif block.unit is ForecastedBlockUnit.KW:
        watts = value * 1000
    elif block.unit is ForecastedBlockUnit.WH:
        watts = value / hours
    else:
        watts = value * 1000 / hours
    if unit is CapacityUnit.A:
        return value if block.unit is ForecastedBlockUnit.A else watts / (voltage_v * PHASES)
    return watts


def _value_at(
    held: ForecastInForce | None,
    start: datetime,
    unit: CapacityUnit,
    voltage_v: float,
    *,
    lowest: bool,
) -> float | None:
    """The forecast's value over [start, ...): the tightest phase limit covering ``start``."""
    if held is None:
        return None
    values = [
        block_value(b, unit, voltage_v)
        for b in held.forecast.forecasted_blocks
        if b.start_time <= start < b.end_time
    ]
    if not values:
        return None
    return min(values) if lowest else max(values)


def _boundaries(forecasts: Iterable[ForecastInForce], now: datetime) -> list[datetime]:
    edges = {now}
    for held in forecasts:
        for block in held.forecast.forecasted_blocks:
            edges.update(t for t in (block.start_time, block.end_time) if t > now)
    return sorted(edges)


def _tighter(limit: float | None, fallback: float | None, *, consumption: bool) -> float | None:
    if fallback is None:
        return limit
    if limit is None:
        return fallback
    return min(limit, fallback) if consumption else max(limit, fallback)


def group_capacity(
    group_id: str,
    forecasts: Mapping[CapacityForecastType, ForecastInForce],
    *,
    cp_online: bool,
    now: datetime,
    voltage_v: float = 230.0,
) -> GroupCapacity:
    """The limits of ``group_id`` from ``now`` on, in normal or fallback mode."""
    unit = _unit_of(forecasts)
    mode = CapacityMode.NORMAL if cp_online else CapacityMode.FALLBACK
    edges = _boundaries(forecasts.values(), now)
    blocks: list[CapacityBlock] = []
    for start, end in itertools.pairwise(edges):
        values = {
            kind: _value_at(
                forecasts.get(kind), start, unit, voltage_v, lowest=kind in _LOWEST_APPLIES
            )
            for kind in T
        }
        consumption = values[T.CONSUMPTION]
        generation = values[T.GENERATION]
        if mode is CapacityMode.FALLBACK:
            consumption = _tighter(consumption, values[T.FALLBACK_CONSUMPTION], consumption=True)
            generation = _tighter(generation, values[T.FALLBACK_GENERATION], consumption=False)
        optimum = values[T.OPTIMUM]
        if consumption is None and generation is None and optimum is None:
            continue
        blocks.append(
            CapacityBlock(
                start=start,
                end=end,
                consumption=None if consumption is None else max(0.0, consumption),
                generation=None if generation is None else min(0.0, generation),
                optimum=optimum,
            )
        )
    blocks = _merge(blocks)
    current = blocks[0] if blocks and blocks[0].start <= now < blocks[0].end else None
    source = forecasts.get(T.FALLBACK_CONSUMPTION if not cp_online else T.CONSUMPTION)
    source = source or forecasts.get(T.CONSUMPTION)
    return GroupCapacity(
        group_id=group_id,
        at=now,
        mode=mode,
        unit=unit,
        current=current,
        blocks=blocks,
        capacity_provider_online=cp_online,
        forecast_request_id=source.request_id if source else None,
    )


def _merge(blocks: list[CapacityBlock]) -> list[CapacityBlock]:
    """Join adjacent blocks with equal limits."""
    merged: list[CapacityBlock] = []
    for block in blocks:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.end == block.start
            and (last.consumption, last.generation, last.optimum)
            == (block.consumption, block.generation, block.optimum)
        ):
            merged[-1] = last.model_copy(update={"end": block.end})
        else:
            merged.append(block)
    return merged
