"""The EVSE wrapper killed (SIGKILL) in the middle of charging sessions and started again:
stations reconnect, their open transactions continue with the same ids, and every meter value
a station produced ends up in PostgreSQL exactly once (the RT monitor's table)."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import asyncpg
import pytest

from cp_simulator.config import SimulatorConfig, StationConfig
from cp_simulator.connector import PlugResult
from cp_simulator.ev import Ev
from cp_simulator.simulator import Simulator
from tests.support.env import POSTGRES_URL
from tests.support.evse import EvseWrapperProcess
from tests.support.processes import ServiceProcess
from tests.support.waiting import wait_for_value
from wiseevp_common.clock import SimulatedClock

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STATIONS = tuple(
    StationConfig(f"RESTART.CP{i}", connectors=1, meter_interval_s=30) for i in range(3)
)


@pytest.fixture
async def wrapper(
    fresh_db: asyncpg.Connection, fresh_broker: None
) -> AsyncIterator[EvseWrapperProcess]:
    process = EvseWrapperProcess(WISEEVP_ACCEPT_UNKNOWN_ID_TAGS="true")
    try:
        yield await process.started()
    finally:
        await process.stop()


async def until(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    await wait_for_value(predicate, bool, what=what, timeout=timeout)


async def test_a_killed_wrapper_loses_no_meter_value(
    monitor: ServiceProcess, wrapper: EvseWrapperProcess
) -> None:
    clock = SimulatedClock(datetime(2026, 3, 2, 8, tzinfo=UTC), speed=120)
    config = SimulatorConfig(
        url=wrapper.ws_url("x").rsplit("/", 1)[0],
        stations=STATIONS,
        random_arrivals=False,
        reconnect_max_s=20,
        response_timeout_s=5,
    )
    async with Simulator(config, clock) as sim:
        await sim.wait_accepted()
        for i, station in enumerate(STATIONS):
            ev = Ev(f"EV{i}", f"TAG{i}", capacity_kwh=60, soc=20)
            assert await sim.station(station.id).plug_in(1, ev) is PlugResult.STARTED

        def delivered() -> int:
            return int(sim.stats()["total"]["meter_values_delivered"])

        await until(lambda: delivered() >= 3 * len(STATIONS), "meter values before the kill")
        wrapper.kill(signal.SIGKILL)
        await wrapper.wait_exit()
        await until(
            lambda: sim.stats()["total"]["meter_values_queued"] >= 2 * len(STATIONS),
            "meter values queued by the stations while the wrapper is down",
        )
        before_restart = delivered()
        wrapper.start()
        await wrapper.wait_healthy()
        await until(
            lambda: (
                sim.stats()["total"]["meter_values_queued"] == 0
                and delivered() >= before_restart + 3 * len(STATIONS)
            ),
            "the queued meter values delivered after the restart, and new ones",
        )
        for station in STATIONS:
            await sim.station(station.id).unplug(1)
        await until(
            lambda: sim.stats()["total"]["tx_messages_queued"] == 0, "stop transactions sent"
        )
        stats = sim.stats()

    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        for station in STATIONS:
            mine = stats["stations"][station.id]
            assert mine["meter_values_dropped"] == 0
            assert mine["meter_values_produced"] == mine["meter_values_delivered"]
            assert mine["disconnects"] >= 1 and mine["connects"] >= 2

            async def stored(evse_id: str = station.id) -> int:
                value: int = await conn.fetchval(
                    "SELECT count(DISTINCT (connector_id, ts)) FROM rt_monitor.evse_meter_value "
                    "WHERE evse_id = $1 AND context = 'Sample.Periodic'",
                    evse_id,
                )
                return value

            count = await wait_for_value(
                stored,
                lambda n, want=mine["meter_values_produced"]: n >= want,
                what=f"{station.id}'s meter values in PostgreSQL",
            )
            assert count == mine["meter_values_produced"]
            # one transaction per station, continued across the restart and closed
            txs = await conn.fetch(
                "SELECT transaction_id, stop_ts FROM rt_monitor.evse_transaction "
                "WHERE evse_id = $1",
                station.id,
            )
            assert len(txs) == 1 and txs[0]["stop_ts"] is not None
            ids = await conn.fetch(
                "SELECT DISTINCT transaction_id FROM rt_monitor.evse_meter_value "
                "WHERE evse_id = $1 AND context = 'Sample.Periodic'",
                station.id,
            )
            assert [r["transaction_id"] for r in ids] == [txs[0]["transaction_id"]]
    finally:
        await conn.close()
