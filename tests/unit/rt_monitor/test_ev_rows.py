from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rt_monitor.rows import latest_per_ev, status_row
from wiseevp_common.messages.iop import EvStatus, EvStatusValue

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


def status(ev: str, minutes: int, value: EvStatusValue = EvStatusValue.CHARGING) -> EvStatus:
    return EvStatus(id=ev, timestamp=T0 + timedelta(minutes=minutes), status=value, soc=50)


def test_status_row_columns() -> None:
    s = EvStatus(
        id="A-1",
        timestamp=T0,
        status=EvStatusValue.CHARGING,
        soc=55.5,
        autonomy=120,
        coordinates=(12.5, 42.1),
        travelledDistance=1000,
    )
    row = status_row(s, T0 + timedelta(seconds=1))
    assert row.values == (
        "A-1",
        T0,
        "charging",
        55.5,
        120,
        12.5,
        42.1,
        1000,
        T0 + timedelta(seconds=1),
    )


def test_last_will_nocomm_is_recorded_when_received() -> None:
    """The will's timestamp is from connect time; it must not sort before later statuses."""
    will = status("A-1", 0, EvStatusValue.NOCOMM)
    received = T0 + timedelta(hours=3)
    assert status_row(will, received).ts == received
    # a regular status keeps its own timestamp even when received late
    assert status_row(status("A-1", 0), received).ts == T0


def test_latest_per_ev_keeps_newest() -> None:
    rows = [
        status_row(status(ev, m), T0) for ev, m in (("A-1", 5), ("B-1", 1), ("A-1", 9), ("A-1", 2))
    ]
    latest = {r.ev_id: r.ts for r in latest_per_ev(rows)}
    assert latest == {"A-1": T0 + timedelta(minutes=9), "B-1": T0 + timedelta(minutes=1)}
