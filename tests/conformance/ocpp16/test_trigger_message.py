"""TriggerMessage (command ``triggermessage``): sent exactly as published; answer =
result."""

from __future__ import annotations

import pytest
from ocpp.charge_point import camel_to_snake_case

from tests.support.evse import EvseWrapperProcess
from tests.support.ocpp_checks import command_roundtrip, schema_errors

pytestmark = pytest.mark.integration


async def test_triggermessage_reaches_the_station_and_its_answer_is_the_result(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    request = {"requestedMessage": "MeterValues", "connectorId": 1}
    outcome = await command_roundtrip(
        evse_wrapper, "CP-TM", "triggermessage", request, request_id="tm-1"
    )
    assert outcome.call.action == "TriggerMessage"
    assert [h.kwargs for h in outcome.handled] == [camel_to_snake_case(request)]
    assert outcome.result == [3, "tm-1", {"status": "Accepted"}]
    assert schema_errors("TriggerMessageResponse", outcome.result[2]) == []

    unsupported = await command_roundtrip(
        evse_wrapper,
        "CP-TM",
        "triggermessage",
        {"requestedMessage": "DiagnosticsStatusNotification"},
        request_id="tm-2",
        answers={"TriggerMessage": {"status": "NotImplemented"}},
    )
    assert unsupported.result == [3, "tm-2", {"status": "NotImplemented"}]
