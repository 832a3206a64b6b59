"""SetChargingProfile (command ``setchargingprofile``) to a station with SmartCharging: sent
exactly as published — a negative (V2G, discharge) limit included — answer = result.
Stations without SmartCharging, or rejecting the profile: test_smart_charging_fallback.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.evse import EvseWrapperProcess
from tests.support.ocpp_checks import command_roundtrip, schema_errors

pytestmark = pytest.mark.integration


def profile(unit: str, *limits: float) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 100,
            "transactionId": 17,
            "stackLevel": 1,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Absolute",
            "validFrom": "2026-05-01T00:00:00Z",
            "validTo": "2026-05-02T00:00:00Z",
            "chargingSchedule": {
                "duration": 86400,
                "startSchedule": "2026-05-01T10:00:00.000Z",
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": [
                    {"startPeriod": 900 * n, "limit": limit, "numberPhases": 3}
                    for n, limit in enumerate(limits)
                ],
                "minChargingRate": 6.0 if unit == "A" else 4140.0,
            },
        },
    }


@pytest.mark.parametrize(
    "request_payload",
    [
        pytest.param(profile("W", 11000.0, 7400.0, 0.0), id="W"),
        pytest.param(profile("A", 16.0, 10.5), id="A"),
        pytest.param(profile("W", -7400.0, -3680.5, 2300.0), id="V2G-negative-W"),
        pytest.param(profile("A", -16.0), id="V2G-negative-A"),
    ],
)
async def test_setchargingprofile_reaches_the_station_unchanged(
    evse_wrapper: EvseWrapperProcess, request_payload: dict[str, Any]
) -> None:
    outcome = await command_roundtrip(
        evse_wrapper, "CP-SC", "setchargingprofile", request_payload, request_id="sc-1"
    )
    assert outcome.call.action == "SetChargingProfile"
    # command_roundtrip checked the frame's payload is the very JSON text published
    assert outcome.call.payload == request_payload
    assert len(outcome.handled) == 1  # the ocpp package found it schema-valid
    assert outcome.result == [3, "sc-1", {"status": "Accepted"}]
    assert schema_errors("SetChargingProfileResponse", outcome.result[2]) == []
    # no fallback: nothing but the profile and the probes reached the station
    assert [c.action for c in outcome.station.received if c.action != "GetConfiguration"] == [
        "SetChargingProfile"
    ]
