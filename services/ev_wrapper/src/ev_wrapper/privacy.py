"""The ``public`` view of an EV status (EVP_037): privacy-sensitive fields removed or coarsened."""

from __future__ import annotations

from wiseevp_common.messages.iop import EvPublicStatus, EvStatus


def coarsen(value: float, grid: float) -> float:
    """Snap ``value`` to the nearest multiple of ``grid`` degrees (0.01° ≈ 1.1 km)."""
    return round(round(value / grid) * grid, 6)


def public_view(status: EvStatus, grid_deg: float) -> EvPublicStatus:
    """Drops the odometer (driving behaviour), rounds position to ``grid_deg`` and SoC/range
    to whole units; keeps what grid tools need: id, time, status, SoC, range, area."""
    return EvPublicStatus(
        id=status.id,
        timestamp=status.timestamp,
        status=status.status,
        soc=None if status.soc is None else round(status.soc),
        autonomy=None if status.autonomy is None else round(status.autonomy),
        coordinates=None
        if status.coordinates is None
        else (coarsen(status.coordinates[0], grid_deg), coarsen(status.coordinates[1], grid_deg)),
    )
