"""The times of the EVSE unit tests: a fixed start and the receipt time of the messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 5, 1, 10, tzinfo=UTC)
RECEIVED = T0 + timedelta(hours=1)


def ts(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iso(minutes: float) -> str:
    return ts(minutes).isoformat().replace("+00:00", "Z")
