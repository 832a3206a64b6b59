"""Heartbeat: answered with the central system's current time (RFC 3339, UTC) and relayed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.evse import EvseWrapperProcess, station_key
from tests.support.ocpp16_schemas import is_rfc3339
from tests.support.ocpp_checks import relay_queue, schema_errors
from tests.support.ocpp_station import connected

pytestmark = pytest.mark.integration


async def test_heartbeat_is_answered_with_utc_time_and_relayed_before_the_answer(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    async with (
        relay_queue(station_key("CP-HB", "heartbeat")) as relayed,
        connected(evse_wrapper.ws_url("CP-HB"), "CP-HB") as station,
    ):
        await station.boot()
        answer = await station.send("Heartbeat", {}, unique_id="hb-1")

        assert answer[:2] == [3, "hb-1"]
        assert schema_errors("HeartbeatResponse", answer[2]) == []
        current_time = answer[2]["currentTime"]
        assert is_rfc3339(current_time)
        assert current_time.endswith("Z")
        stamped = datetime.fromisoformat(current_time)
        assert stamped.utcoffset() == timedelta(0)
        assert abs(datetime.now(UTC) - stamped) < timedelta(minutes=5)
        assert await relayed.now() == [{}]


async def test_heartbeats_are_answered_one_by_one_and_each_is_relayed(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    async with (
        relay_queue(station_key("CP.HB.2", "heartbeat")) as relayed,
        connected(evse_wrapper.ws_url("CP.HB.2"), "CP.HB.2") as station,
    ):
        for n in range(3):
            answer = await station.send("Heartbeat", {}, unique_id=f"hb-{n}")
            assert answer[:2] == [3, f"hb-{n}"]
        assert await relayed.now() == [{}, {}, {}]
