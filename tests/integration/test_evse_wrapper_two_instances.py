"""Two EVSE wrapper instances share the command queue (competing consumers): a command either
instance consumes reaches the station through the instance holding its connection (PostgreSQL
NOTIFY), in order, with exactly one result each."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.support.evse import EvseWrapperProcess, result_key, send_command, tap
from tests.support.ocpp_station import connected
from tests.support.waiting import wait_for_value

pytestmark = pytest.mark.integration

STATION = "SHARED.CP.01"


@pytest.fixture
async def two_wrappers(
    fresh_db: asyncpg.Connection, fresh_broker: None
) -> AsyncIterator[tuple[EvseWrapperProcess, EvseWrapperProcess]]:
    first = await EvseWrapperProcess(WISEEVP_INSTANCE_ID="a").started()
    second = EvseWrapperProcess(WISEEVP_INSTANCE_ID="b")
    try:
        await second.started()
        yield first, second
    finally:
        await second.stop()
        await first.stop()


async def test_commands_consumed_by_either_instance_reach_the_station(
    two_wrappers: tuple[EvseWrapperProcess, EvseWrapperProcess],
) -> None:
    _, holder = two_wrappers
    request_ids = [f"r{i}" for i in range(12)]
    async with (
        tap("MQTT.EVSE.*.result.#") as seen,
        connected(holder.ws_url(STATION), STATION) as station,
    ):
        await station.send("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
        for i, request_id in enumerate(request_ids):
            payload = {"key": "HeartbeatInterval", "value": str(10 + i)}
            await send_command(STATION, "changeconfiguration", payload, request_id)
        for request_id in request_ids:
            results = await seen.wait_for(
                result_key(STATION, "changeconfiguration", request_id), timeout=20
            )
            assert results == [[3, request_id, {"status": "Accepted"}]]

        def values() -> list[str]:
            return [c.payload["value"] for c in station.calls("ChangeConfiguration")]

        got = await wait_for_value(values, lambda v: len(v) >= 12, what="12 commands")
    assert got == [str(10 + i) for i in range(12)]  # in the order they were published
