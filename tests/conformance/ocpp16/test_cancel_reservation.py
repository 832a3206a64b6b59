"""CancelReservation (command ``cancelreservation``): sent exactly as published; answer =
result."""

from __future__ import annotations

import pytest

from tests.support.evse import EvseWrapperProcess
from tests.support.ocpp_checks import command_roundtrip, schema_errors

pytestmark = pytest.mark.integration


async def test_cancelreservation_reaches_the_station_and_its_answer_is_the_result(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    outcome = await command_roundtrip(
        evse_wrapper, "CP-CR", "cancelreservation", {"reservationId": 42}, request_id="cr-1"
    )
    assert outcome.call.action == "CancelReservation"
    assert [h.kwargs for h in outcome.handled] == [{"reservation_id": 42}]
    assert outcome.result == [3, "cr-1", {"status": "Accepted"}]
    assert schema_errors("CancelReservationResponse", outcome.result[2]) == []

    rejected = await command_roundtrip(
        evse_wrapper,
        "CP-CR",
        "cancelreservation",
        {"reservationId": 99},
        request_id="cr-2",
        answers={"CancelReservation": {"status": "Rejected"}},
    )
    assert rejected.result == [3, "cr-2", {"status": "Rejected"}]
