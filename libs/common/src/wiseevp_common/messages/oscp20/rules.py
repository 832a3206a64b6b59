"""The validation rules of a received capacity forecast (FR.01.05-FR.01.09, FR.02.04-FR.02.07).

Pure functions: the new forecast and the forecasts of the same group already in force in,
the violated rules out (each naming its requirement), so the gateway can answer 400 with a
message naming the rule.

Decisions (documented in ``docs/oscp.md``):

- **FR.01.08 vs FR.02.07.** FR.01.08 says the Fallback Generation Capacity must be *less* than
  or equal to the Generation Capacity, FR.02.07 that it must be *greater* than or equal to it.
  Generation capacities are negative, so FR.01.08 would let a fallback export *more* than the
  normal limit while the FP is cut off from the grid operator — the opposite of what fallback
  is for (3.4.3: "guarantee the stability of the grid") and of its consumption twin FR.01.07
  (FCC ≤ CC: fallback at most the normal limit). We enforce FR.02.07: FGC ≥ GC, i.e.
  |FGC| ≤ |GC|, and reject the other way round naming both requirements.
- **Cross-type rules are checked when the dependent forecast arrives**: a fallback or optimum
  is checked against the consumption/generation in force. A new consumption or generation
  forecast is never rejected because an older fallback would exceed it: the CP "can alter
  the Capacity without any limits at any time" (FR.02.02) and a lowered capacity is how it
  keeps the grid safe (FR.01.02). The gateway then applies ``min(fallback, capacity)``.
- Blocks are compared where they overlap in time and share unit and phase; capacities in
  different units (A against W) cannot be compared without knowing the voltage and are not.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from .datatypes import ForecastedBlock
from .enums import CapacityForecastType as T
from .messages import UpdateGroupCapacityForecast


@dataclass(frozen=True)
class RuleViolation:
    requirement: str
    """The requirement ids, e.g. ``FR.01.05/FR.02.04``."""
    text: str

    def __str__(self) -> str:
        return f"{self.requirement}: {self.text}"


def _sign_rules(forecast: UpdateGroupCapacityForecast) -> Iterable[RuleViolation]:
    for index, block in enumerate(forecast.forecasted_blocks):
        where = f"forecasted_blocks[{index}] capacity {block.capacity}"
        if forecast.type is T.CONSUMPTION and block.capacity < 0:
            yield RuleViolation(
                "FR.01.05/FR.02.04",
                f"the Consumption Capacity must be greater than or equal to 0 ({where})",
            )
        if forecast.type is T.GENERATION and block.capacity > 0:
            yield RuleViolation(
                "FR.01.06/FR.02.05",
                f"the Generation Capacity must be less than or equal to 0 ({where})",
            )
        if forecast.type is T.FALLBACK_CONSUMPTION and block.capacity < 0:
            yield RuleViolation(
                "2.3",
                f"the Fallback Consumption Capacity is defined as a positive value ({where})",
            )
        if forecast.type is T.FALLBACK_GENERATION and block.capacity > 0:
            yield RuleViolation(
                "2.3",
                f"the Fallback Generation Capacity is defined as a negative value ({where})",
            )


def _comparable(a: ForecastedBlock, b: ForecastedBlock) -> bool:
    return (
        a.unit == b.unit
        and a.phase == b.phase
        and a.start_time < b.end_time
        and b.start_time < a.end_time
    )


def _against(
    blocks: list[ForecastedBlock], reference: UpdateGroupCapacityForecast | None
) -> Iterable[tuple[int, ForecastedBlock, Decimal]]:
    """(index, new block, reference capacity) for every overlap with the reference forecast."""
    if reference is None:
        return
    for index, block in enumerate(blocks):
        for ref in reference.forecasted_blocks:
            if _comparable(block, ref):
                yield index, block, ref.capacity


def _cross_rules(
    forecast: UpdateGroupCapacityForecast,
    in_force: Mapping[T, UpdateGroupCapacityForecast],
) -> Iterable[RuleViolation]:
    blocks = forecast.forecasted_blocks
    consumption = in_force.get(T.CONSUMPTION)
    generation = in_force.get(T.GENERATION)
    if forecast.type is T.FALLBACK_CONSUMPTION:
        for i, block, cc in _against(blocks, consumption):
            if block.capacity > cc:
                yield RuleViolation(
                    "FR.01.07/FR.02.06",
                    f"the Fallback Consumption Capacity must be less than or equal to the "
                    f"Consumption Capacity (forecasted_blocks[{i}]: {block.capacity} > {cc})",
                )
    elif forecast.type is T.FALLBACK_GENERATION:
        for i, block, gc in _against(blocks, generation):
            if block.capacity < gc:
                yield RuleViolation(
                    "FR.02.07 (FR.01.08)",
                    f"the Fallback Generation Capacity must be greater than or equal to the "
                    f"Generation Capacity (forecasted_blocks[{i}]: {block.capacity} < {gc}); "
                    f"FR.01.08 states the opposite, see docs/oscp.md",
                )
    elif forecast.type is T.OPTIMUM:
        for i, block, cc in _against(blocks, consumption):
            if block.capacity > cc:
                yield RuleViolation(
                    "FR.01.09",
                    f"the Optimum must be less than or equal to the Consumption Capacity "
                    f"(forecasted_blocks[{i}]: {block.capacity} > {cc})",
                )
        for i, block, gc in _against(blocks, generation):
            if block.capacity < gc:
                yield RuleViolation(
                    "FR.01.09",
                    f"the Optimum must be greater than or equal to the Generation Capacity "
                    f"(forecasted_blocks[{i}]: {block.capacity} < {gc})",
                )


def _overlapping_blocks(forecast: UpdateGroupCapacityForecast) -> Iterable[RuleViolation]:
    ordered = sorted(forecast.forecasted_blocks, key=lambda b: (b.phase, b.start_time))
    for previous, block in itertools.pairwise(ordered):
        if previous.phase == block.phase and block.start_time < previous.end_time:
            yield RuleViolation(
                "4.4.1",
                f"forecasted blocks of phase {block.phase} overlap at "
                f"{block.start_time.isoformat()}: a forecast is a series of time intervals",
            )
            return


def check_forecast(
    forecast: UpdateGroupCapacityForecast,
    in_force: Mapping[T, UpdateGroupCapacityForecast],
) -> list[RuleViolation]:
    """Every rule the new forecast breaks, given the group's forecasts in force by type."""
    return [
        *_sign_rules(forecast),
        *_overlapping_blocks(forecast),
        *_cross_rules(forecast, in_force),
    ]
