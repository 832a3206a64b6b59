"""Forecasts, one at a time: each is sent once the previous one is complete and the gateway is
idle again, and its timings are taken from the send (t0) and the tap's arrivals."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass, field

from proc_stats import CpuMeter, settle
from wiseevp_common.topology import IopTopic

from .checks import check
from .cp import BenchCp
from .fp import FpProcess
from .site import Site
from .tap import Tap

STRAGGLER_WAIT_S = 0.05
"""After the gateway went idle: time for a message still in the broker to reach the tap."""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class ForecastTiming:
    """One forecast; times in seconds from t0 (right before the request was posted)."""

    group_id: str
    k: int
    capacity: float
    total_s: float
    """t0 → the last of its caps and its GroupCapacity at the tap: THE figure."""
    answered_s: float
    """t0 → the gateway's 204 at the CP."""
    capacity_s: float
    """t0 → its GroupCapacity at the tap."""
    first_cap_s: float
    last_cap_s: float
    cap_sum: float
    changed: int
    mode: str
    late: int
    """Messages of the tap after it was complete, before the next forecast."""


@dataclass
class GroupRun:
    group_id: str
    evses: int
    timings: list[ForecastTiming] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)


class Forecaster:
    def __init__(self, cp: BenchCp, tap: Tap, fp: FpProcess, site: Site, timeout: float) -> None:
        self.cp = cp
        self.tap = tap
        self.fp = fp
        self.site = site
        self.timeout = timeout
        self.previous: dict[str, dict[str, float]] = {}
        self.next_k: dict[str, int] = {}

    async def one(self, group_id: str) -> ForecastTiming:
        self.fp.check_alive()
        k = self.next_k.get(group_id, 0)
        self.next_k[group_id] = k + 1
        forecast = self.site.forecast(group_id, k)
        capacity = self.site.capacity(group_id, k)
        expectation = self.tap.expect(
            IopTopic.GRID_CAPACITY.routing_key(group_id=group_id), self.site.encoded_ids(group_id)
        )
        sent = await self.cp.send(forecast)
        await self.tap.wait(expectation, self.timeout, self.fp.check_alive)
        await settle(self.fp.pid, idle_share=0.1, window=0.2, timeout=self.timeout)
        await asyncio.sleep(STRAGGLER_WAIT_S)
        self.tap.release()
        checked = check(group_id, capacity, sent, expectation, self.previous.get(group_id))
        self.previous[group_id] = checked.limits
        caps = [at for at, _ in expectation.caps.values()]
        t0 = sent.t0
        return ForecastTiming(
            group_id=group_id,
            k=k,
            capacity=capacity,
            total_s=expectation.complete_at - t0,
            answered_s=sent.answered - t0,
            capacity_s=expectation.capacities[0][0] - t0,
            first_cap_s=min(caps) - t0,
            last_cap_s=max(caps) - t0,
            cap_sum=checked.cap_sum,
            changed=checked.changed,
            mode=checked.mode,
            late=expectation.late + expectation.duplicates + expectation.foreign,
        )

    def new_run(self, group_id: str) -> GroupRun:
        return GroupRun(group_id, len(self.site.groups[group_id].evses))

    async def fill(self, run: GroupRun, count: int) -> None:
        """``count`` forecasts for the run's group (kept as they complete, so an interrupted
        run still reports them), then the CPU each process used meanwhile."""
        group_id = run.group_id
        meter = CpuMeter(
            lambda: {"oscp_fp": [self.fp.pid], "bench (CP, tap, checks)": [os.getpid()]}
        )
        before = meter.snapshot()
        for n in range(count):
            timing = await self.one(group_id)
            run.timings.append(timing)
            say(
                f"  {group_id} forecast {n + 1}/{count}: {timing.total_s * 1000:7.1f} ms "
                f"(204 after {timing.answered_s * 1000:.1f} ms, {timing.changed} caps changed)"
            )
        run.cpu = CpuMeter.delta(before, meter.snapshot())
