from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from wiseevp_common.clock import ManualClock, SimulatedClock, SystemClock, clock_from_settings
from wiseevp_common.settings import ServiceSettings

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


async def test_manual_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = ManualClock(T0)
    woke: list[tuple[str, datetime]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    tasks = [asyncio.create_task(sleeper(n, s)) for n, s in (("b", 120), ("a", 60), ("c", 3600))]
    await asyncio.sleep(0)
    assert clock.sleepers == 3
    await clock.advance(90)
    assert woke == [("a", T0 + timedelta(seconds=60))]
    assert clock.now() == T0 + timedelta(seconds=90)
    await clock.advance(3600)
    assert [n for n, _ in woke] == ["a", "b", "c"]
    assert woke[1][1] == T0 + timedelta(seconds=120)
    await asyncio.gather(*tasks)


async def test_manual_clock_periodic_loop_runs_once_per_period() -> None:
    clock = ManualClock(T0)
    ticks: list[datetime] = []

    async def loop() -> None:
        while True:
            await clock.sleep(300)
            ticks.append(clock.now())

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)
    await clock.advance(24 * 3600)  # a simulated day, no real waiting
    task.cancel()
    assert len(ticks) == 24 * 12
    assert ticks[-1] == T0 + timedelta(days=1)


def test_simulated_clock_runs_faster_and_processes_agree() -> None:
    epoch = time.time() - 10  # started 10 real seconds ago
    a = SimulatedClock(T0, speed=720, epoch=epoch)
    b = SimulatedClock(T0, speed=720, epoch=epoch)
    elapsed = (a.now() - T0).total_seconds()
    assert 7200 <= elapsed < 7200 + 720  # 10 s real = 2 h simulated (+ test run time)
    assert abs((a.now() - b.now()).total_seconds()) < 5


async def test_simulated_sleep_is_shortened_by_speed() -> None:
    clock = SimulatedClock(T0, speed=1000)
    started = time.perf_counter()
    await clock.sleep(50)  # 50 simulated seconds = 50 ms
    assert time.perf_counter() - started < 1.0


def test_naive_start_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SimulatedClock(datetime(2026, 1, 1), speed=2)
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 1, 1))


def test_clock_from_settings() -> None:
    assert isinstance(clock_from_settings(ServiceSettings(clock="system")), SystemClock)
    sim = clock_from_settings(
        ServiceSettings(clock="simulated", clock_start=T0, clock_speed=60, clock_epoch=time.time())
    )
    assert isinstance(sim, SimulatedClock)
    assert sim.speed == 60
    assert abs((sim.now() - T0).total_seconds()) < 60
