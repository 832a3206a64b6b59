"""GetConfiguration (command ``getconfiguration``): sent exactly as published; the station's
keys (and unknown keys) are the result. The wrapper's own GetConfiguration probes are not
commands and publish no result; a station that does not answer them still gets its
commands."""

from __future__ import annotations

import asyncpg
import pytest
from ocpp.exceptions import NotImplementedError as OcppNotImplemented

from tests.conformance.ocpp16.conftest import WrapperFactory
from tests.support.evse import EvseWrapperProcess
from tests.support.ocpp_checks import command_roundtrip, schema_errors
from tests.support.ocpp_station import NO_ANSWER, configuration

pytestmark = pytest.mark.integration


async def test_getconfiguration_of_some_keys(evse_wrapper: EvseWrapperProcess) -> None:
    request = {"key": ["HeartbeatInterval", "NoSuchKey", "SupportedFeatureProfiles"]}
    outcome = await command_roundtrip(
        evse_wrapper, "CP-GC", "getconfiguration", request, request_id="gc-1"
    )
    assert outcome.call.action == "GetConfiguration"
    assert [h.kwargs for h in outcome.handled] == [request]
    keys = {k["key"]: k for k in configuration()}
    assert outcome.result == [
        3,
        "gc-1",
        {
            "configurationKey": [keys["HeartbeatInterval"], keys["SupportedFeatureProfiles"]],
            "unknownKey": ["NoSuchKey"],
        },
    ]
    assert schema_errors("GetConfigurationResponse", outcome.result[2]) == []


async def test_getconfiguration_of_every_key(evse_wrapper: EvseWrapperProcess) -> None:
    outcome = await command_roundtrip(
        evse_wrapper, "CP-GC2", "getconfiguration", {}, request_id="gc-2"
    )
    assert [h.kwargs for h in outcome.handled] == [{}]
    assert outcome.result == [3, "gc-2", {"configurationKey": configuration()}]
    # the probes the wrapper sent on its own are there too, but published nothing
    assert len(outcome.station.calls("GetConfiguration")) >= 2


async def test_a_station_that_never_answers_the_probe_still_gets_its_commands(
    wrapper_factory: WrapperFactory, fresh_db: asyncpg.Connection
) -> None:
    wrapper = wrapper_factory(WISEEVP_CALL_TIMEOUT_S="1")
    await wrapper.started()
    request = {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
            },
        },
    }
    outcome = await command_roundtrip(
        wrapper,
        "CP-MUTE",
        "setchargingprofile",
        request,
        request_id="p-1",
        answers={"GetConfiguration": NO_ANSWER},
    )
    # its profiles unknown, the profile is sent as such (no fallback)
    assert outcome.result == [3, "p-1", {"status": "Accepted"}]
    assert [c.action for c in outcome.station.received if c.action != "GetConfiguration"] == [
        "SetChargingProfile"
    ]
    assert (
        await fresh_db.fetchval(
            "SELECT feature_profiles FROM evse_wrapper.station WHERE id = $1", "CP-MUTE"
        )
        is None
    )


async def test_a_station_refusing_the_probe_still_gets_its_commands(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    outcome = await command_roundtrip(
        evse_wrapper,
        "CP-NOCONF",
        "reset",
        {"type": "Soft"},
        request_id="p-2",
        answers={"GetConfiguration": OcppNotImplemented()},
    )
    assert outcome.result == [3, "p-2", {"status": "Accepted"}]
