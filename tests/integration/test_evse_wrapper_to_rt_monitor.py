"""A real OCPP station → the EVSE wrapper → RabbitMQ → the RT monitor → PostgreSQL → its API:
transactions and meter values of each EVSE are stored (EVP_040), with the transaction id the
wrapper assigned."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from tests.support.evse import EvseWrapperProcess
from tests.support.evse_clients import Api
from tests.support.processes import ServiceProcess
from tests.support.waiting import wait_for_value

pytestmark = [pytest.mark.integration]

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def iso(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


class Station(ChargePoint):  # type: ignore[misc]
    @on(Action.get_configuration)  # type: ignore[untyped-decorator]
    def get_configuration(self, **_: object) -> call_result.GetConfiguration:
        return call_result.GetConfiguration(configuration_key=[])


async def test_transactions_and_meter_values_reach_the_history_api(
    monitor: ServiceProcess, evse_wrapper: EvseWrapperProcess
) -> None:
    evse_id = "GHENT.EVLINK.07"
    async with websockets.connect(
        evse_wrapper.ws_url(evse_id),
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
    ) as ws:
        cp = Station(evse_id, ws)
        reader = asyncio.create_task(cp.start())
        try:
            await cp.call(
                call.BootNotification(charge_point_model="EVLink", charge_point_vendor="Schneider")
            )
            start = await cp.call(
                call.StartTransaction(
                    connector_id=1, id_tag="04A1B2C3", meter_start=1000, timestamp=iso(0)
                )
            )
            tx_id = start.transaction_id
            for minute in range(1, 6):
                await cp.call(
                    call.MeterValues(
                        connector_id=1,
                        transaction_id=tx_id,
                        meter_value=[
                            {
                                "timestamp": iso(minute),
                                "sampledValue": [{"value": str(1000 + 200 * minute), "unit": "Wh"}],
                            }
                        ],
                    )
                )
            await cp.call(
                call.StopTransaction(
                    meter_stop=2400, timestamp=iso(7), transaction_id=tx_id, reason="EVDisconnected"
                )
            )
        finally:
            reader.cancel()

    api = Api(monitor, evse_id)
    txs = await wait_for_value(
        lambda: api.get("/transactions"),
        lambda r: r[0] == 200 and r[1]["items"] and r[1]["items"][0]["state"] == "closed",
        what="the closed transaction",
    )
    (tx,) = txs[1]["items"]
    assert tx["transactionId"] == tx_id
    assert tx["energyWh"] == 1400
    values = await api.ok("/metervalues", limit=50)
    energies = sorted(int(float(v["value"])) for v in values["items"])
    assert energies == [1200, 1400, 1600, 1800, 2000]
    evse = await api.ok()
    assert evse["bootNotification"] == {
        "chargePointModel": "EVLink",
        "chargePointVendor": "Schneider",
    }
