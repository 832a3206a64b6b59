"""OCPP 1.6 on the IOP EVSE topics → MQTT → RabbitMQ → RT monitor → PostgreSQL → history API,
with a real ``rt_monitor`` process and real MQTT publishers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import aiomqtt
import asyncpg
import pytest

from tests.support import broker as rabbit
from tests.support.env import (
    MANAGEMENT_URL,
    MQTT_HOST,
    MQTT_PASSWORD,
    MQTT_PORT,
    MQTT_USERNAME,
    POSTGRES_URL,
    VHOST,
)
from tests.support.processes import ServiceProcess
from tests.support.waiting import wait_for_value
from wiseevp_common.topology import DeadLetterHeader, IopTopic, MqttTopic, Queue

pytestmark = [pytest.mark.integration]

T0 = datetime(2026, 5, 1, 10, tzinfo=UTC)


def iso(minutes: float) -> str:
    return (
        (T0 + timedelta(minutes=minutes)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


async def get_json(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        return resp.status, await resp.json()


class Api:
    def __init__(self, monitor: ServiceProcess, evse_id: str) -> None:
        self.base = f"{monitor.url}/api/v1/evses"
        self.evse = f"{self.base}/{quote(evse_id, safe='')}"

    async def get(self, path: str = "", **query: Any) -> tuple[int, Any]:
        url = self.evse + path + (f"?{urlencode(query)}" if query else "")
        return await get_json(url)

    async def ok(self, path: str = "", **query: Any) -> Any:
        status, body = await self.get(path, **query)
        assert status == 200, body
        return body


class Publisher:
    """An MQTT client of the EVSE wrapper's kind: OCPP 1.6 requests, QoS 1."""

    def __init__(self, client: aiomqtt.Client, evse_id: str) -> None:
        self.client = client
        self.evse_id = evse_id

    async def send(self, topic: MqttTopic[Any], payload: dict[str, Any] | bytes) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        await self.client.publish(topic.topic(evse_id=self.evse_id), body, qos=topic.qos)


@pytest.fixture
async def mqtt(org: str) -> AsyncIterator[aiomqtt.Client]:
    async with aiomqtt.Client(
        MQTT_HOST,
        MQTT_PORT,
        username=MQTT_USERNAME,
        password=MQTT_PASSWORD,
        identifier=f"evse-wrapper-test-{org}",
    ) as client:
        yield client


@pytest.fixture
async def monitor(
    fresh_db: asyncpg.Connection, fresh_broker: None
) -> AsyncIterator[ServiceProcess]:
    process = await ServiceProcess("rt_monitor", WISEEVP_HISTORY_MAX_LIMIT="50").started()
    try:
        yield process
    finally:
        await process.stop()


def sample(value: str, **fields: str) -> dict[str, str]:
    return {"value": value, **fields}


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


async def dead_letters(expected: int) -> list[Any]:
    taken: list[Any] = []

    async def probe() -> int:
        taken.extend(await rabbit.drain(Queue.DEAD_LETTER.name))
        return len(taken)

    await wait_for_value(probe, lambda n: n >= expected, what=f"{expected} dead letters")
    return taken


async def test_invalid_ocpp_payloads_are_dead_lettered_with_the_reason(
    monitor: ServiceProcess, mqtt: aiomqtt.Client, org: str
) -> None:
    evse_id = f"{org}.CP.03"
    cp = Publisher(mqtt, evse_id)
    await cp.send(IopTopic.EVSE_STATUS, {"connectorId": 1, "status": "Available"})  # no errorCode
    await cp.send(
        IopTopic.EVSE_METERVALUES,
        {
            "connectorId": "1",
            "meterValue": [{"timestamp": iso(0), "sampledValue": [{"value": "1"}]}],
        },
    )
    await cp.send(IopTopic.EVSE_STARTTRANSACTION, b"not json")
    # schema-valid, but a connector id cannot be negative
    await cp.send(
        IopTopic.EVSE_STATUS, {"connectorId": -1, "errorCode": "NoError", "status": "Available"}
    )
    # and one valid message, which must be stored
    await cp.send(
        IopTopic.EVSE_STATUS, {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    )

    letters = await dead_letters(4)
    assert len(letters) == 4
    by_key: dict[str, list[Any]] = {}
    for letter in letters:
        headers = letter.headers
        assert headers[DeadLetterHeader.REASON.value] == "invalid-payload"
        assert headers[DeadLetterHeader.QUEUE.value] == Queue.RT_MONITOR_EVSE.name
        by_key.setdefault(headers[DeadLetterHeader.ROUTING_KEY.value], []).append(letter)
    assert sorted(by_key) == sorted(
        {
            IopTopic.EVSE_STATUS.routing_key(evse_id=evse_id),
            IopTopic.EVSE_METERVALUES.routing_key(evse_id=evse_id),
            IopTopic.EVSE_STARTTRANSACTION.routing_key(evse_id=evse_id),
        }
    )
    errors = " | ".join(str(m.headers[DeadLetterHeader.ERROR.value]) for m in letters)
    assert "errorCode" in errors
    assert "connectorId" in errors
    assert b"not json" in {m.body for m in letters}

    api = Api(monitor, evse_id)
    body = await wait_for_value(
        lambda: api.get("/status"),
        lambda r: r[0] == 200 and len(r[1]["items"]) == 1,
        what="the one valid status",
    )
    assert body[1]["items"][0]["status"] == "Available"
    assert await rabbit.drain(Queue.DEAD_LETTER.name) == []


async def test_an_unknown_evse_topic_is_dead_lettered(
    monitor: ServiceProcess, mqtt: aiomqtt.Client, org: str
) -> None:
    await mqtt.publish(f"MQTT/EVSE/{org}/heartbeat", b"{}", qos=1)
    (letter,) = await dead_letters(1)
    assert letter.headers[DeadLetterHeader.REASON.value] == "unknown-topic"


# -- redelivery ----------------------------------------------------------------------------------


async def management(method: str, path: str) -> Any:
    async with (
        aiohttp.ClientSession(headers=rabbit.AUTH_HEADERS) as http,
        http.request(method, f"{MANAGEMENT_URL}/api{path}") as resp,
    ):
        resp.raise_for_status()
        return await resp.json() if resp.status == 200 else None


async def evse_queue() -> dict[str, Any]:
    path = f"/queues/{quote(VHOST, safe='')}/{quote(Queue.RT_MONITOR_EVSE.name, safe='')}"
    result: dict[str, Any] = await management("GET", path)
    return result


async def waiting_on_lock(conn: asyncpg.Connection) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE NOT l.granted AND c.relname = 'evse')"
        )
    )


async def test_redelivered_messages_create_no_duplicate_rows(
    monitor: ServiceProcess, mqtt: aiomqtt.Client, org: str
) -> None:
    """The monitor writes a batch but loses its AMQP connection before acking it: the broker
    redelivers the batch's messages, which are written again — and must change nothing."""
    evse_id = f"{org}.CP.04"
    cp = Publisher(mqtt, evse_id)
    api = Api(monitor, evse_id)
    await cp.send(
        IopTopic.EVSE_BOOTNOTIFICATION, {"chargePointVendor": "V", "chargePointModel": "M"}
    )
    await wait_for_value(api.get, lambda r: r[0] == 200, what="the evse")

    locker = await asyncpg.connect(POSTGRES_URL)
    try:
        tx = locker.transaction()
        await tx.start()
        await locker.execute("LOCK TABLE rt_monitor.evse IN ACCESS EXCLUSIVE MODE")
        await cp.send(
            IopTopic.EVSE_STARTTRANSACTION,
            {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": iso(0)},
        )
        await cp.send(
            IopTopic.EVSE_METERVALUES,
            {
                "connectorId": 1,
                "transactionId": 5,
                "meterValue": [
                    {
                        "timestamp": iso(1),
                        "sampledValue": [
                            sample("10"),
                            sample("1.5", measurand="Power.Active.Import"),
                        ],
                    }
                ],
            },
        )
        await cp.send(
            IopTopic.EVSE_STATUS, {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}
        )
        await cp.send(
            IopTopic.EVSE_STOPTRANSACTION,
            {
                "transactionId": 5,
                "meterStop": 20,
                "timestamp": iso(2),
                "transactionData": [
                    {"timestamp": iso(2), "sampledValue": [sample("20", context="Transaction.End")]}
                ],
            },
        )
        # the monitor holds the four messages, unacked, its batch waiting for the lock
        await wait_for_value(
            evse_queue, lambda q: q.get("messages_unacknowledged") == 4, what="4 unacked"
        )
        await wait_for_value(lambda: waiting_on_lock(locker), bool, what="a write waiting")
        connections = await management("GET", f"/vhosts/{quote(VHOST, safe='')}/connections")
        amqp = [c for c in connections if str(c.get("protocol", "")).startswith("AMQP")]
        assert amqp, connections
        for connection in amqp:  # the monitor's: the broker requeues what it had not acked
            await management("DELETE", f"/connections/{quote(connection['name'], safe='')}")
        await wait_for_value(
            evse_queue,
            lambda q: q.get("message_stats", {}).get("redeliver", 0) >= 4,
            timeout=30,
            what="the messages redelivered to the reconnected monitor",
        )
        await tx.commit()  # the first write completes; its acks are lost with the connection
    finally:
        await locker.close()

    await wait_for_value(
        evse_queue,
        lambda q: q.get("messages", 1) == 0 and q.get("messages_unacknowledged", 1) == 0,
        timeout=30,
        what="the redelivered messages processed",
    )
    await asyncio.sleep(0.5)  # let a wrongly repeated write show up if there were one
    samples = await api.ok("/metervalues")
    assert len(samples["items"]) == 3
    assert {i["connectorId"] for i in samples["items"]} == {1}
    history = await api.ok("/status")
    assert [i["status"] for i in history["items"]] == ["Charging"]
    txs = await api.ok("/transactions")
    assert [(t["transactionId"], t["state"], t["energyWh"]) for t in txs["items"]] == [
        (5, "closed", 20)
    ]
    assert txs["unmatchedStops"] == []
    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM rt_monitor.evse_transaction_stop WHERE evse_id = $1) "
            "AS stops, (SELECT count(*) FROM rt_monitor.evse_connector WHERE evse_id = $1) "
            "AS connectors",
            evse_id,
        )
    finally:
        await conn.close()
    assert counts is not None
    assert dict(counts) == {"stops": 1, "connectors": 1}
