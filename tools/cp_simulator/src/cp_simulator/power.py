"""What a connector offers and what the EV draws: pure functions over limits, in watts.

Positive watts charge the EV, negative watts discharge it (V2G).
"""

from __future__ import annotations

from collections.abc import Sequence

from .ev import Ev


def offered_w(hardware_w: float, max_current_w: float, profile_w: float | None) -> float:
    """The connector's signed power ceiling: hardware and the vendor max-current key cap the
    magnitude; a charging-profile limit (negative: discharge request) caps it further."""
    ceiling = min(hardware_w, max_current_w)
    if profile_w is None:
        return ceiling
    if profile_w < 0:
        return max(profile_w, -ceiling)
    return min(profile_w, ceiling)


def ev_power_w(offered: float, ev: Ev, *, dc: bool, v2g_station: bool) -> float:
    """Power the EV actually draws (or gives back) under ``offered``."""
    if offered < 0:
        if not v2g_station:
            return 0.0
        return -min(-offered, ev.max_discharge_w(dc))
    return min(offered, ev.max_charge_w(dc))


def share_capacity(capacity_w: float, demands_w: Sequence[float]) -> list[float]:
    """Split ``capacity_w`` among the positive demands: equal shares, a share a connector does
    not use goes to the others. Negative demands (discharge) are kept as they are."""
    result = [min(d, 0.0) for d in demands_w]
    active = [i for i, d in enumerate(demands_w) if d > 0]
    remaining = max(0.0, capacity_w)
    while active:
        share = remaining / len(active)
        satisfied = [i for i in active if demands_w[i] <= share]
        if not satisfied:
            for i in active:
                result[i] = share
            break
        for i in satisfied:
            result[i] = demands_w[i]
            remaining -= demands_w[i]
            active.remove(i)
    return result
