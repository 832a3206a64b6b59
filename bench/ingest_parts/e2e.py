"""E2e phase: the MQTT fleet publishes as fast as it goes; throughput up to the last row."""

from __future__ import annotations

import asyncio
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
class E2eResult:
    messages: int
    seconds: float
    publish_seconds: float
    drain_after_publish_s: float
    batches: int
    batch_avg: float
    batch_max: int
    store_wait_avg_ms: float
    handle_avg_ms: float | None
    cpu: dict[str, float]

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    @property
    def publish_rate(self) -> float:
        return self.messages / self.publish_seconds


async def run_e2e(
    cfg: Config,
    evs: list[SimEv],
    db: asyncpg.Connection,
    monitor: MonitorProcess,
    meter: CpuMeter,
) -> E2eResult:
    # warm-up: one status per EV (partitions, pool connections, staging tables)
    warm_ms = now_ms() - 60_000
    await asyncio.gather(
        *(ev.publish(status_payload(ev.ev_id, ev.next_ts(warm_ms), 0)) for ev in evs)
    )
    await wait_for_rows(
        db, monitor, expected=len(evs), since_ms=warm_ms, timeout=cfg.timeout, what="warm-up"
    )
    await asyncio.sleep(0.5)
    metrics_before = await monitor.metrics()

    base_ms = now_ms()
    plan: list[list[bytes]] = []
    for ev in evs:
        plan.append(
            [status_payload(ev.ev_id, ev.next_ts(base_ms + i), i) for i in range(cfg.per_ev)]
        )
    first_ts = base_ms
    last_ts = max(ev.last_ts_ms for ev in evs)

    async def blast(ev: SimEv, payloads: list[bytes]) -> None:
        it = iter(payloads)

        async def lane() -> None:
            for payload in it:  # the lanes of one EV share the iterator: in order
                await ev.publish(payload)

        await asyncio.gather(*(lane() for _ in range(min(cfg.mqtt_window, len(payloads)))))

    before = meter.snapshot()
    t_first = time.time()
    try:
        await asyncio.wait_for(
            asyncio.gather(*(blast(ev, p) for ev, p in zip(evs, plan, strict=True))), cfg.timeout
        )
    except TimeoutError:
        raise BenchError(f"e2e: MQTT publishing not done after {cfg.timeout} s") from None
    t_published = time.time()
    remaining = max(1.0, cfg.timeout - (t_published - t_first))
    await wait_for_rows(
        db, monitor, expected=cfg.e2e_messages, since_ms=first_ts, timeout=remaining, what="e2e"
    )
    cpu = meter.delta(before, meter.snapshot())
    metrics_after = await monitor.metrics()

    lo = datetime.fromtimestamp(first_ts / 1000, UTC)
    hi = datetime.fromtimestamp(last_ts / 1000, UTC)
    row = await db.fetchrow(
        f"SELECT count(*) AS n, extract(epoch FROM max(stored_at))::float8 AS last_stored, "
        f"avg(extract(epoch FROM stored_at - received_at))::float8 AS store_wait "
        f"FROM {HISTORY} WHERE ts BETWEEN $1 AND $2",
        lo,
        hi,
    )
    batches = await db.fetchrow(
        f"SELECT count(*) AS batches, avg(n)::float8 AS avg, max(n) AS max FROM "
        f"(SELECT xmin::text AS tx, count(*) AS n FROM {HISTORY} WHERE ts BETWEEN $1 AND $2 "
        f"GROUP BY 1) b",
        lo,
        hi,
    )
    assert row is not None and batches is not None
    if int(row["n"]) != cfg.e2e_messages:
        raise BenchError(f"e2e: {row['n']} rows in range, expected {cfg.e2e_messages}")
    handled = metrics_after.get("wiseevp_message_handle_seconds_count", 0.0) - metrics_before.get(
        "wiseevp_message_handle_seconds_count", 0.0
    )
    handle_sum = metrics_after.get("wiseevp_message_handle_seconds_sum", 0.0) - metrics_before.get(
        "wiseevp_message_handle_seconds_sum", 0.0
    )
    last_stored = float(row["last_stored"])
    return E2eResult(
        messages=cfg.e2e_messages,
        seconds=last_stored - t_first,
        publish_seconds=t_published - t_first,
        drain_after_publish_s=last_stored - t_published,
        batches=int(batches["batches"]),
        batch_avg=float(batches["avg"]),
        batch_max=int(batches["max"]),
        store_wait_avg_ms=1000 * float(row["store_wait"]),
        handle_avg_ms=1000 * handle_sum / handled if handled else None,
        cpu=cpu,
    )
