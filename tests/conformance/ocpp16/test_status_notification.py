"""StatusNotification: answered (empty payload) and relayed exactly as received."""

from __future__ import annotations

import pytest

from tests.support.evse import EvseWrapperProcess, station_key
from tests.support.ocpp16_schemas import FULL
from tests.support.ocpp_checks import relay_queue, schema_errors
from tests.support.ocpp_station import connected

pytestmark = pytest.mark.integration


async def test_statusnotification_is_answered_and_relayed_as_received(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    full = FULL["StatusNotification"][1]  # timestamp with a +02:00 offset, kept as sent
    minimal = {"connectorId": 0, "errorCode": "NoError", "status": "Available"}
    faulted = {
        "connectorId": 1,
        "errorCode": "GroundFailure",
        "status": "Faulted",
        "timestamp": "2026-05-01T10:00:00Z",
    }
    async with (
        relay_queue(station_key("CP-SN", "status")) as relayed,
        connected(evse_wrapper.ws_url("CP-SN"), "CP-SN") as station,
    ):
        for n, request in enumerate((full, minimal, faulted)):
            answer = await station.send("StatusNotification", request, unique_id=f"sn-{n}")
            assert answer == [3, f"sn-{n}", {}]
            assert schema_errors("StatusNotificationResponse", answer[2]) == []
        assert await relayed.now() == [full, minimal, faulted]
