"""One benchmark run: the phases in order, the rt_monitor process always stopped, the report
and the exit code (``main``); or, with ``RAW_CONSUMER_FLAG``, the raw phase's consumer."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence

import asyncpg

from bench_run import cancellable, exit_code
from wiseevp_common.topology import Queue

from .config import Config, parse_args
from .cpu import CpuMeter
from .database import reset_database
from .e2e import run_e2e
from .errors import BenchError
from .fleet import mqtt_fleet
from .latency import run_latency
from .management import delete_bench_queues, queue_messages
from .monitor import MonitorProcess
from .outcome import Outcome
from .payloads import ev_ids, now_ms, status_payload
from .raw import RAW_CONSUMER_FLAG, raw_consumer_child, run_raw
from .report import print_profile, report
from .space import ORG, POSTGRES_URL


async def run(cfg: Config, outcome: Outcome, monitor: MonitorProcess, payload: bytes) -> None:
    meter = CpuMeter()
    await delete_bench_queues()
    if not cfg.skip_raw:
        print(f"raw: {cfg.raw_messages:,} messages ...", file=sys.stderr, flush=True)
        outcome.raw = await run_raw(cfg, payload, meter)
    await reset_database()
    print("e2e: starting rt_monitor ...", file=sys.stderr, flush=True)
    monitor.start()
    meter.monitor_pid = monitor.pid
    if cfg.nice:
        os.nice(cfg.nice)  # after the fork: rt_monitor keeps the normal priority
    await monitor.wait_healthy()
    db = await asyncpg.connect(POSTGRES_URL, timeout=10)
    try:
        async with mqtt_fleet(ev_ids(cfg.evs), cfg.mqtt_window) as evs:
            print(
                f"e2e: {cfg.e2e_messages:,} messages from {len(evs)} EVs ...",
                file=sys.stderr,
                flush=True,
            )
            outcome.e2e = await run_e2e(cfg, evs, db, monitor, meter)
            await asyncio.sleep(1.0)
            print(
                f"latency: {cfg.latency_seconds:.0f} s at {cfg.rate:,.0f} msg/s ...",
                file=sys.stderr,
                flush=True,
            )
            outcome.latency = await run_latency(cfg, evs, db, monitor, meter, rate=cfg.rate)
            for rate in cfg.extra_rates:
                await asyncio.sleep(1.0)
                print(
                    f"latency: {cfg.latency_seconds:.0f} s at {rate:,.0f} msg/s ...",
                    file=sys.stderr,
                    flush=True,
                )
                outcome.latency_extra.append(
                    await run_latency(cfg, evs, db, monitor, meter, rate=rate)
                )
        dead = await queue_messages(Queue.DEAD_LETTER.name)
        if dead:
            raise BenchError(f"{dead} messages were dead-lettered (invalid payloads?)")
    finally:
        await db.close()


async def amain(cfg: Config, outcome: Outcome, monitor: MonitorProcess, payload: bytes) -> None:
    async def stop_monitor() -> None:
        print("stopping rt_monitor ...", file=sys.stderr, flush=True)
        code = await monitor.stop()
        if code not in (None, 0):
            outcome.extra["rt_monitor_exit_code"] = code

    # the monitor stopped, then the vhost left empty
    await cancellable(
        run(cfg, outcome, monitor, payload), stop_monitor, delete_bench_queues, timeout=60
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == [RAW_CONSUMER_FLAG]:
        n, prefetch, timeout = int(args[1]), int(args[2]), float(args[3])
        asyncio.run(raw_consumer_child(n, prefetch, timeout))
        return 0
    cfg = parse_args(argv)
    payload = status_payload(f"{ORG}-00001", now_ms(), 12345)
    outcome = Outcome()
    monitor = MonitorProcess(cfg.env, module=cfg.monitor_module, profile=cfg.profile)
    code = exit_code(lambda: amain(cfg, outcome, monitor, payload), outcome, [monitor], BenchError)
    if outcome.error is not None:
        print(f"\nerror: {outcome.error}", file=sys.stderr)
        print(f"rt_monitor log: {monitor.log_path}", file=sys.stderr)
    if cfg.profile and monitor.profile_path is not None and monitor.profile_path.exists():
        print_profile(monitor.profile_path)
    report(cfg, outcome, len(payload))
    return code
