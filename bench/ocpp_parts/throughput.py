"""Sending runs: the stations connected so far send MeterValues for a warm-up and then the
measured ``seconds``, back to back (throughput: the server's capacity) or paced at a rate
(latency at that load). Figures: answered CALLs/s, CALL → answer latency in the stations,
and (wrapper only) CALL → publish latency at the tap."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from typing import Any

from proc_stats import CpuMeter, CpuSnapshot, settle

from .children import Child
from .config import Config
from .loadgen import LoadGenerators, Server
from .stats import summary


@dataclass
class ThroughputResult:
    server: str
    stations: int
    seconds: float
    offered_rate: float | None
    """None: back to back; else the paced rate (msg/s, all stations)."""
    answered: int
    """CALLs sent (back to back) or due (paced) in the window that were answered."""
    completed: int
    """Answers that arrived in the window."""
    unsent: int
    """Paced: CALLs due in the window never sent (the server fell too far behind)."""
    refused: int
    closed: int
    stuck: int
    send_lag_p99_ms: float | None
    """Paced: how late the sends were (a station waits for its previous answer)."""
    answer_ms: dict[str, Any]
    """CALL → CALLRESULT (echo: → the echoed frame), in the stations."""
    publish_ms: dict[str, Any] | None
    """CALL → publish, at the tap (wrapper only): count, percentiles, ``total`` arrivals."""
    cpu: dict[str, float]

    @property
    def rate(self) -> float:
        """Back to back: answered / s. Paced: the answers that arrived / s (achieved)."""
        return (self.answered if self.offered_rate is None else self.completed) / self.seconds


async def sending_step(
    cfg: Config,
    gens: LoadGenerators,
    server: Server,
    groups: dict[str, list[int]],
    tap: Child | None,
    *,
    rate: float | None,
    seconds: float,
) -> ThroughputResult:
    """``groups``: the processes to account CPU to (the tap's is added here)."""
    groups = dict(groups)
    if tap is not None and tap.pid is not None:
        groups["tap (AMQP consumer)"] = [tap.pid]
    meter = CpuMeter(lambda: {k: list(v) for k, v in groups.items()})
    await settle(server.pid, timeout=5)
    start = time.time() + 0.3
    measure_from = start + cfg.warmup
    end = measure_from + seconds
    how = "back to back" if rate is None else f"paced at {rate:,.0f} msg/s"
    print(
        f"{server.name}: MeterValues {how} from {cfg.stations:,} stations, "
        f"{cfg.warmup:g} s warm-up + {seconds:g} s ...",
        file=sys.stderr,
        flush=True,
    )
    snapshots: list[CpuSnapshot] = []

    async def sample_cpu() -> None:
        for at in (measure_from, end):
            await asyncio.sleep(max(0.0, at - time.time()))
            snapshots.append(meter.snapshot())

    sampler = asyncio.create_task(sample_cpu())
    plan = {"start": start, "measure_from": measure_from, "end": end, "rate": rate}
    runs = await gens.send(plan, cfg.stations, end - time.time() + cfg.timeout)
    await sampler
    server.check_alive()
    publish = None
    if tap is not None:
        await asyncio.sleep(0.3)  # answered means published: only the delivery to the tap left
        publish = await tap.request({"cmd": "report", "from": measure_from, "end": end}, 60)
    latencies: list[float] = []
    for run in runs:
        latencies.extend(run["latencies_ms"])
    lags = [r["send_lag_p99_ms"] for r in runs if r["send_lag_p99_ms"] is not None]
    return ThroughputResult(
        server=server.name,
        stations=cfg.stations,
        seconds=seconds,
        offered_rate=rate,
        answered=sum(r["answered"] for r in runs),
        completed=sum(r["completed"] for r in runs),
        unsent=sum(r["unsent"] for r in runs),
        refused=sum(r["refused"] for r in runs),
        closed=sum(r["closed"] for r in runs),
        stuck=sum(r["stuck"] for r in runs),
        send_lag_p99_ms=max(lags) if lags else None,
        answer_ms=summary(latencies),
        publish_ms=publish,
        cpu=meter.delta(snapshots[0], snapshots[1]),
    )
