"""The site the gateway serves in the bench: its groups file (the measured group of
``--evses`` charge points and a small second one) and the forecasts the CP sends.

EVSEs differ as on a real site: 32 A or 16 A, mostly three-phase; every other one is
charging (the snapshot stub says so), so the gateway's split gives charging and idle charge
points different shares. Ids hold dots (``BENCH.L.0001``): percent-encoded in routing keys,
as the demo's ``TERNI.EVO.01``.

Forecast *k* of a group is a CONSUMPTION forecast in A of four 15-minute blocks from the
current minute. Its level alternates between about 20 % and 50 % of the group's total maximum
(and drifts a little with *k*), so every EVSE's cap changes from one forecast to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from oscp_fp.groups import GroupConfig, parse_groups
from wiseevp_common.messages.oscp20 import (
    CapacityForecastType,
    ForecastedBlock,
    ForecastedBlockUnit,
    PhaseIndicator,
    UpdateGroupCapacityForecast,
)
from wiseevp_common.topology import encode_level

from .space import OUT_DIR

LARGE = "bench-large"
SMALL = "bench-small"
BLOCK_FACTORS = (1.0, 0.8, 1.1, 0.9)
"""The four blocks of a forecast, relative to its first (the cap in force now)."""
BLOCK = timedelta(minutes=15)


def _evse(group_letter: str, n: int) -> dict[str, Any]:
    return {
        "id": f"BENCH.{group_letter}.{n:04d}",
        "max_current_a": 16.0 if n % 4 == 0 else 32.0,
        "phases": 1 if n % 10 == 0 else 3,
    }


@dataclass(frozen=True)
class Site:
    groups: dict[str, GroupConfig]
    path: Path
    charging: frozenset[str]
    """The EVSEs the snapshot stub reports as charging (every other one)."""

    @classmethod
    def write(cls, evses: int, small_evses: int) -> Site:
        data: dict[str, Any] = {
            "groups": [
                {"id": LARGE, "evses": [_evse("L", n) for n in range(1, evses + 1)]},
            ]
        }
        if small_evses:
            data["groups"].append(
                {"id": SMALL, "evses": [_evse("S", n) for n in range(1, small_evses + 1)]}
            )
        groups = parse_groups(data, "bench groups")
        OUT_DIR.mkdir(exist_ok=True)
        path = OUT_DIR / "oscp-groups.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        charging = frozenset(
            e.id for g in groups.values() for i, e in enumerate(g.evses) if i % 2 == 0
        )
        return cls(groups, path, charging)

    def encoded_ids(self, group_id: str) -> frozenset[str]:
        """The EVSE ids of a group as they appear in routing keys."""
        return frozenset(encode_level(e.id) for e in self.groups[group_id].evses)

    def total_max_a(self, group_id: str) -> float:
        return sum(e.max_current_a for e in self.groups[group_id].evses)

    def capacity(self, group_id: str, k: int) -> float:
        """The first block's capacity (A per phase) of forecast ``k``."""
        share = (0.2 if k % 2 == 0 else 0.5) + 0.002 * k
        return round(self.total_max_a(group_id) * min(share, 0.8), 1)

    def forecast(self, group_id: str, k: int) -> UpdateGroupCapacityForecast:
        first = self.capacity(group_id, k)
        start = datetime.now(UTC).replace(second=0, microsecond=0)
        return UpdateGroupCapacityForecast(
            group_id=group_id,
            type=CapacityForecastType.CONSUMPTION,
            forecasted_blocks=[
                ForecastedBlock(
                    capacity=Decimal(f"{first * factor:.1f}"),
                    phase=PhaseIndicator.ALL,
                    unit=ForecastedBlockUnit.A,
                    start_time=start + i * BLOCK,
                    end_time=start + (i + 1) * BLOCK,
                )
                for i, factor in enumerate(BLOCK_FACTORS)
            ],
        )
