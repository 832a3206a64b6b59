"""The CP's forecast file: per group, time blocks relative to now with a capacity per type.

```yaml
site-1:
  - {minutes: 15, consumption: 32, fallback_consumption: 8, generation: -10, unit: A}
  - {minutes: 15, consumption: 16, fallback_consumption: 8}
```

Blocks follow each other from now on. :func:`plan_forecasts` turns the plan into one
UpdateGroupCapacityForecast per group and type present, with the blocks that give that type.
The file is not checked against the capacity rules (FR.01.05-FR.01.09): a test peer may send
what the FP must refuse.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from wiseevp_common.messages.oscp20 import (
    CapacityForecastType,
    Decimal8,
    ForecastedBlock,
    ForecastedBlockUnit,
    PhaseIndicator,
    UpdateGroupCapacityForecast,
)


class PlanError(ValueError):
    """The forecast file cannot be read or is invalid."""


class PlannedBlock(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    minutes: float = Field(gt=0)
    """Length of the block; it starts where the previous one ends (the first: now)."""
    consumption: Decimal8 | None = None
    fallback_consumption: Decimal8 | None = None
    generation: Decimal8 | None = None
    fallback_generation: Decimal8 | None = None
    unit: ForecastedBlockUnit = ForecastedBlockUnit.A
    phase: PhaseIndicator = PhaseIndicator.ALL

    def capacity(self, kind: CapacityForecastType) -> Decimal8 | None:
        return {
            CapacityForecastType.CONSUMPTION: self.consumption,
            CapacityForecastType.FALLBACK_CONSUMPTION: self.fallback_consumption,
            CapacityForecastType.GENERATION: self.generation,
            CapacityForecastType.FALLBACK_GENERATION: self.fallback_generation,
        }.get(kind)


GroupId = Annotated[str, Field(min_length=1)]


class ForecastPlan(RootModel[dict[GroupId, Annotated[list[PlannedBlock], Field(min_length=1)]]]):
    """Group id → its blocks, in time order."""


PLANNED_TYPES = (
    CapacityForecastType.CONSUMPTION,
    CapacityForecastType.FALLBACK_CONSUMPTION,
    CapacityForecastType.GENERATION,
    CapacityForecastType.FALLBACK_GENERATION,
)
"""The types a plan can give, in the order they are sent."""


def load_plan(path: Path) -> ForecastPlan:
    """Read and validate a forecast file; :class:`PlanError` naming the problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise PlanError(f"{path} is not valid YAML: {exc}") from None
    try:
        plan = ForecastPlan.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        )
        raise PlanError(f"invalid forecast file {path}: {problems}") from None
    if not plan.root:
        raise PlanError(f"{path} gives no group")
    return plan


def plan_forecasts(plan: ForecastPlan, now: datetime) -> list[UpdateGroupCapacityForecast]:
    """The forecasts of the plan with its first block starting at ``now`` (whole seconds):
    one per group and type that at least one block gives."""
    start = now.replace(microsecond=0)
    forecasts = []
    for group_id, blocks in plan.root.items():
        spans = []
        at = start
        for block in blocks:
            end = at + timedelta(minutes=block.minutes)
            spans.append((block, at, end))
            at = end
        for kind in PLANNED_TYPES:
            forecasted = [
                ForecastedBlock(
                    capacity=capacity,
                    phase=block.phase,
                    unit=block.unit,
                    start_time=begin,
                    end_time=end,
                )
                for block, begin, end in spans
                if (capacity := block.capacity(kind)) is not None
            ]
            if forecasted:
                forecasts.append(
                    UpdateGroupCapacityForecast(
                        group_id=group_id, type=kind, forecasted_blocks=forecasted
                    )
                )
    return forecasts
