"""FirmwareStatusNotification: answered (empty payload) and relayed as received."""

from __future__ import annotations

import pytest

from tests.support.evse import EvseWrapperProcess, station_key
from tests.support.ocpp_checks import relay_queue, schema_errors
from tests.support.ocpp_station import connected

pytestmark = pytest.mark.integration


async def test_firmware_status_notifications_are_answered_and_relayed(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    statuses = ["Downloading", "Downloaded", "Installing", "Installed", "InstallationFailed"]
    async with (
        relay_queue(station_key("CP-FW", "firmwarestatusnotification")) as relayed,
        connected(evse_wrapper.ws_url("CP-FW"), "CP-FW") as station,
    ):
        for status in statuses:
            answer = await station.send("FirmwareStatusNotification", {"status": status})
            assert answer[0] == 3
            assert answer[2] == {}
            assert schema_errors("FirmwareStatusNotificationResponse", answer[2]) == []
        assert await relayed.now() == [{"status": s} for s in statuses]
