"""MeterValues: answered (empty payload) and relayed exactly as received."""

from __future__ import annotations

import pytest

from tests.support.evse import EvseWrapperProcess, station_key
from tests.support.ocpp16_schemas import FULL
from tests.support.ocpp_checks import relay_queue, schema_errors
from tests.support.ocpp_station import connected

pytestmark = pytest.mark.integration


async def test_metervalues_are_answered_and_relayed_as_received(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    full = FULL["MeterValues"][1]
    several = {
        "connectorId": 2,
        "meterValue": [
            {
                "timestamp": "2026-05-01T10:00:00.000Z",
                "sampledValue": [
                    {"value": "7360", "measurand": "Power.Active.Import", "unit": "W"},
                    {"value": "16.02", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
                    {"value": "54", "measurand": "SoC", "unit": "Percent", "location": "EV"},
                ],
            },
            {"timestamp": "2026-05-01T10:00:10+01:00", "sampledValue": [{"value": "1250"}]},
        ],
    }
    async with (
        relay_queue(station_key("CP-MV", "metervalues")) as relayed,
        connected(evse_wrapper.ws_url("CP-MV"), "CP-MV") as station,
    ):
        for n, request in enumerate((full, several)):
            answer = await station.send("MeterValues", request, unique_id=f"mv-{n}")
            assert answer == [3, f"mv-{n}", {}]
            assert schema_errors("MeterValuesResponse", answer[2]) == []
        assert await relayed.now() == [full, several]
