"""EV battery model: pure state, no I/O.

Power is measured at the grid side (what the station's meter sees). Charging stores
``power x CHARGE_EFFICIENCY`` in the battery; V2G discharge takes ``power / CHARGE_EFFICIENCY``
from it. Above :data:`TAPER_START_SOC` the EV accepts less power (linear down to
:data:`TAPER_END_FRACTION` of its maximum at 100 %). Charging stops at ``target_soc``; V2G
discharge stops at ``min_soc``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CHARGE_EFFICIENCY = 0.92
TAPER_START_SOC = 80.0
TAPER_END_FRACTION = 0.2
SOC_EPSILON = 1e-6

AC_POWERS_W = (3_700.0, 7_400.0, 11_000.0, 22_000.0)
DC_POWERS_W = (50_000.0, 100_000.0, 150_000.0)


@dataclass
class Ev:
    """An EV at a connector. ``dwell_s``: how long it stays plugged (``None``: until unplugged)."""

    id: str
    id_tag: str
    capacity_kwh: float
    soc: float
    target_soc: float = 100.0
    max_ac_w: float = 11_000.0
    max_dc_w: float = 50_000.0
    v2g: bool = False
    min_soc: float = 20.0
    dwell_s: float | None = None

    def __post_init__(self) -> None:
        if self.capacity_kwh <= 0:
            raise ValueError("capacity_kwh must be positive")
        for name in ("soc", "target_soc", "min_soc"):
            if not 0 <= getattr(self, name) <= 100:
                raise ValueError(f"{name} must be within 0..100 %")
        if self.max_ac_w < 0 or self.max_dc_w < 0:
            raise ValueError("maximum powers must not be negative")

    @property
    def capacity_wh(self) -> float:
        return self.capacity_kwh * 1000

    @property
    def full(self) -> bool:
        return self.soc >= self.target_soc - SOC_EPSILON

    @property
    def empty(self) -> bool:
        """At or below the V2G floor: no more discharge."""
        return self.soc <= self.min_soc + SOC_EPSILON

    def max_charge_w(self, dc: bool) -> float:
        """Power the EV accepts now (tapered near full)."""
        if self.full:
            return 0.0
        base = self.max_dc_w if dc else self.max_ac_w
        if self.soc <= TAPER_START_SOC:
            return base
        fraction = (self.soc - TAPER_START_SOC) / (100.0 - TAPER_START_SOC)
        return base * (1.0 - (1.0 - TAPER_END_FRACTION) * fraction)

    def max_discharge_w(self, dc: bool) -> float:
        """Power the EV can give back now (0 unless V2G-capable and above ``min_soc``)."""
        if not self.v2g or self.empty:
            return 0.0
        return self.max_dc_w if dc else self.max_ac_w

    def apply(self, power_w: float, seconds: float) -> float:
        """Run at ``power_w`` (negative: discharge) for ``seconds``; return the grid-side Wh moved.

        The result is signed like ``power_w`` and smaller in magnitude when the battery reaches
        its target (charging) or its floor (discharging) within the interval.
        """
        if seconds <= 0 or power_w == 0:
            return 0.0
        if power_w > 0:
            room_wh = max(0.0, (self.target_soc - self.soc) / 100 * self.capacity_wh)
            stored_wh = min(power_w * seconds / 3600 * CHARGE_EFFICIENCY, room_wh)
            self.soc = min(100.0, self.soc + stored_wh / self.capacity_wh * 100)
            return stored_wh / CHARGE_EFFICIENCY
        available_wh = max(0.0, (self.soc - self.min_soc) / 100 * self.capacity_wh)
        taken_wh = min(-power_w * seconds / 3600 / CHARGE_EFFICIENCY, available_wh)
        self.soc = max(0.0, self.soc - taken_wh / self.capacity_wh * 100)
        return -taken_wh * CHARGE_EFFICIENCY

    def seconds_until_limit(self, power_w: float) -> float | None:
        """Seconds until the target (charging) or floor (discharging) is reached at ``power_w``."""
        if power_w > 0 and not self.full:
            room_wh = (self.target_soc - self.soc) / 100 * self.capacity_wh
            return room_wh / (power_w * CHARGE_EFFICIENCY) * 3600
        if power_w < 0 and not self.empty:
            available_wh = (self.soc - self.min_soc) / 100 * self.capacity_wh
            return available_wh * CHARGE_EFFICIENCY / -power_w * 3600
        return None


def random_ev(rng: random.Random, ev_id: str, v2g_share: float = 0.0) -> Ev:
    """A plausible EV: 20-80 kWh, arrives at 10-60 %, wants 80-100 %, stays 1-10 h."""
    capacity = round(rng.uniform(20.0, 80.0), 1)
    soc = round(rng.uniform(10.0, 60.0), 1)
    return Ev(
        id=ev_id,
        id_tag=f"TAG{rng.getrandbits(32):08X}",
        capacity_kwh=capacity,
        soc=soc,
        target_soc=float(rng.choice((80, 90, 100))),
        max_ac_w=rng.choice(AC_POWERS_W),
        max_dc_w=DC_POWERS_W[0] if capacity < 40 else rng.choice(DC_POWERS_W),
        v2g=rng.random() < v2g_share,
        min_soc=float(rng.choice((20, 30, 40))),
        dwell_s=round(rng.uniform(1.0, 10.0) * 3600),
    )
