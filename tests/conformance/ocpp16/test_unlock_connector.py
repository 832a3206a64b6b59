"""UnlockConnector (command ``unlockconnector``): sent exactly as published; answer =
result."""

from __future__ import annotations

import pytest

from tests.support.evse import EvseWrapperProcess
from tests.support.ocpp_checks import command_roundtrip, schema_errors

pytestmark = pytest.mark.integration


async def test_unlockconnector_reaches_the_station_and_its_answer_is_the_result(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    outcome = await command_roundtrip(
        evse_wrapper, "CP-UC", "unlockconnector", {"connectorId": 1}, request_id="uc-1"
    )
    assert outcome.call.action == "UnlockConnector"
    assert [h.kwargs for h in outcome.handled] == [{"connector_id": 1}]
    assert outcome.result == [3, "uc-1", {"status": "Unlocked"}]
    assert schema_errors("UnlockConnectorResponse", outcome.result[2]) == []

    failed = await command_roundtrip(
        evse_wrapper,
        "CP-UC",
        "unlockconnector",
        {"connectorId": 2},
        request_id="uc-2",
        answers={"UnlockConnector": {"status": "UnlockFailed"}},
    )
    assert failed.result == [3, "uc-2", {"status": "UnlockFailed"}]
