"""Fixtures: a tiny central system on port 0 and a simulator on a manual clock."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from cp_simulator.config import SimulatorConfig, StationConfig
from cp_simulator.simulator import Simulator
from tests.unit.cp_simulator.central_system import CentralSystem
from wiseevp_common.clock import ManualClock

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
async def central_system() -> AsyncIterator[CentralSystem]:
    async with CentralSystem() as cs:
        yield cs


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@contextlib.asynccontextmanager
async def simulating(
    cs: CentralSystem, clock: ManualClock, *stations: StationConfig, **options: Any
) -> AsyncIterator[Simulator]:
    """Run ``stations`` against ``cs`` (no random arrivals) until every one is Accepted."""
    options = {"random_arrivals": False, "drain_timeout_s": 0.2} | options
    config = SimulatorConfig(url=cs.url, stations=stations, **options)
    async with Simulator(config, clock) as sim:
        async with asyncio.timeout(5):
            await sim.wait_accepted()
        yield sim
