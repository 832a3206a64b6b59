"""The bus on the real RabbitMQ: RPC, ack/retry/dead-letter, MQTT ⇄ AMQP in both directions."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiomqtt
import pytest
from pydantic import BaseModel

from tests.support import broker as rabbit
from tests.support.env import AMQP_URL, MQTT_HOST, MQTT_PASSWORD, MQTT_PORT, MQTT_USERNAME
from tests.support.waiting import wait_for_value
from wiseevp_common.bus import Bus, Delivery, IopMessage, RpcRemoteError, RpcTimeout
from wiseevp_common.messages.iop import EvStatus, EvStatusValue
from wiseevp_common.settings import ServiceSettings
from wiseevp_common.topology import (
    EV_TOPICS,
    Binding,
    DeadLetterHeader,
    Exchange,
    IopTopic,
    Queue,
    QueueSpec,
    RpcEndpoint,
)

pytestmark = [pytest.mark.integration]


class Ask(BaseModel):
    n: int


class Answer(BaseModel):
    double: int


def settings(**extra: Any) -> ServiceSettings:
    return ServiceSettings(service_name="bus-test", amqp_url=AMQP_URL, **extra)


def unique(prefix: str) -> str:
    return f"test.{prefix}.{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def started() -> AsyncIterator[list[Bus]]:
    buses: list[Bus] = []
    yield buses
    for bus in buses:
        await bus.stop()


def mqtt_client(name: str) -> aiomqtt.Client:
    return aiomqtt.Client(
        MQTT_HOST, MQTT_PORT, username=MQTT_USERNAME, password=MQTT_PASSWORD, identifier=name
    )


def status(ev_id: str, soc: float = 50) -> EvStatus:
    return EvStatus(id=ev_id, timestamp=datetime.now(UTC), status=EvStatusValue.CHARGING, soc=soc)


async def test_rpc_round_trip_error_reply_and_timeout(fresh_broker, started) -> None:
    endpoint = RpcEndpoint(unique("rpc"), Ask, Answer, "doubles n")

    async def double(ask: Ask) -> Answer:
        if ask.n < 0:
            raise ValueError("negative input")
        return Answer(double=ask.n * 2)

    server, client = Bus(settings()), Bus(settings())
    server.serve(endpoint, double)
    started.extend([server, client])
    await server.start()
    await client.start()

    assert await client.call(endpoint, Ask(n=21), timeout=5) == Answer(double=42)
    replies = await asyncio.gather(*(client.call(endpoint, Ask(n=i), timeout=5) for i in range(20)))
    assert [r.double for r in replies] == [2 * i for i in range(20)]  # correlated, not mixed up

    with pytest.raises(RpcRemoteError) as info:
        await client.call(endpoint, Ask(n=-1), timeout=5)
    assert info.value.code == "internal-error"
    assert "negative input" in info.value.message

    await server.stop()  # the request queue stays, nobody serves it
    started.remove(server)
    with pytest.raises(RpcTimeout):
        await client.call(endpoint, Ask(n=1), timeout=0.5)


async def test_invalid_payload_dead_lettered_with_reason_and_nothing_valid_lost(
    fresh_broker, started, org
) -> None:
    spec = QueueSpec(unique("ev"), (Binding(Exchange.MQTT, f"MQTT.EV.{org}-1.#"),), "test")
    got: list[IopMessage] = []

    async def on_ev(message: IopMessage) -> None:
        got.append(message)

    bus = Bus(settings())
    bus.consume_iop(spec, EV_TOPICS, on_ev)
    started.append(bus)
    await bus.start()

    ev_id = f"{org}-1"
    await rabbit.publish_raw(f"MQTT.EV.{ev_id}.status", status(ev_id, soc=10).to_json())
    await rabbit.publish_raw(
        f"MQTT.EV.{ev_id}.status", b'{"id": "%s", "status": "flying"}' % ev_id.encode()
    )
    await rabbit.publish_raw(f"MQTT.EV.{ev_id}.status", b"not json at all")
    await rabbit.publish_raw(f"MQTT.EV.{ev_id}.teleport", status(ev_id).to_json())
    await rabbit.publish_raw(f"MQTT.EV.{ev_id}.status", status(f"{org}-2").to_json())  # id mismatch
    await rabbit.publish_raw(f"MQTT.EV.{ev_id}.status", status(ev_id, soc=20).to_json())

    await wait_for_value(lambda: len(got), lambda n: n == 2, what="two valid messages")
    assert [m.payload.soc for m in got] == [10, 20]  # type: ignore[attr-defined]

    dead = await wait_for_value(
        lambda: rabbit.drain(Queue.DEAD_LETTER.name),
        lambda msgs: len(msgs) == 4,
        what="4 dead letters",
    )
    reasons = [
        (m.headers[DeadLetterHeader.REASON.value], m.headers[DeadLetterHeader.ERROR.value])
        for m in dead
    ]
    assert (
        reasons[0][0] == "invalid-payload"
        and "status" in reasons[0][1]
        and "timestamp" in reasons[0][1]
    )
    assert reasons[1][0] == "invalid-payload" and "JSON" in reasons[1][1]
    assert reasons[2] == ("unknown-topic", f"no IOP topic matches 'MQTT.EV.{ev_id}.teleport'")
    assert reasons[3][0] == "invalid-payload" and "does not match topic id" in reasons[3][1]
    first = dead[0]
    assert first.headers[DeadLetterHeader.QUEUE.value] == spec.name
    assert first.headers[DeadLetterHeader.ROUTING_KEY.value] == f"MQTT.EV.{ev_id}.status"
    assert first.headers[DeadLetterHeader.SERVICE.value] == "bus-test"
    assert first.body == b'{"id": "%s", "status": "flying"}' % ev_id.encode()  # kept as sent


async def test_failing_handler_retried_then_dead_lettered(fresh_broker, started) -> None:
    spec = QueueSpec(unique("work"), (Binding(Exchange.MQTT, "test.work.#"),), "test")
    attempts: list[int] = []

    async def always_fails(delivery: Delivery) -> None:
        attempts.append(delivery.attempt)
        raise RuntimeError("downstream broken")

    bus = Bus(settings(amqp_max_delivery_attempts=3))
    bus.consume(spec, always_fails)
    started.append(bus)
    await bus.start()
    await rabbit.publish_raw("test.work.x", b"payload")

    dead = await wait_for_value(
        lambda: rabbit.drain(Queue.DEAD_LETTER.name),
        lambda msgs: len(msgs) == 1,
        what="dead letter",
    )
    assert attempts == [1, 2, 3]
    headers = dead[0].headers
    assert headers[DeadLetterHeader.REASON.value] == "processing-failed"
    assert "downstream broken" in headers[DeadLetterHeader.ERROR.value]
    assert headers[DeadLetterHeader.ATTEMPTS.value] == 3


async def test_mqtt_to_amqp_with_a_dotted_id(fresh_broker, started, org) -> None:
    ev_id = f"{org}-A.1"  # a dot inside the id must not split the routing key
    spec = QueueSpec(unique("ev"), (Binding(Exchange.MQTT, "MQTT.EV.#"),), "test")
    got: list[IopMessage] = []

    async def on_ev(message: IopMessage) -> None:
        if message.params["ev_id"] == ev_id:
            got.append(message)

    bus = Bus(settings())
    bus.consume_iop(spec, EV_TOPICS, on_ev)
    started.append(bus)
    await bus.start()

    async with mqtt_client(f"test-{org}") as client:
        await client.publish(IopTopic.EV_STATUS.topic(ev_id=ev_id), status(ev_id).to_json(), qos=1)

    await wait_for_value(lambda: len(got), lambda n: n == 1, what="MQTT message over AMQP")
    assert got[0].delivery.routing_key == f"MQTT.EV.{org}-A%2E1.status"
    assert isinstance(got[0].payload, EvStatus) and got[0].payload.id == ev_id


async def test_amqp_to_mqtt(fresh_broker, started, org) -> None:
    bus = Bus(settings())
    started.append(bus)
    await bus.start()
    ev_id = f"{org}-7"
    async with mqtt_client(f"test-sub-{org}") as client:
        await client.subscribe(IopTopic.EV_STATUS.mqtt_filter, qos=1)
        await bus.publish_iop(IopTopic.EV_STATUS, status(ev_id, soc=33), ev_id=ev_id)
        async with asyncio.timeout(10):
            async for message in client.messages:
                if str(message.topic) == f"MQTT/EV/{ev_id}/status":
                    break
    assert json.loads(message.payload)["soc"] == 33  # type: ignore[arg-type]
