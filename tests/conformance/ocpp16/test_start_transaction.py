"""StartTransaction: a transactionId (the same one for the same start sent again) and the
idTag's status; the request is relayed as received."""

from __future__ import annotations

import asyncpg
import pytest

from tests.support.evse import EvseWrapperProcess, station_key
from tests.support.ocpp16_schemas import FULL
from tests.support.ocpp_checks import relay_queue, run_admin, schema_errors
from tests.support.ocpp_station import connected

pytestmark = pytest.mark.integration


async def test_start_gets_a_transaction_id_and_the_same_start_again_gets_the_same_id(
    evse_wrapper: EvseWrapperProcess, fresh_db: asyncpg.Connection
) -> None:
    await run_admin(evse_wrapper, "idtag", "add", "04A1B2C3D4")
    start = FULL["StartTransaction"][1]
    async with (
        relay_queue(station_key("CP-ST", "starttransaction")) as relayed,
        connected(evse_wrapper.ws_url("CP-ST"), "CP-ST") as station,
    ):
        first = await station.send("StartTransaction", start, unique_id="st-1")
        assert first[:2] == [3, "st-1"]
        assert schema_errors("StartTransactionResponse", first[2]) == []
        assert first[2]["idTagInfo"] == {"status": "Accepted"}
        transaction_id = first[2]["transactionId"]
        assert isinstance(transaction_id, int)

        # the answer was lost, the station sends the same StartTransaction.req again
        again = await station.send("StartTransaction", start, unique_id="st-2")
        assert again == [3, "st-2", first[2]]

        # the same instant written differently is the same start
        same_instant = {**start, "timestamp": "2026-05-01T12:00:00+02:00"}
        assert (await station.ok("StartTransaction", same_instant))["transactionId"] == (
            transaction_id
        )

        other = {**start, "connectorId": 2, "reservationId": 8}
        second = await station.ok("StartTransaction", other)
        assert second["transactionId"] != transaction_id

        assert await relayed.now() == [start, start, same_instant, other]

    rows = await fresh_db.fetch(
        "SELECT transaction_id, connector_id, id_tag, meter_start, reservation_id "
        "FROM evse_wrapper.txn WHERE station_id = $1 ORDER BY transaction_id",
        "CP-ST",
    )
    assert [tuple(r) for r in rows] == [
        (transaction_id, 1, "04A1B2C3D4", 125000, 7),
        (second["transactionId"], 2, "04A1B2C3D4", 125000, 8),
    ]


async def test_start_with_an_unknown_idtag_still_gets_a_transaction_id(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    start = {
        "connectorId": 1,
        "idTag": "UNKNOWN",
        "meterStart": 0,
        "timestamp": "2026-05-01T10:00:00.000Z",
    }
    async with connected(evse_wrapper.ws_url("CP-ST2"), "CP-ST2") as station:
        answer = await station.ok("StartTransaction", start)
        assert schema_errors("StartTransactionResponse", answer) == []
        assert isinstance(answer["transactionId"], int)
        assert answer["idTagInfo"] == {"status": "Invalid"}
