"""Commands for a registered station that is not connected wait in its durable queue and are
sent, in the order they arrived, when it connects; unless they expire first, or the queue is
full. A command for a station nobody registered is refused at once."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from tests.conformance.ocpp16.conftest import WrapperFactory
from tests.support.evse import (
    EvseWrapperProcess,
    Tap,
    result_key,
    send_command,
    station_key,
    tap,
)
from tests.support.ocpp_checks import run_admin
from tests.support.ocpp_station import connected
from tests.support.waiting import wait_for_value

pytestmark = pytest.mark.integration

COMMANDS: list[tuple[str, str, dict[str, Any]]] = [
    ("q1", "changeconfiguration", {"key": "HeartbeatInterval", "value": "10"}),
    ("q2", "reset", {"type": "Soft"}),
    ("q3", "changeconfiguration", {"key": "HeartbeatInterval", "value": "20"}),
    ("q4", "unlockconnector", {"connectorId": 1}),
    ("q5", "changeconfiguration", {"key": "HeartbeatInterval", "value": "30"}),
    ("q6", "triggermessage", {"requestedMessage": "Heartbeat"}),
    ("q7", "changeavailability", {"connectorId": 0, "type": "Operative"}),
    ("q8", "reset", {"type": "Hard"}),
]


async def queued(db: asyncpg.Connection, station_id: str) -> list[str]:
    rows = await db.fetch(
        "SELECT request_id FROM evse_wrapper.command WHERE station_id = $1 ORDER BY seq",
        station_id,
    )
    return [r["request_id"] for r in rows]


async def wait_queued(db: asyncpg.Connection, station_id: str, request_ids: list[str]) -> None:
    async def probe() -> list[str]:
        return await queued(db, station_id)

    def complete(queue: list[str]) -> bool:
        return queue == request_ids

    await wait_for_value(probe, complete, what=f"queue {request_ids}")


async def register_by_connecting(wrapper: EvseWrapperProcess, station_id: str, seen: Tap) -> None:
    """Auto-registration: connect once, boot, disconnect; wait until it is offline."""
    async with connected(wrapper.ws_url(station_id), station_id) as station:
        await station.boot()
    await seen.wait_for(station_key(station_id, "connection"), count=2)  # online, offline


async def test_commands_for_an_offline_station_are_replayed_in_order_at_its_reconnection(
    evse_wrapper: EvseWrapperProcess, fresh_db: asyncpg.Connection
) -> None:
    url = evse_wrapper.ws_url("CP-OFF")
    async with tap() as seen:
        await register_by_connecting(evse_wrapper, "CP-OFF", seen)

        for request_id, level, payload in COMMANDS:
            await send_command("CP-OFF", level, payload, request_id)
        await wait_queued(fresh_db, "CP-OFF", [c[0] for c in COMMANDS])

        async with connected(url, "CP-OFF") as station:
            for request_id, level, _ in COMMANDS:
                [result] = await seen.wait_for(result_key("CP-OFF", level, request_id))
                assert result[:2] == [3, request_id]
            assert [(c.unique_id, c.payload) for c in station.commands()] == [
                (request_id, payload) for request_id, _, payload in COMMANDS
            ]
            values = {k["key"]: k["value"] for k in station.keys}
            assert values["HeartbeatInterval"] == "30"  # the last change applied last

            # online now: commands still go in the order they arrive
            for request_id, level, payload in COMMANDS:
                await send_command("CP-OFF", level, payload, f"on-{request_id}")
            for request_id, level, _ in COMMANDS:
                await seen.wait_for(result_key("CP-OFF", level, f"on-{request_id}"))
            assert [c.unique_id for c in station.commands()][len(COMMANDS) :] == [
                f"on-{request_id}" for request_id, _, _ in COMMANDS
            ]
    assert await queued(fresh_db, "CP-OFF") == []


async def test_an_undelivered_command_expires_with_a_result(
    wrapper_factory: WrapperFactory,
) -> None:
    wrapper = wrapper_factory(WISEEVP_COMMAND_EXPIRY_S="1", WISEEVP_HEARTBEAT_INTERVAL_S="4")
    await wrapper.started()
    async with tap() as seen:
        await register_by_connecting(wrapper, "CP-EXP", seen)
        await send_command("CP-EXP", "reset", {"type": "Hard"}, "x-1")
        [result] = await seen.wait_for(result_key("CP-EXP", "reset", "x-1"))
        assert result[:4] == [
            4,
            "x-1",
            "GenericError",
            "The station stayed offline until the command expired",
        ]
        assert result[4]["reason"] == "expired-while-offline"
        assert set(result[4]) == {"reason", "receivedAt", "expiresAt"}

        # when the station connects, the expired command is not sent
        async with connected(wrapper.ws_url("CP-EXP"), "CP-EXP") as station:
            await send_command("CP-EXP", "unlockconnector", {"connectorId": 1}, "x-2")
            await seen.wait_for(result_key("CP-EXP", "unlockconnector", "x-2"))
            assert [c.unique_id for c in station.commands()] == ["x-2"]
        assert len(seen.on(result_key("CP-EXP", "reset", "x-1"))) == 1


async def test_a_command_expired_when_its_station_connects_is_reported_not_sent(
    wrapper_factory: WrapperFactory, fresh_db: asyncpg.Connection
) -> None:
    # simulated time, 360x: a command expires 1 s (real) after it arrived; the expiry loop
    # first runs after 60 s (a quarter of the heartbeat interval): the connection finds the
    # first command expired, and the second, sent right after connecting, is delivered
    wrapper = wrapper_factory(
        WISEEVP_CLOCK="simulated",
        WISEEVP_CLOCK_SPEED="360",
        WISEEVP_HEARTBEAT_INTERVAL_S="86400",
        WISEEVP_COMMAND_EXPIRY_S="360",
    )
    await wrapper.started()
    async with tap() as seen:
        await register_by_connecting(wrapper, "CP-EXP2", seen)
        await send_command("CP-EXP2", "reset", {"type": "Hard"}, "y-1")
        await wait_queued(fresh_db, "CP-EXP2", ["y-1"])
        await asyncio.sleep(1.2)  # the simulated clock runs past y-1's expiry
        async with connected(wrapper.ws_url("CP-EXP2"), "CP-EXP2") as station:
            [result] = await seen.wait_for(result_key("CP-EXP2", "reset", "y-1"))
            assert result[:3] == [4, "y-1", "GenericError"]
            assert result[4]["reason"] == "expired-while-offline"
            await send_command("CP-EXP2", "unlockconnector", {"connectorId": 1}, "y-2")
            await seen.wait_for(result_key("CP-EXP2", "unlockconnector", "y-2"))
            assert [c.unique_id for c in station.commands()] == ["y-2"]
    assert len(seen.on(result_key("CP-EXP2", "reset", "y-1"))) == 1


async def test_a_full_offline_queue_refuses_the_next_command(
    wrapper_factory: WrapperFactory, fresh_db: asyncpg.Connection
) -> None:
    wrapper = wrapper_factory(WISEEVP_OFFLINE_QUEUE_MAX="2")
    await run_admin(wrapper, "station", "add", "CP-FULL")  # registered by the operator
    await wrapper.started()
    async with tap() as seen:
        await send_command("CP-FULL", "reset", {"type": "Soft"}, "f-1")
        await send_command("CP-FULL", "unlockconnector", {"connectorId": 1}, "f-2")
        await wait_queued(fresh_db, "CP-FULL", ["f-1", "f-2"])
        await send_command("CP-FULL", "reset", {"type": "Hard"}, "f-3")
        assert await seen.wait_for(result_key("CP-FULL", "reset", "f-3")) == [
            [
                4,
                "f-3",
                "GenericError",
                "2 commands already wait for this station",
                {"reason": "offline-queue-full"},
            ]
        ]
        assert await queued(fresh_db, "CP-FULL") == ["f-1", "f-2"]

        async with connected(wrapper.ws_url("CP-FULL"), "CP-FULL") as station:
            await seen.wait_for(result_key("CP-FULL", "unlockconnector", "f-2"))
            assert seen.on(result_key("CP-FULL", "reset", "f-1")) == [
                [3, "f-1", {"status": "Accepted"}]
            ]
            assert [c.unique_id for c in station.commands()] == ["f-1", "f-2"]


async def test_a_command_for_an_unknown_station_is_refused(
    evse_wrapper: EvseWrapperProcess, fresh_db: asyncpg.Connection
) -> None:
    async with tap() as seen:
        await send_command("CP-NOBODY", "reset", {"type": "Soft"}, "n-1")
        assert await seen.wait_for(result_key("CP-NOBODY", "reset", "n-1")) == [
            [
                4,
                "n-1",
                "GenericError",
                "No charge point 'CP-NOBODY' is registered",
                {"reason": "station-unknown"},
            ]
        ]
        assert await queued(fresh_db, "CP-NOBODY") == []
        # registered later (its first connection): the refused command is not sent
        async with connected(evse_wrapper.ws_url("CP-NOBODY"), "CP-NOBODY") as station:
            await station.boot()  # registered once it is answered
            await send_command("CP-NOBODY", "unlockconnector", {"connectorId": 1}, "n-2")
            await seen.wait_for(result_key("CP-NOBODY", "unlockconnector", "n-2"))
            assert [c.unique_id for c in station.commands()] == ["n-2"]
