"""Reset (command ``reset``): sent exactly as published; answer = result."""

from __future__ import annotations

import pytest

from tests.support.evse import EvseWrapperProcess
from tests.support.ocpp_checks import command_roundtrip, schema_errors

pytestmark = pytest.mark.integration


async def test_reset_reaches_the_station_and_its_answer_is_the_result(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    outcome = await command_roundtrip(
        evse_wrapper, "CP-RS", "reset", {"type": "Hard"}, request_id="rs-1"
    )
    assert outcome.call.action == "Reset"
    assert [h.kwargs for h in outcome.handled] == [{"type": "Hard"}]
    assert outcome.result == [3, "rs-1", {"status": "Accepted"}]
    assert schema_errors("ResetResponse", outcome.result[2]) == []

    soft = await command_roundtrip(
        evse_wrapper,
        "CP-RS",
        "reset",
        {"type": "Soft"},
        request_id="rs-2",
        answers={"Reset": {"status": "Rejected"}},
    )
    assert soft.result == [3, "rs-2", {"status": "Rejected"}]
