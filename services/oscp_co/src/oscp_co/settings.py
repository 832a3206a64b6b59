"""Capacity Optimizer settings (``WISEEVP_*``): the common peer settings and the CO's own."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from wiseevp_oscp.peer_settings import OscpPeerSettings, PeerSchemas

SCHEMAS = PeerSchemas(peers="oscp_co_peers", inbox="oscp_co")


class CoSettings(OscpPeerSettings):
    optimum_fraction: Decimal = Field(
        default=Decimal("0.8"),
        ge=0,
        decimal_places=8,
        description="The Optimum sent back for a consumption forecast: capacity x this, "
        "rounded to 8 decimals, between 0 and the capacity.",
    )
    answer_forecasts: bool = Field(
        default=True,
        description="Answer each CONSUMPTION forecast with an OPTIMUM; false: only record it.",
    )
