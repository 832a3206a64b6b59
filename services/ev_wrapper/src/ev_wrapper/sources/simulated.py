"""The simulated-fleet source: a :class:`Fleet` stepped on the service clock."""

from __future__ import annotations

from wiseevp_common.clock import Clock

from .base import EvSink
from .fleet_model import Fleet


class SimulatedFleetSource:
    name = "simulated"

    def __init__(self, fleet: Fleet, clock: Clock, interval_s: float) -> None:
        self.fleet = fleet
        self.clock = clock
        self.interval_s = interval_s

    async def run(self, sink: EvSink) -> None:
        for vehicle in self.fleet.vehicles:
            await sink.characteristics(vehicle.characteristics)
        last = self.clock.now()
        for status in self.fleet.step(last, 0.0):
            await sink.status(status)
        while True:
            await self.clock.sleep(self.interval_s)
            now = self.clock.now()
            dt = (now - last).total_seconds()
            last = now
            for status in self.fleet.step(now, dt):
                await sink.status(status)
