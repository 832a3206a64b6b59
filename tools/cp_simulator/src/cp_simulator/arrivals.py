"""Random EV arrivals at a connector: a Poisson process whose rate follows the time of day."""

from __future__ import annotations

import random

from wiseevp_common.clock import Clock

from .station import Station

# relative arrival rate per hour of the (simulated) day: morning and evening peaks, mean ≈ 1
HOURLY_WEIGHT = (
    0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 1.6, 2.0, 1.6, 1.2, 1.0,
    1.0, 1.0, 1.0, 1.1, 1.4, 1.9, 1.9, 1.4, 1.0, 0.7, 0.4, 0.3,
)  # fmt: skip


def arrival_gap_s(rng: random.Random, hour: int, mean_gap_s: float) -> float:
    """Seconds until the next arrival, at the rate of ``hour``."""
    return rng.expovariate(HOURLY_WEIGHT[hour % 24] / mean_gap_s)


async def run_arrivals(
    station: Station, connector_id: int, clock: Clock, rng: random.Random, mean_gap_s: float
) -> None:
    """Forever: wait for the next EV, plug it in when the connector is free, wait until it
    leaves. EVs arrive whether or not the station is online (it then authorizes locally)."""
    conn = station.connector(connector_id)
    while True:
        await clock.sleep(arrival_gap_s(rng, clock.now().hour, mean_gap_s))
        if conn.ev is not None or not conn.operative:
            continue  # the driver finds the connector taken and drives on
        await station.plug_in(connector_id)
        if conn.ev is not None:
            await conn.vacated.wait()
