"""ReserveNow (command ``reservenow``): sent to the station exactly as published; its answer is the
result."""

from __future__ import annotations

import pytest
from ocpp.charge_point import camel_to_snake_case

from tests.support.evse import EvseWrapperProcess
from tests.support.ocpp_checks import command_roundtrip, schema_errors

pytestmark = pytest.mark.integration

RESERVE = {
    "connectorId": 1,
    "expiryDate": "2026-05-01T12:00:00.000Z",
    "idTag": "04A1B2C3",
    "parentIdTag": "FLEET",
    "reservationId": 42,
}


async def test_reservenow_reaches_the_station_and_its_answer_is_the_result(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    outcome = await command_roundtrip(
        evse_wrapper, "CP-RN", "reservenow", RESERVE, request_id="rn-1"
    )
    assert outcome.call.action == "ReserveNow"
    assert [h.kwargs for h in outcome.handled] == [camel_to_snake_case(RESERVE)]
    assert outcome.result == [3, "rn-1", {"status": "Accepted"}]
    assert schema_errors("ReserveNowResponse", outcome.result[2]) == []

    occupied = await command_roundtrip(
        evse_wrapper,
        "CP-RN",
        "reservenow",
        {**RESERVE, "reservationId": 43},
        request_id="rn-2",
        answers={"ReserveNow": {"status": "Occupied"}},
    )
    assert occupied.result == [3, "rn-2", {"status": "Occupied"}]
