"""Communication status: ``online`` when a station connects, ``offline`` when its socket
closes or when it stays silent too long (closed by the wrapper); published on
``MQTT.EVSE.<id>.connection`` and stored (``evse_wrapper.station.online`` and history)."""

from __future__ import annotations

import asyncio
from contextlib import suppress

import asyncpg
import pytest

from tests.conformance.ocpp16.conftest import WrapperFactory
from tests.support.evse import EvseWrapperProcess, station_key, tap
from tests.support.ocpp16_schemas import is_rfc3339
from tests.support.ocpp_station import RecordingStation, connected

pytestmark = pytest.mark.integration


async def stored_status(db: asyncpg.Connection, station_id: str) -> tuple[bool, str | None]:
    row = await db.fetchrow(
        "SELECT online, offline_reason FROM evse_wrapper.station WHERE id = $1", station_id
    )
    assert row is not None
    return row["online"], row["offline_reason"]


async def test_connect_is_online_and_close_is_offline_published_and_stored(
    evse_wrapper: EvseWrapperProcess, fresh_db: asyncpg.Connection
) -> None:
    key = station_key("CP.ST/1", "connection")
    async with tap() as seen:
        async with connected(evse_wrapper.ws_url("CP.ST/1"), "CP.ST/1") as station:
            [online] = await seen.wait_for(key)
            assert online["status"] == "online"
            assert is_rfc3339(online["since"])
            assert "reason" not in online
            assert await stored_status(fresh_db, "CP.ST/1") == (True, None)
            await station.boot()

        [_, offline] = await seen.wait_for(key, count=2)
        assert offline["status"] == "offline"
        assert offline["reason"] == "socket closed"
        assert is_rfc3339(offline["since"])
        assert is_rfc3339(offline["lastSeen"])
        assert offline["since"] >= online["since"]
        assert await stored_status(fresh_db, "CP.ST/1") == (False, "socket closed")

    history = await fresh_db.fetch(
        "SELECT online, reason FROM evse_wrapper.connection_event WHERE station_id = $1 "
        "ORDER BY ts",
        "CP.ST/1",
    )
    assert [tuple(r) for r in history] == [(True, None), (False, "socket closed")]


async def test_a_new_connection_replaces_the_old_one_and_the_station_stays_online(
    evse_wrapper: EvseWrapperProcess, fresh_db: asyncpg.Connection
) -> None:
    url, key = evse_wrapper.ws_url("CP-TWICE"), station_key("CP-TWICE", "connection")
    async with tap() as seen, connected(url, "CP-TWICE") as first:
        await first.boot()
        async with connected(url, "CP-TWICE") as second:
            await first.websocket.wait_closed()
            assert first.websocket.close_code == 1000
            assert first.websocket.close_reason == "replaced by a new connection"
            assert (await second.boot())["status"] == "Accepted"
            statuses = [m["status"] for m in await seen.wait_for(key, count=2)]
            assert statuses == ["online", "online"]
            assert await stored_status(fresh_db, "CP-TWICE") == (True, None)
        statuses = [m["status"] for m in await seen.wait_for(key, count=3)]
        assert statuses == ["online", "online", "offline"]


async def keep_beating(station: RecordingStation) -> None:
    while True:
        await station.ok("Heartbeat", {})
        await asyncio.sleep(0.25)  # the station's heartbeat interval, not synchronisation


async def test_a_silent_station_is_closed_and_reported_offline(
    wrapper_factory: WrapperFactory, fresh_db: asyncpg.Connection
) -> None:
    wrapper = wrapper_factory(
        WISEEVP_HEARTBEAT_INTERVAL_S="1", WISEEVP_OFFLINE_AFTER_MISSED_HEARTBEATS="2"
    )
    await wrapper.started()
    async with (
        tap() as seen,
        connected(wrapper.ws_url("CP-QUIET"), "CP-QUIET") as quiet,
        connected(wrapper.ws_url("CP-BEAT"), "CP-BEAT") as beating,
    ):
        assert (await quiet.boot())["interval"] == 1
        assert (await beating.boot())["interval"] == 1
        heart = asyncio.create_task(keep_beating(beating))
        try:
            # the quiet one sends nothing more: the wrapper closes it
            await asyncio.wait_for(quiet.websocket.wait_closed(), 15)
            assert quiet.websocket.close_code == 1000
            assert quiet.websocket.close_reason == "heartbeat timeout"
            [_, offline] = await seen.wait_for(station_key("CP-QUIET", "connection"), count=2)
            assert offline["status"] == "offline"
            assert offline["reason"] == "heartbeat timeout"
            assert await stored_status(fresh_db, "CP-QUIET") == (False, "heartbeat timeout")

            # connected as long, but beating: still open and online
            assert not heart.done()
            assert beating.websocket.close_code is None
            assert [m["status"] for m in seen.on(station_key("CP-BEAT", "connection"))] == [
                "online"
            ]
            assert await stored_status(fresh_db, "CP-BEAT") == (True, None)
        finally:
            heart.cancel()
            with suppress(asyncio.CancelledError):
                await heart
