"""Capacity Provider settings (``WISEEVP_*``): the common peer settings and the CP's own."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import Field, field_validator

from wiseevp_oscp.peer_settings import OscpPeerSettings, PeerSchemas

from .forecast_plan import load_plan

SCHEMAS = PeerSchemas(peers="oscp_cp_peers", inbox="oscp_cp")


class CpSettings(OscpPeerSettings):
    forecast_file: Path | None = Field(
        default=None,
        description="YAML forecast plan (per group, blocks relative to now); when set, its "
        "forecasts are sent to every connected FP each forecast_interval_s.",
    )
    forecast_interval_s: float = Field(
        default=900.0, gt=0, description="How often the forecast file's forecasts are sent."
    )
    grant_adjustments: bool = Field(
        default=False,
        description="Answer an AdjustGroupCapacityForecast with an UpdateGroupCapacityForecast "
        "of the requested blocks (capped by max_capacity).",
    )
    max_capacity: Decimal | None = Field(
        default=None,
        ge=0,
        decimal_places=8,
        description="The largest capacity (absolute value) an adjustment is granted; none: any.",
    )

    @field_validator("forecast_file")
    @classmethod
    def _plan_loads(cls, value: Path | None) -> Path | None:
        if value is not None:
            load_plan(value)  # fail fast at start-up, naming the problem
        return value
