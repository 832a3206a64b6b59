"""BootNotification: Accepted with the heartbeat interval, relayed as received, recorded; the
wrapper then reads the station's configuration (GetConfiguration)."""

from __future__ import annotations

import asyncpg
import pytest

from tests.conformance.ocpp16.conftest import WrapperFactory
from tests.support.evse import EvseWrapperProcess, station_key
from tests.support.ocpp16_schemas import FULL, is_rfc3339
from tests.support.ocpp_checks import relay_queue, schema_errors
from tests.support.ocpp_station import connected
from tests.support.waiting import wait_for_value

pytestmark = pytest.mark.integration


async def test_full_bootnotification_is_accepted_relayed_as_received_and_recorded(
    evse_wrapper: EvseWrapperProcess, fresh_db: asyncpg.Connection
) -> None:
    request = FULL["BootNotification"][1]
    async with (
        relay_queue(station_key("CP-BOOT", "bootnotification")) as relayed,
        connected(evse_wrapper.ws_url("CP-BOOT"), "CP-BOOT") as station,
    ):
        answer = await station.send("BootNotification", request, unique_id="boot-1")

        assert answer[:2] == [3, "boot-1"]
        assert schema_errors("BootNotificationResponse", answer[2]) == []
        assert answer[2]["status"] == "Accepted"
        assert answer[2]["interval"] == 300
        assert is_rfc3339(answer[2]["currentTime"])
        assert answer[2]["currentTime"].endswith("Z")
        assert await relayed.now() == [request]

        row = await fresh_db.fetchrow(
            "SELECT vendor, model, serial_number, firmware_version, booted_at "
            "FROM evse_wrapper.station WHERE id = $1",
            "CP-BOOT",
        )
        assert row is not None
        assert (row["vendor"], row["model"], row["serial_number"], row["firmware_version"]) == (
            "Emotion",
            "Spotlink EVO",
            "SN-0001",
            "1.2.3",
        )
        assert row["booted_at"] is not None


async def test_after_boot_the_wrapper_reads_the_configuration_of_the_station(
    evse_wrapper: EvseWrapperProcess, fresh_db: asyncpg.Connection
) -> None:
    async with connected(evse_wrapper.ws_url("CP-PROBE"), "CP-PROBE") as station:
        probes_before = len(await station.wait_for_call("GetConfiguration"))
        await station.boot()
        probes = await station.wait_for_call("GetConfiguration", count=probes_before + 1)
        assert all(p.payload == {} for p in probes)

        async def profiles() -> object:
            return await fresh_db.fetchval(
                "SELECT feature_profiles FROM evse_wrapper.station WHERE id = $1", "CP-PROBE"
            )

        def known(value: object) -> bool:
            return value is not None

        stored = await wait_for_value(profiles, known, what="profiles")
        assert stored == [
            "Core",
            "FirmwareManagement",
            "LocalAuthListManagement",
            "Reservation",
            "SmartCharging",
            "RemoteTrigger",
        ]


async def test_the_interval_given_is_the_configured_heartbeat_interval(
    wrapper_factory: WrapperFactory,
) -> None:
    wrapper = wrapper_factory(WISEEVP_HEARTBEAT_INTERVAL_S="60")
    await wrapper.started()
    async with connected(wrapper.ws_url("CP-IV"), "CP-IV") as station:
        answer = await station.boot()
        assert answer["interval"] == 60
