"""ClearChargingProfile (command ``clearchargingprofile``): sent exactly as published;
answer = result."""

from __future__ import annotations

import pytest
from ocpp.charge_point import camel_to_snake_case

from tests.support.evse import EvseWrapperProcess
from tests.support.ocpp_checks import command_roundtrip, schema_errors

pytestmark = pytest.mark.integration


async def test_clearchargingprofile_reaches_the_station_and_its_answer_is_the_result(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    request = {"id": 7, "connectorId": 1, "chargingProfilePurpose": "TxProfile", "stackLevel": 0}
    outcome = await command_roundtrip(
        evse_wrapper, "CP-CC", "clearchargingprofile", request, request_id="cc-1"
    )
    assert outcome.call.action == "ClearChargingProfile"
    assert [h.kwargs for h in outcome.handled] == [camel_to_snake_case(request)]
    assert outcome.result == [3, "cc-1", {"status": "Accepted"}]
    assert schema_errors("ClearChargingProfileResponse", outcome.result[2]) == []

    everything = await command_roundtrip(
        evse_wrapper,
        "CP-CC",
        "clearchargingprofile",
        {},
        request_id="cc-2",
        answers={"ClearChargingProfile": {"status": "Unknown"}},
    )
    assert everything.result == [3, "cc-2", {"status": "Unknown"}]
