"""SetChargingProfile to a station that lacks SmartCharging or rejects the profile: the
wrapper caps the current through the station's max-current key (ChangeConfiguration) and the
result is a CALLERROR saying the profile was not applied, with what the fallback did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ocpp.exceptions import NotImplementedError as OcppNotImplemented

from tests.support.evse import EvseWrapperProcess
from tests.support.ocpp_checks import command_roundtrip
from tests.support.ocpp_station import configuration

pytestmark = pytest.mark.integration

CORE_ONLY = configuration("Core,RemoteTrigger")
DESCRIPTION = "Charging profile not applied by the station"


def profile(unit: str, periods: list[tuple[int, float, int | None]]) -> dict[str, Any]:
    """A TxDefaultProfile started an hour ago: the period in force is the last one whose
    ``startPeriod`` is at most 3600 s."""
    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    return {
        "connectorId": 0,
        "csChargingProfiles": {
            "chargingProfileId": 5,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "startSchedule": start.replace("+00:00", "Z"),
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": [
                    {"startPeriod": s, "limit": limit}
                    | ({"numberPhases": phases} if phases else {})
                    for s, limit, phases in periods
                ],
            },
        },
    }


def applied(key: str, value: str) -> dict[str, Any]:
    return {
        "applied": True,
        "key": key,
        "value": value,
        "unit": "A",
        "tried": [{"key": key, "status": "Accepted"}],
    }


def actions(calls: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(c.action, c.payload) for c in calls if c.action != "GetConfiguration"]


@pytest.mark.parametrize(
    ("request_payload", "amperes"),
    [
        # 11 kW on 3 phases at 230 V: 15.9 A, rounded down (never above the limit)
        pytest.param(profile("W", [(0, 22000.0, None), (1800, 11000.0, None)]), "15", id="W"),
        pytest.param(profile("W", [(0, 3680.0, 1), (7200, 22000.0, None)]), "16", id="W-1-phase"),
        pytest.param(profile("A", [(0, 32.0, None), (3000, 10.5, None)]), "10", id="A"),
    ],
)
async def test_station_without_smartcharging_gets_its_max_current_set_instead(
    evse_wrapper: EvseWrapperProcess, request_payload: dict[str, Any], amperes: str
) -> None:
    outcome = await command_roundtrip(
        evse_wrapper,
        "CP-CORE",
        "setchargingprofile",
        request_payload,
        request_id="fb-1",
        keys=CORE_ONLY,
        expect_call=False,
    )
    assert actions(outcome.station.received) == [
        ("ChangeConfiguration", {"key": "MaxChargingCurrent", "value": amperes})
    ]
    assert outcome.result == [
        4,
        "fb-1",
        "NotSupported",
        DESCRIPTION,
        {"reason": "not-supported-by-station", "fallback": applied("MaxChargingCurrent", amperes)},
    ]
    values = {k["key"]: k["value"] for k in outcome.station.keys}
    assert values["MaxChargingCurrent"] == amperes


async def test_a_rejected_profile_is_replaced_by_the_max_current(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    request = profile("A", [(0, 16.0, None)])
    outcome = await command_roundtrip(
        evse_wrapper,
        "CP-REJ",
        "setchargingprofile",
        request,
        request_id="fb-2",
        answers={"SetChargingProfile": {"status": "Rejected"}},
    )
    assert outcome.call.payload == request
    assert actions(outcome.station.received) == [
        ("SetChargingProfile", request),
        ("ChangeConfiguration", {"key": "MaxChargingCurrent", "value": "16"}),
    ]
    assert outcome.result == [
        4,
        "fb-2",
        "GenericError",
        DESCRIPTION,
        {
            "reason": "profile-not-applied",
            "fallback": applied("MaxChargingCurrent", "16"),
            "stationAnswer": {"status": "Rejected"},
        },
    ]


async def test_a_profile_refused_with_notimplemented_is_replaced_by_the_max_current(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    request = profile("A", [(0, 20.0, None)])
    outcome = await command_roundtrip(
        evse_wrapper,
        "CP-NI",
        "setchargingprofile",
        request,
        request_id="fb-3",
        answers={"SetChargingProfile": OcppNotImplemented()},
        keys=configuration(max_current_key="MaxCurrent"),
    )
    assert actions(outcome.station.received) == [
        ("SetChargingProfile", request),
        ("ChangeConfiguration", {"key": "MaxCurrent", "value": "20"}),
    ]
    assert outcome.result[:4] == [4, "fb-3", "NotImplemented", DESCRIPTION]
    assert outcome.result[4] == {
        "reason": "profile-not-applied",
        "fallback": applied("MaxCurrent", "20"),
        "stationAnswer": {"errorCode": "NotImplemented"},
    }


async def test_a_negative_v2g_limit_cannot_fall_back_to_a_max_current(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    outcome = await command_roundtrip(
        evse_wrapper,
        "CP-V2G",
        "setchargingprofile",
        profile("W", [(0, -7400.0, None)]),
        request_id="fb-4",
        keys=CORE_ONLY,
        expect_call=False,
    )
    assert actions(outcome.station.received) == []  # neither the profile nor a key change
    assert outcome.result == [
        4,
        "fb-4",
        "NotSupported",
        DESCRIPTION,
        {
            "reason": "not-supported-by-station",
            "fallback": {
                "applied": False,
                "cause": "a V2G (negative) limit cannot be set as a max current",
            },
        },
    ]


async def test_without_a_writable_max_current_key_nothing_is_applied(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    read_only = {"key": "MaxChargingCurrent", "readonly": True, "value": "32"}
    keys = [*configuration("Core", max_current_key=None), read_only]
    outcome = await command_roundtrip(
        evse_wrapper,
        "CP-RO",
        "setchargingprofile",
        profile("A", [(0, 16.0, None)]),
        request_id="fb-5",
        keys=keys,
        expect_call=False,
    )
    assert actions(outcome.station.received) == []
    assert outcome.result[4] == {
        "reason": "not-supported-by-station",
        "fallback": {"applied": False, "cause": "no writable max-current key", "tried": []},
    }


async def test_a_station_refusing_the_key_change_is_reported(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    outcome = await command_roundtrip(
        evse_wrapper,
        "CP-KR",
        "setchargingprofile",
        profile("A", [(0, 16.0, None)]),
        request_id="fb-6",
        keys=CORE_ONLY,
        answers={"ChangeConfiguration": {"status": "Rejected"}},
        expect_call=False,
    )
    assert actions(outcome.station.received) == [
        ("ChangeConfiguration", {"key": "MaxChargingCurrent", "value": "16"})
    ]
    assert outcome.result[4] == {
        "reason": "not-supported-by-station",
        "fallback": {
            "applied": False,
            "cause": "no writable max-current key",
            "tried": [{"key": "MaxChargingCurrent", "status": "Rejected"}],
        },
    }
