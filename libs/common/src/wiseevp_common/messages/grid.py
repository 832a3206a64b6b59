"""Grid limits the OSCP gateway (Flexibility Provider) publishes for the scheduler and the IOP.

The gateway turns the capacity forecasts of the grid operator (Capacity Provider) and the
Optimum of the Capacity Optimizer into one message per group (regulation area): the limits in
force now and ahead, in normal mode or — while the Capacity Provider is offline — the fallback
capacities of its last forecast (OSCP FR.01.03, FR.02.03, 3.4.3).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .types import IsoTimestamp


class CapacityMode(StrEnum):
    NORMAL = "normal"
    """The Capacity Provider is online: its consumption/generation capacities apply."""
    FALLBACK = "fallback"
    """The Capacity Provider is offline: the fallback capacities of its last forecast apply."""


class CapacityUnit(StrEnum):
    A = "A"
    """Ampere per phase (OSCP unit A)."""
    W = "W"
    """Watt (OSCP W and KW; WH and KWH blocks as their average power over the block)."""


class CapacityBlock(BaseModel):
    """Limits over one time interval. ``None``: no limit of that kind was given."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: IsoTimestamp
    end: IsoTimestamp
    consumption: float | None = Field(default=None, ge=0)
    """Maximum the group may import (≥ 0)."""
    generation: float | None = Field(default=None, le=0)
    """Maximum the group may export, as a negative value (≤ 0)."""
    optimum: float | None = None
    """The Optimum to strive for (from the Capacity Optimizer or Provider), if any."""

    @model_validator(mode="after")
    def _ordered(self) -> CapacityBlock:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class GroupCapacity(BaseModel):
    """The grid limits of one group in force at ``at`` (``MQTT/GRID/<group>/capacity``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    group_id: Annotated[str, Field(min_length=1)]
    at: IsoTimestamp
    """When the gateway computed this (its clock)."""
    mode: CapacityMode
    unit: CapacityUnit
    current: CapacityBlock | None
    """The block in force at ``at``; ``None`` when no forecast covers it (no limit known)."""
    blocks: list[CapacityBlock]
    """The blocks from ``at`` on, in time order (the scheduler's horizon of P*)."""
    capacity_provider_online: bool
    forecast_request_id: str | None = None
    """X-Request-ID of the UpdateGroupCapacityForecast these limits come from."""
