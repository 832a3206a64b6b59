"""RemoteStartTransaction (command ``remotestarttransaction``): sent exactly as published,
with its charging profile; answer = result."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.evse import EvseWrapperProcess
from tests.support.ocpp_checks import command_roundtrip, schema_errors

pytestmark = pytest.mark.integration


async def test_remotestarttransaction_reaches_the_station_and_its_answer_is_the_result(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    request = {
        "connectorId": 1,
        "idTag": "04A1B2C3",
        "chargingProfile": {
            "chargingProfileId": 7,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.5}],
            },
        },
    }
    outcome = await command_roundtrip(
        evse_wrapper, "CP-RA", "remotestarttransaction", request, request_id="ra-1"
    )
    assert outcome.call.action == "RemoteStartTransaction"
    [handled] = outcome.handled
    assert handled.kwargs["connector_id"] == 1
    assert handled.kwargs["id_tag"] == "04A1B2C3"
    # the ocpp package reads the limits of this action as decimals
    schedule = handled.kwargs["charging_profile"]["charging_schedule"]
    assert schedule["charging_schedule_period"] == [{"start_period": 0, "limit": Decimal("16.5")}]
    assert outcome.result == [3, "ra-1", {"status": "Accepted"}]
    assert schema_errors("RemoteStartTransactionResponse", outcome.result[2]) == []

    rejected = await command_roundtrip(
        evse_wrapper,
        "CP-RA",
        "remotestarttransaction",
        {"idTag": "04A1B2C3"},
        request_id="ra-2",
        answers={"RemoteStartTransaction": {"status": "Rejected"}},
    )
    assert rejected.result == [3, "ra-2", {"status": "Rejected"}]
