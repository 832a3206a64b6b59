"""A simulated EV fleet: pure state, no I/O. :meth:`Fleet.step` advances every vehicle.

Each vehicle cycles: parked (unplugged) → driving (SoC falls with distance, position moves,
odometer grows) → parked, plugged in when its SoC is low or by chance → charging at its
connector's power until its target SoC → connected (idle) → unplugged. Seeded, so a run is
reproducible.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from wiseevp_common.messages.iop import (
    Connector,
    ConnectorType,
    EvCharacteristics,
    EvStatus,
    EvStatusValue,
)


@dataclass(frozen=True)
class EvModel:
    name: str
    connector: ConnectorType
    power_kw: float
    capacity_kwh: float
    kwh_per_km: float


CATALOGUE = (
    EvModel("Renault ZOE R90 22 kWh", ConnectorType.MENNEKES, 22, 22, 0.146),
    EvModel("Renault ZOE Q90 41 kWh", ConnectorType.MENNEKES, 43, 41, 0.153),
    EvModel("Nissan e-NV200", ConnectorType.CHADEMO, 50, 40, 0.181),
    EvModel("Renault Kangoo Z.E.", ConnectorType.MENNEKES, 7.4, 33, 0.170),
    EvModel("Nissan Leaf 40 kWh", ConnectorType.CHADEMO, 50, 40, 0.160),
)

KM_PER_DEG_LAT = 111.32
MAX_RADIUS_KM = 15.0
CHARGE_EFFICIENCY = 0.92


class Phase(Enum):
    PARKED = "parked"
    DRIVING = "driving"
    PLUGGED = "plugged"
    CHARGING = "charging"


@dataclass
class Vehicle:
    characteristics: EvCharacteristics
    model: EvModel
    rng: random.Random
    soc: float
    odometer_km: float
    lon: float
    lat: float
    home: tuple[float, float]
    phase: Phase = Phase.PARKED
    phase_left_s: float = 0.0
    heading_rad: float = 0.0
    speed_kmh: float = 0.0
    target_soc: float = 90.0

    @property
    def id(self) -> str:
        return self.characteristics.id

    def autonomy_km(self) -> float:
        return self.soc / 100 * self.model.capacity_kwh / self.model.kwh_per_km

    def status_value(self) -> EvStatusValue:
        return {
            Phase.PARKED: EvStatusValue.DISCONNECTED,
            Phase.DRIVING: EvStatusValue.DISCONNECTED,
            Phase.PLUGGED: EvStatusValue.CONNECTED,
            Phase.CHARGING: EvStatusValue.CHARGING,
        }[self.phase]

    def advance(self, dt: float) -> None:
        """Advance ``dt`` seconds, crossing phase boundaries as needed."""
        while dt > 0:
            if self.phase is Phase.CHARGING:
                used = self._charge(dt)
            else:
                used = min(dt, self.phase_left_s)
                if self.phase is Phase.DRIVING:
                    self._drive(used)
                self.phase_left_s -= used
            dt -= used
            if self.phase is not Phase.CHARGING and self.phase_left_s <= 1e-9:
                self._next_phase()
            elif self.phase is Phase.CHARGING and self.soc >= self.target_soc - 1e-9:
                self._enter(Phase.PLUGGED, self.rng.uniform(600, 3 * 3600))
            if used <= 0:
                break

    def _charge(self, dt: float) -> float:
        kwh_needed = (self.target_soc - self.soc) / 100 * self.model.capacity_kwh
        rate = self.model.power_kw * CHARGE_EFFICIENCY / 3600  # kWh per s
        seconds = min(dt, kwh_needed / rate) if rate > 0 else dt
        self.soc = min(100.0, self.soc + rate * seconds / self.model.capacity_kwh * 100)
        return max(seconds, 1e-6)

    def _drive(self, seconds: float) -> None:
        km = self.speed_kmh * seconds / 3600
        km = min(km, self.autonomy_km() * 0.98)
        self.odometer_km += km
        self.soc = max(0.0, self.soc - km * self.model.kwh_per_km / self.model.capacity_kwh * 100)
        # steer back home when far away
        dx_km = (self.lon - self.home[0]) * KM_PER_DEG_LAT * math.cos(math.radians(self.lat))
        dy_km = (self.lat - self.home[1]) * KM_PER_DEG_LAT
        if math.hypot(dx_km, dy_km) > MAX_RADIUS_KM:
            self.heading_rad = math.atan2(-dy_km, -dx_km)
        self.lon += (
            km * math.cos(self.heading_rad) / (KM_PER_DEG_LAT * math.cos(math.radians(self.lat)))
        )
        self.lat += km * math.sin(self.heading_rad) / KM_PER_DEG_LAT

    def _enter(self, phase: Phase, seconds: float) -> None:
        self.phase = phase
        self.phase_left_s = seconds

    def _next_phase(self) -> None:
        rng = self.rng
        if self.phase is Phase.PARKED:
            if self.soc < 15:
                self._plug_in()
                return
            self.heading_rad = rng.uniform(0, 2 * math.pi)
            self.speed_kmh = rng.uniform(25, 60)
            self._enter(Phase.DRIVING, rng.uniform(600, 3600))
        elif self.phase is Phase.DRIVING:
            if self.soc < 40 or rng.random() < 0.4:
                self._plug_in()
            else:
                self._enter(Phase.PARKED, rng.uniform(1800, 4 * 3600))
        elif self.phase is Phase.PLUGGED:
            self._enter(Phase.PARKED, rng.uniform(1800, 4 * 3600))

    def _plug_in(self) -> None:
        self.target_soc = self.rng.uniform(80, 100)
        self._enter(Phase.CHARGING, 0.0)

    def status(self, now: datetime) -> EvStatus:
        return EvStatus(
            id=self.id,
            timestamp=now,
            status=self.status_value(),
            soc=round(self.soc, 1),
            autonomy=round(self.autonomy_km(), 1),
            coordinates=(round(self.lon, 6), round(self.lat, 6)),
            travelled_distance=round(self.odometer_km, 1),
        )


class Fleet:
    """``size`` vehicles of ``organisation`` around ``centre`` (longitude, latitude)."""

    def __init__(
        self, organisation: str, size: int, seed: int, centre: tuple[float, float]
    ) -> None:
        self.vehicles: list[Vehicle] = []
        for n in range(1, size + 1):
            rng = random.Random(f"{seed}-{organisation}-{n}")
            model = CATALOGUE[(n - 1) % len(CATALOGUE)]
            ev_id = f"{organisation}-{n:05d}"
            home = (
                centre[0] + rng.uniform(-0.05, 0.05),
                centre[1] + rng.uniform(-0.05, 0.05),
            )
            vehicle = Vehicle(
                characteristics=EvCharacteristics(
                    id=ev_id,
                    name=f"{model.name} #{n}",
                    connector=Connector(type=model.connector, power=Decimal(str(model.power_kw))),
                    capacity=model.capacity_kwh,
                ),
                model=model,
                rng=rng,
                soc=rng.uniform(30, 95),
                odometer_km=rng.uniform(1000, 60000),
                lon=home[0],
                lat=home[1],
                home=home,
            )
            vehicle._enter(Phase.PARKED, rng.uniform(0, 2 * 3600))
            self.vehicles.append(vehicle)

    def step(self, now: datetime, dt: float) -> list[EvStatus]:
        """Advance every vehicle ``dt`` seconds and return their statuses as of ``now``."""
        for vehicle in self.vehicles:
            vehicle.advance(dt)
        return [vehicle.status(now) for vehicle in self.vehicles]
