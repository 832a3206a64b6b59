"""Latency phase: paced publishing at a fixed rate; latency = ``stored_at - ts`` per row."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from .config import Config
from .cpu import CpuMeter
from .database import wait_for_rows
from .errors import BenchError
from .fleet import SimEv
from .monitor import MonitorProcess
from .payloads import now_ms, status_payload
from .space import HISTORY


@dataclass
class LatencyResult:
    messages: int
    offered_rate: float
    achieved_rate: float
    send_lag_p99_ms: float
    drain_ms: float
    """Last row stored - last send: more than a batch wait means a backlog (saturation)."""
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    to_monitor_p50_ms: float
    to_monitor_p99_ms: float
    in_monitor_p50_ms: float
    in_monitor_p99_ms: float
    batches: int
    batch_avg: float
    cpu: dict[str, float]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


async def run_latency(
    cfg: Config,
    evs: list[SimEv],
    db: asyncpg.Connection,
    monitor: MonitorProcess,
    meter: CpuMeter,
    *,
    rate: float,
) -> LatencyResult:
    """EV ``e`` sends its ``j``-th status at ``start + (j·E + e)/rate``: the fleet together
    offers ``rate`` msg/s, evenly spread. A send never waits for the previous PUBACK, so a slow
    acknowledgement cannot lower the offered rate (no coordinated omission)."""
    total = max(len(evs), round(rate * cfg.latency_seconds))
    per_ev = math.ceil(total / len(evs))
    total = per_ev * len(evs)
    start_ms = max(now_ms(), max(ev.last_ts_ms for ev in evs) + 1) + 200
    start = start_ms / 1000
    lags: list[float] = []
    failures: list[BaseException] = []
    in_flight: set[asyncio.Task[None]] = set()

    def done(task: asyncio.Task[None]) -> None:
        in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            failures.append(task.exception())  # type: ignore[arg-type]

    async def pace(index: int, ev: SimEv) -> None:
        for j in range(per_ev):
            due = start + (j * len(evs) + index) / rate
            delay = due - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_ms = now_ms()
            lags.append(sent_ms / 1000 - due)
            ev.seq += 1
            payload = status_payload(ev.ev_id, ev.next_ts(sent_ms), ev.seq)
            task = asyncio.create_task(ev.publish(payload))
            in_flight.add(task)
            task.add_done_callback(done)

    before = meter.snapshot()
    await asyncio.wait_for(
        asyncio.gather(*(pace(i, ev) for i, ev in enumerate(evs))),
        cfg.latency_seconds + cfg.timeout,
    )
    finished = time.time()
    if in_flight:
        await asyncio.wait(set(in_flight), timeout=cfg.timeout)
    if failures:
        raise BenchError(f"latency: {len(failures)} publishes failed, first: {failures[0]!r}")
    if in_flight:
        raise BenchError(f"latency: {len(in_flight)} publishes unacknowledged")
    await wait_for_rows(
        db, monitor, expected=total, since_ms=start_ms, timeout=cfg.timeout, what="latency"
    )
    cpu = meter.delta(before, meter.snapshot())
    since = datetime.fromtimestamp(start_ms / 1000, UTC)
    until = datetime.fromtimestamp(max(ev.last_ts_ms for ev in evs) / 1000, UTC)
    row = await db.fetchrow(
        f"""SELECT count(*) AS n,
              percentile_cont(ARRAY[0.5, 0.9, 0.99, 0.999]) WITHIN GROUP
                (ORDER BY extract(epoch FROM stored_at - ts)::float8) AS total,
              max(extract(epoch FROM stored_at - ts))::float8 AS max,
              percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP
                (ORDER BY extract(epoch FROM received_at - ts)::float8) AS to_monitor,
              percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP
                (ORDER BY extract(epoch FROM stored_at - received_at)::float8) AS in_monitor,
              count(DISTINCT xmin::text) AS batches,
              extract(epoch FROM max(stored_at))::float8 AS last_stored
            FROM {HISTORY} WHERE ts BETWEEN $1 AND $2""",
        since,
        until,
    )
    assert row is not None
    n = int(row["n"])
    if n != total:
        raise BenchError(f"latency: {n} rows, expected {total}")
    tot = [1000 * float(v) for v in row["total"]]
    to_mon = [1000 * float(v) for v in row["to_monitor"]]
    in_mon = [1000 * float(v) for v in row["in_monitor"]]
    batches = int(row["batches"])
    return LatencyResult(
        messages=n,
        offered_rate=rate,
        achieved_rate=n / (finished - start),
        drain_ms=1000 * (float(row["last_stored"]) - finished),
        send_lag_p99_ms=1000 * _percentile(lags, 0.99),
        p50_ms=tot[0],
        p90_ms=tot[1],
        p99_ms=tot[2],
        p999_ms=tot[3],
        max_ms=1000 * float(row["max"]),
        to_monitor_p50_ms=to_mon[0],
        to_monitor_p99_ms=to_mon[1],
        in_monitor_p50_ms=in_mon[0],
        in_monitor_p99_ms=in_mon[1],
        batches=batches,
        batch_avg=n / batches if batches else 0.0,
        cpu=cpu,
    )
