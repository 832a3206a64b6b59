"""The EVSE data path with a real ``rt_monitor`` process when messages go wrong: invalid
payloads and unknown topics are dead-lettered, redelivered messages add no rows."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import aiohttp
import aiomqtt
import asyncpg
import pytest

from tests.support import broker as rabbit
from tests.support.env import MANAGEMENT_URL, POSTGRES_URL, VHOST
from tests.support.evse_clients import Api, Publisher, iso, sample
from tests.support.processes import ServiceProcess
from tests.support.waiting import wait_for_value
from wiseevp_common.topology import DeadLetterHeader, IopTopic, Queue

pytestmark = [pytest.mark.integration]


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


async def test_only_the_station_topics_reach_the_monitor_and_unknown_ev_topics_dead_letter(
    monitor: ServiceProcess, mqtt: aiomqtt.Client, org: str
) -> None:
    # the EVSE wrapper's other topics under MQTT/EVSE/ (station heartbeats, commands, their
    # results, connection status) are not the RT monitor's: its queue is not bound to them
    for topic in (
        f"MQTT/EVSE/{org}/heartbeat",
        f"MQTT/EVSE/{org}/reservenow/r1",
        f"MQTT/EVSE/{org}/result/reservenow/r1",
        f"MQTT/EVSE/{org}/connection",
    ):
        await mqtt.publish(topic, b"{}", qos=1)
    # an EV topic the contract does not know still reaches it (MQTT.EV.#) and is dead-lettered
    await mqtt.publish(f"MQTT/EV/{org}-1/unknown", b"{}", qos=1)
    (letter,) = await dead_letters(1)
    assert letter.headers[DeadLetterHeader.REASON.value] == "unknown-topic"
    assert letter.headers[DeadLetterHeader.ROUTING_KEY.value] == f"MQTT.EV.{org}-1.unknown"
    queue = await evse_queue()
    assert queue.get("messages", 0) == 0
    assert queue.get("message_stats", {}).get("publish", 0) == 0


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
