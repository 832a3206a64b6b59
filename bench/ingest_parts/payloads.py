"""The EV status messages the bench sends."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from wiseevp_common.messages.iop import EvStatus, EvStatusValue

from .space import ORG


def ev_ids(count: int) -> list[str]:
    """The same ids every run, so the broker's retained-message store does not grow."""
    return [f"{ORG}-{n:05d}" for n in range(1, count + 1)]


def status_payload(ev_id: str, ts_ms: int, seq: int) -> bytes:
    """A valid, fully populated status (every optional field set: the largest payload)."""
    status = EvStatus(
        id=ev_id,
        timestamp=datetime.fromtimestamp(ts_ms / 1000, UTC),
        status=EvStatusValue.CHARGING,
        soc=round(20 + (seq % 800) / 10, 1),
        autonomy=round(80 + (seq % 2000) / 10, 1),
        coordinates=(4.351710 + (seq % 97) * 1e-5, 50.850340 - (seq % 89) * 1e-5),
        travelled_distance=round(12000 + seq * 0.1, 1),
    )
    return status.to_json()


def now_ms() -> int:
    return int(time.time() * 1000)
