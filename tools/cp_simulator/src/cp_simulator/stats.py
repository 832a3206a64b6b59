"""Counters per station and in total (what :meth:`Simulator.stats` and ``/status`` return)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class StationStats:
    """Monotonic counters of one station (never reset, not even by a Reset)."""

    calls_sent: int = 0  # CALLs the station sent (every action, including retries)
    responses_received: int = 0  # CALLRESULTs received for them
    call_errors_received: int = 0  # CALLERRORs received for them
    response_timeouts: int = 0  # CALLs left unanswered (the connection is then re-opened)
    calls_received: int = 0  # CALLs from the central system (answered or not)
    call_errors_sent: int = 0  # of those, answered with a CALLERROR
    meter_values_produced: int = 0  # periodic MeterValues of transactions (queued for delivery)
    meter_values_delivered: int = 0  # of those, acknowledged by the central system
    meter_values_dropped: int = 0  # given up after TransactionMessageAttempts CALLERRORs
    transactions_started: int = 0
    transactions_stopped: int = 0
    connects: int = 0  # websocket connections opened
    disconnects: int = 0  # websocket connections lost or closed
    boots_accepted: int = 0  # BootNotifications answered Accepted

    def counters(self) -> dict[str, int]:
        return asdict(self)


COUNTERS = tuple(StationStats().counters())
SUMMED_GAUGES = ("meter_values_queued", "tx_messages_queued", "power_w", "limit_w")


def total(stations: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Sum of the station dicts' counters and gauges, and how many stations are connected."""
    stations = list(stations)
    result: dict[str, Any] = {key: sum(s[key] for s in stations) for key in COUNTERS}
    for key in SUMMED_GAUGES:
        result[key] = round(sum(s[key] for s in stations), 1)
    result["stations"] = len(stations)
    result["stations_connected"] = sum(1 for s in stations if s["connected"])
    result["stations_accepted"] = sum(1 for s in stations if s["registration"] == "Accepted")
    return result
