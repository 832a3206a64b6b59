"""Pick the configured source."""

from __future__ import annotations

from wiseevp_common.clock import Clock

from ..settings import EvWrapperSettings
from .base import EvSource
from .fleet_model import Fleet
from .simulated import SimulatedFleetSource


def make_source(settings: EvWrapperSettings, clock: Clock) -> EvSource:
    match settings.source:
        case "simulated":
            fleet = Fleet(
                settings.organisation,
                settings.fleet_size,
                settings.fleet_seed,
                (settings.fleet_centre_lon, settings.fleet_centre_lat),
            )
            return SimulatedFleetSource(fleet, clock, settings.status_interval_s)
        case other:
            raise NotImplementedError(f"source {other!r} is not available yet")
