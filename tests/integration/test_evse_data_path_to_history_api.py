"""OCPP 1.6 on the IOP EVSE topics → MQTT → RabbitMQ → RT monitor → PostgreSQL → history API,
with a real ``rt_monitor`` process and real MQTT publishers: what is stored and served."""

from __future__ import annotations

from typing import Any

import aiomqtt
import pytest

from tests.support.evse_clients import Api, Publisher, iso, sample
from tests.support.http_json import get_json
from tests.support.processes import ServiceProcess
from tests.support.waiting import wait_for_value
from wiseevp_common.topology import IopTopic

pytestmark = [pytest.mark.integration]


async def test_a_charging_session_flows_to_the_history_api(
    monitor: ServiceProcess, mqtt: aiomqtt.Client, org: str
) -> None:
    evse_id = f"{org}.CP.01"  # OCPP charge point ids may contain dots
    cp = Publisher(mqtt, evse_id)
    api = Api(monitor, evse_id)
    await cp.send(
        IopTopic.EVSE_BOOTNOTIFICATION,
        {
            "chargePointVendor": "Emotion",
            "chargePointModel": "Spotlink EVO",
            "chargePointSerialNumber": "SN-1",
            "firmwareVersion": "4.2",
        },
    )
    await cp.send(
        IopTopic.EVSE_STATUS, {"connectorId": 0, "errorCode": "NoError", "status": "Available"}
    )
    await cp.send(
        IopTopic.EVSE_STATUS,
        {"connectorId": 1, "errorCode": "NoError", "status": "Preparing", "timestamp": iso(-1)},
    )
    await cp.send(
        IopTopic.EVSE_STARTTRANSACTION,
        {"connectorId": 1, "idTag": "04A1B2C3", "meterStart": 1000, "timestamp": iso(0)},
    )
    await cp.send(
        IopTopic.EVSE_STATUS,
        {"connectorId": 1, "errorCode": "NoError", "status": "Charging", "timestamp": iso(0)},
    )
    for minute, energy in ((1, "1200"), (2, "1400")):
        await cp.send(
            IopTopic.EVSE_METERVALUES,
            {
                "connectorId": 1,
                "transactionId": 42,
                "meterValue": [
                    {
                        "timestamp": iso(minute),
                        "sampledValue": [
                            sample(energy),
                            sample("3.6", measurand="Power.Active.Import", unit="kW", phase="L1"),
                            sample("3.7", measurand="Power.Active.Import", unit="kW", phase="L2"),
                        ],
                    }
                ],
            },
        )

    # the open transaction got its id from the meter values (its start has none)
    body = await wait_for_value(
        api.get,
        lambda r: (
            r[0] == 200
            and r[1]["openTransactions"]
            and "transactionId" in r[1]["openTransactions"][0]
        ),
        what="the open transaction with its id",
    )
    (open_tx,) = body[1]["openTransactions"]
    assert open_tx == {
        "transactionId": 42,
        "connectorId": 1,
        "idTag": "04A1B2C3",
        "state": "open",
        "start": {
            "timestamp": iso(0),
            "meterStart": 1000,
            "receivedAt": open_tx["start"]["receivedAt"],
        },
    }

    await cp.send(
        IopTopic.EVSE_STOPTRANSACTION,
        {
            "transactionId": 42,
            "meterStop": 5000,
            "timestamp": iso(60),
            "reason": "EVDisconnected",
            "transactionData": [
                {
                    "timestamp": iso(60),
                    "sampledValue": [sample("5000", context="Transaction.End")],
                }
            ],
        },
    )
    await cp.send(
        IopTopic.EVSE_STATUS,
        {"connectorId": 1, "errorCode": "NoError", "status": "Finishing", "timestamp": iso(60)},
    )

    txs = await wait_for_value(
        lambda: api.get("/transactions"),
        lambda r: r[0] == 200 and r[1]["items"] and r[1]["items"][0]["state"] == "closed",
        what="the closed transaction",
    )
    (tx,) = txs[1]["items"]
    assert tx["transactionId"] == 42
    assert tx["energyWh"] == 4000
    assert tx["stop"]["reason"] == "EVDisconnected"
    assert tx["stop"]["meterStop"] == 5000
    assert txs[1]["unmatchedStops"] == []

    # the registry and the latest status of each connector
    evse = await wait_for_value(
        api.get,
        lambda r: any(c["status"] == "Finishing" for c in r[1]["connectors"]),
        what="connector 1 finishing",
    )
    evse = evse[1]
    assert evse["id"] == evse_id
    assert evse["bootNotification"] == {
        "chargePointVendor": "Emotion",
        "chargePointModel": "Spotlink EVO",
        "chargePointSerialNumber": "SN-1",
        "firmwareVersion": "4.2",
    }
    assert evse["openTransactions"] == []
    connectors = {c["connectorId"]: c for c in evse["connectors"]}
    assert connectors[0]["status"] == "Available"
    assert connectors[0]["timestampReported"] is False  # no timestamp: time of receipt
    assert connectors[1]["timestamp"] == iso(60)
    status, listing = await get_json(api.base)
    assert status == 200
    assert evse_id in {item["id"] for item in listing["items"]}

    # status history, newest first
    history = await api.ok("/status")
    assert [(i["connectorId"], i["status"]) for i in history["items"]] == [
        (0, "Available"),  # stamped with its (later) time of receipt
        (1, "Finishing"),
        (1, "Charging"),
        (1, "Preparing"),
    ]
    assert history["next"] is None
    assert [i["status"] for i in (await api.ok("/status", connectorId=0))["items"]] == ["Available"]

    # meter values: one row per sample, OCPP defaults filled in, transactionData included
    everything = await wait_for_value(
        lambda: api.ok("/metervalues"), lambda b: len(b["items"]) == 7, what="7 samples"
    )
    items = everything["items"]
    assert everything["next"] is None
    assert items[0] == {
        "connectorId": 1,  # from the transaction the stop matched
        "transactionId": 42,
        "timestamp": iso(60),
        "measurand": "Energy.Active.Import.Register",
        "location": "Outlet",
        "context": "Transaction.End",
        "format": "Raw",
        "unit": "Wh",
        "value": "5000",
        "receivedAt": items[0]["receivedAt"],
    }
    assert [i["timestamp"] for i in items] == [iso(60)] + [iso(2)] * 3 + [iso(1)] * 3
    power = await api.ok("/metervalues", measurand="Power.Active.Import")
    assert sorted((i["timestamp"], i["phase"], i["value"]) for i in power["items"]) == [
        (iso(1), "L1", "3.6"),
        (iso(1), "L2", "3.7"),
        (iso(2), "L1", "3.6"),
        (iso(2), "L2", "3.7"),
    ]
    window = await api.ok("/metervalues", **{"from": iso(1), "to": iso(2)})
    assert {i["timestamp"] for i in window["items"]} == {iso(1)}

    # paging: pages never split the samples of one timestamp, nothing lost or repeated
    for limit in (1, 2, 4):
        seen: list[dict[str, Any]] = []
        query: dict[str, Any] = {"limit": limit}
        for _ in range(10):
            page = await api.ok("/metervalues", **query)
            seen += page["items"]
            if page["next"] is None:
                break
            query["before"] = page["next"]
        assert seen == items, limit

    # errors: JSON with a message
    bad_queries: list[tuple[str, dict[str, Any], int]] = [
        ("/metervalues", {"measurand": "Power"}, 400),
        ("/metervalues", {"limit": 51}, 400),
        ("/metervalues", {"limit": 0}, 400),
        ("/status", {"from": "yesterday"}, 400),
        ("/status", {"unknown": "1"}, 400),
    ]
    for path, params, expected in bad_queries:
        status, body = await api.get(path, **params)
        assert status == expected, (path, params, body)
        assert isinstance(body["message"], str) and body["message"]
    for path in ("", "/metervalues", "/status", "/transactions"):
        status, body = await Api(monitor, f"{org}.nobody").get(path)
        assert status == 404
        assert "nobody" in body["message"]


async def test_a_stop_received_before_its_start_is_matched_when_the_start_arrives(
    monitor: ServiceProcess, mqtt: aiomqtt.Client, org: str
) -> None:
    evse_id = f"{org}.CP.02"
    cp = Publisher(mqtt, evse_id)
    api = Api(monitor, evse_id)
    await cp.send(
        IopTopic.EVSE_STOPTRANSACTION,
        {"transactionId": 7, "meterStop": 900, "timestamp": iso(30), "idTag": "TAG"},
    )
    body = await wait_for_value(
        lambda: api.get("/transactions"),
        lambda r: r[0] == 200 and len(r[1]["unmatchedStops"]) == 1,
        what="the unmatched stop",
    )
    assert body[1]["items"] == []
    assert body[1]["unmatchedStops"][0]["reason"] == "Local"  # the OCPP default
    await cp.send(
        IopTopic.EVSE_STARTTRANSACTION,
        {"connectorId": 2, "idTag": "TAG", "meterStart": 100, "timestamp": iso(0)},
    )
    body = await wait_for_value(
        lambda: api.get("/transactions"),
        lambda r: r[0] == 200 and not r[1]["unmatchedStops"],
        what="the stop matched to its start",
    )
    (tx,) = body[1]["items"]
    assert (tx["transactionId"], tx["connectorId"], tx["state"], tx["energyWh"]) == (
        7,
        2,
        "closed",
        800,
    )
