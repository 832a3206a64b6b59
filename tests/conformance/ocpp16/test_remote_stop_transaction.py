"""RemoteStopTransaction (command ``remotestoptransaction``): sent exactly as published;
answer = result."""

from __future__ import annotations

import pytest

from tests.support.evse import EvseWrapperProcess
from tests.support.ocpp_checks import command_roundtrip, schema_errors

pytestmark = pytest.mark.integration


async def test_remotestoptransaction_reaches_the_station_and_its_answer_is_the_result(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    outcome = await command_roundtrip(
        evse_wrapper, "CP-RT", "remotestoptransaction", {"transactionId": 17}, request_id="rt-1"
    )
    assert outcome.call.action == "RemoteStopTransaction"
    assert [h.kwargs for h in outcome.handled] == [{"transaction_id": 17}]
    assert outcome.result == [3, "rt-1", {"status": "Accepted"}]
    assert schema_errors("RemoteStopTransactionResponse", outcome.result[2]) == []

    rejected = await command_roundtrip(
        evse_wrapper,
        "CP-RT",
        "remotestoptransaction",
        {"transactionId": 18},
        request_id="rt-2",
        answers={"RemoteStopTransaction": {"status": "Rejected"}},
    )
    assert rejected.result == [3, "rt-2", {"status": "Rejected"}]
