"""GetCompositeSchedule (command ``getcompositeschedule``): sent exactly as published; the
station's schedule (negative limits included) is the result."""

from __future__ import annotations

import pytest

from tests.support.evse import EvseWrapperProcess
from tests.support.ocpp_checks import command_roundtrip, schema_errors

pytestmark = pytest.mark.integration


async def test_getcompositeschedule_reaches_the_station_and_its_schedule_is_the_result(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    request = {"connectorId": 1, "duration": 3600, "chargingRateUnit": "W"}
    schedule = {
        "status": "Accepted",
        "connectorId": 1,
        "scheduleStart": "2026-05-01T10:00:00Z",
        "chargingSchedule": {
            "duration": 3600,
            "chargingRateUnit": "W",
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 11000.0, "numberPhases": 3},
                {"startPeriod": 1800, "limit": -3680.0},
            ],
            "minChargingRate": 1380.0,
        },
    }
    outcome = await command_roundtrip(
        evse_wrapper,
        "CP-CS",
        "getcompositeschedule",
        request,
        request_id="cs-1",
        answers={"GetCompositeSchedule": schedule},
    )
    assert outcome.call.action == "GetCompositeSchedule"
    assert [h.kwargs for h in outcome.handled] == [
        {"connector_id": 1, "duration": 3600, "charging_rate_unit": "W"}
    ]
    assert outcome.result == [3, "cs-1", schedule]
    assert schema_errors("GetCompositeScheduleResponse", outcome.result[2]) == []

    rejected = await command_roundtrip(
        evse_wrapper,
        "CP-CS",
        "getcompositeschedule",
        {"connectorId": 9, "duration": 60},
        request_id="cs-2",
    )
    assert rejected.result == [3, "cs-2", {"status": "Rejected"}]
