"""DiagnosticsStatusNotification: answered (empty payload) and relayed as received."""

from __future__ import annotations

import pytest

from tests.support.evse import EvseWrapperProcess, station_key
from tests.support.ocpp_checks import relay_queue, schema_errors
from tests.support.ocpp_station import connected

pytestmark = pytest.mark.integration


async def test_diagnostics_status_notifications_are_answered_and_relayed(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    statuses = ["Uploading", "Uploaded", "UploadFailed", "Idle"]
    async with (
        relay_queue(station_key("CP-DG", "diagnosticsstatusnotification")) as relayed,
        connected(evse_wrapper.ws_url("CP-DG"), "CP-DG") as station,
    ):
        for status in statuses:
            answer = await station.send("DiagnosticsStatusNotification", {"status": status})
            assert answer[0] == 3
            assert answer[2] == {}
            assert schema_errors("DiagnosticsStatusNotificationResponse", answer[2]) == []
        assert await relayed.now() == [{"status": s} for s in statuses]
