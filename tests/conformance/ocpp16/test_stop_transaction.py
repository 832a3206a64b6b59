"""StopTransaction: answered (with the idTag's status when one is given), recorded, and
relayed exactly as received."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from tests.support.evse import EvseWrapperProcess, station_key
from tests.support.ocpp16_schemas import FULL
from tests.support.ocpp_checks import relay_queue, run_admin, schema_errors
from tests.support.ocpp_station import connected

pytestmark = pytest.mark.integration


async def test_stop_is_answered_recorded_and_relayed(
    evse_wrapper: EvseWrapperProcess, fresh_db: asyncpg.Connection
) -> None:
    await run_admin(evse_wrapper, "idtag", "add", "04A1B2C3D4")
    async with (
        relay_queue(station_key("CP-SP", "stoptransaction")) as relayed,
        connected(evse_wrapper.ws_url("CP-SP"), "CP-SP") as station,
    ):
        started = await station.ok("StartTransaction", FULL["StartTransaction"][1])
        stop = {**FULL["StopTransaction"][1], "transactionId": started["transactionId"]}
        answer = await station.send("StopTransaction", stop, unique_id="sp-1")
        assert answer == [3, "sp-1", {"idTagInfo": {"status": "Accepted"}}]
        assert schema_errors("StopTransactionResponse", answer[2]) == []
        assert await relayed.now() == [stop]

    row = await fresh_db.fetchrow(
        "SELECT stopped_at, meter_stop FROM evse_wrapper.txn WHERE transaction_id = $1",
        started["transactionId"],
    )
    assert row is not None
    assert tuple(row) == (datetime(2026, 5, 1, 11, tzinfo=UTC), 140000)


async def test_stop_without_idtag_is_answered_with_an_empty_payload(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    async with (
        relay_queue(station_key("CP-SP2", "stoptransaction")) as relayed,
        connected(evse_wrapper.ws_url("CP-SP2"), "CP-SP2") as station,
    ):
        started = await station.ok(
            "StartTransaction",
            {"connectorId": 1, "idTag": "X", "meterStart": 10, "timestamp": "2026-05-01T10:00:00Z"},
        )
        stop = {
            "transactionId": started["transactionId"],
            "meterStop": 2010,
            "timestamp": "2026-05-01T10:30:00Z",
            "reason": "Local",
        }
        answer = await station.ok("StopTransaction", stop)
        assert answer == {}
        assert schema_errors("StopTransactionResponse", answer) == []
        assert await relayed.now() == [stop]
