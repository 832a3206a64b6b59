"""ChangeAvailability (command ``changeavailability``): sent exactly as published; answer
= result."""

from __future__ import annotations

import pytest
from ocpp.charge_point import camel_to_snake_case

from tests.support.evse import EvseWrapperProcess
from tests.support.ocpp_checks import command_roundtrip, schema_errors

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("request_payload", "answer"),
    [
        ({"connectorId": 0, "type": "Inoperative"}, {"status": "Scheduled"}),
        ({"connectorId": 2, "type": "Operative"}, {"status": "Accepted"}),
    ],
)
async def test_changeavailability_reaches_the_station_and_its_answer_is_the_result(
    evse_wrapper: EvseWrapperProcess, request_payload: dict[str, object], answer: dict[str, str]
) -> None:
    outcome = await command_roundtrip(
        evse_wrapper,
        "CP-CA",
        "changeavailability",
        request_payload,
        request_id="ca-1",
        answers={"ChangeAvailability": answer},
    )
    assert outcome.call.action == "ChangeAvailability"
    assert [h.kwargs for h in outcome.handled] == [camel_to_snake_case(request_payload)]
    assert outcome.result == [3, "ca-1", answer]
    assert schema_errors("ChangeAvailabilityResponse", outcome.result[2]) == []
