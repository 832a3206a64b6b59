"""What a forecast's messages must say, checked after it is complete (off the measured path):
the GroupCapacity names the forecast's X-Request-ID, every cap was computed after the forecast
was sent, the caps in force now add up to at most the group's capacity, and caps changed from
the group's previous forecast."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from ocpp_parts.errors import BenchError

from .cp import Sent
from .tap import Expectation


@dataclass(frozen=True)
class Checked:
    mode: str
    """The GroupCapacity's mode (NORMAL while the CP is online)."""
    cap_sum: float
    """Sum of the caps in force now (A per phase)."""
    changed: int
    """EVSEs whose cap in force now differs from the previous forecast's."""
    limits: dict[str, float]
    """EVSE (as encoded in routing keys) → its cap in force now."""


def check(
    group_id: str,
    capacity: float,
    sent: Sent,
    expectation: Expectation,
    previous: dict[str, float] | None,
) -> Checked:
    _, body = expectation.capacities[0]
    group_capacity = json.loads(body)
    if group_capacity.get("forecast_request_id") != sent.request_id:
        raise BenchError(
            f"{group_id}: the GroupCapacity names forecast "
            f"{group_capacity.get('forecast_request_id')!r}, not {sent.request_id!r}"
        )
    limits: dict[str, float] = {}
    oldest = sent.t0_wall - 0.001  # startSchedule is in whole milliseconds
    for evse, (_, cap) in expectation.caps.items():
        schedule = json.loads(cap)["csChargingProfiles"]["chargingSchedule"]
        start = datetime.fromisoformat(schedule["startSchedule"]).timestamp()
        if start < oldest:
            raise BenchError(f"{group_id}: the cap of {evse} was computed before the forecast")
        limits[evse] = float(schedule["chargingSchedulePeriod"][0]["limit"])
    cap_sum = sum(limits.values())
    if cap_sum > capacity + 1e-6:
        raise BenchError(f"{group_id}: caps add up to {cap_sum:.1f} A > capacity {capacity} A")
    changed = (
        len(limits)
        if previous is None
        else sum(1 for evse, limit in limits.items() if previous.get(evse) != limit)
    )
    return Checked(str(group_capacity.get("mode")), cap_sum, changed, limits)
