"""MeterValues from the stations of one load generator, in one of two ways:

- **back to back** (``rate`` None): each station sends its next CALL as soon as the answer to
  the previous one is in: the server's capacity (throughput).
- **paced** (``rate`` msg/s for all stations together): station ``g`` (its index among all
  the stations of the run) is due at ``start + g/rate + j·stations/rate``; it still waits for
  its previous answer (OCPP-J), so a slow server delays the next send, and latency is counted
  from the due time (no coordinated omission).

The MeterValues timestamp is the send time (back to back) or the due time (paced): the tap
measures CALL → publish from it. Only CALLs due/sent in ``[measure_from, end)`` count for
latency; ``completed`` counts the answers that arrived in that window (the achieved rate).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed

from .frames import meter_values_frame, micros
from .station import Station, StationClosed

ANSWER_TIMEOUT = 60.0
PACED_GRACE = 1.0
"""Paced: a station more than this behind its schedule after ``end`` stops; what it still
had to send in the window is counted as ``unsent`` (the server could not keep up)."""


@dataclass(frozen=True)
class Plan:
    start: float
    measure_from: float
    end: float
    rate: float | None = None
    """Paced: msg/s of all the run's stations together; None: back to back."""
    total: int = 0
    """Paced: stations in the run (all load generators)."""
    offset: int = 0
    """Paced: index of this process's first station among them; they go ``stride`` apart."""
    stride: int = 1


async def send_meter_values(stations: list[Station], plan: Plan) -> dict[str, Any]:
    latencies: list[float] = []
    lags: list[float] = []
    counts: Counter[str] = Counter()
    cut = plan.end + PACED_GRACE
    window = range(micros(plan.measure_from), micros(plan.end))

    async def pump(index: int, station: Station) -> None:
        if plan.rate is None:
            due = plan.start + 0.1 * index / len(stations)  # spread the first sends a little
            period = 0.0
        else:
            period = plan.total / plan.rate
            due = plan.start + (plan.offset + index * plan.stride) / plan.rate
        while station.open and due < plan.end:
            wait = due - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            sent = time.time()
            if (
                sent >= cut and period > 0
            ):  # paced, and this far behind: the rest is a backlog, not sent
                counts["unsent"] += sum(
                    1
                    for j in range(int((plan.end - due) / period) + 1)
                    if plan.measure_from <= due + j * period < plan.end
                )
                return
            marker = sent if plan.rate is None else due
            uid = station.next_uid()
            try:
                ok = await station.call(uid, meter_values_frame(uid, marker))
            except (StationClosed, ConnectionClosed):
                counts["closed"] += 1
                return
            answered = time.time()
            if plan.measure_from <= answered < plan.end:
                counts["completed"] += 1
            if micros(marker) in window:  # as the tap classifies it
                if ok:
                    counts["answered"] += 1
                    latencies.append(round(1000 * (answered - marker), 3))
                    lags.append(sent - marker)
                else:
                    counts["refused"] += 1
            due = due + period if plan.rate is not None else answered

    tasks = [asyncio.ensure_future(pump(i, s)) for i, s in enumerate(stations)]
    _, pending = await asyncio.wait(tasks, timeout=plan.end - time.time() + ANSWER_TIMEOUT)
    for task in pending:
        task.cancel()
    lags.sort()
    return {
        **{k: counts[k] for k in ("answered", "completed", "refused", "closed", "unsent")},
        "stuck": len(pending),
        "latencies_ms": latencies,
        "send_lag_p99_ms": 1000 * lags[int(0.99 * (len(lags) - 1))] if lags else None,
    }
