"""The RPC server on FastStream's in-memory broker (fast, no RabbitMQ).

The same behaviours are proven on the real broker in tests/integration/test_bus_rabbitmq.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from faststream.rabbit import TestRabbitBroker
from faststream.rabbit.annotations import RabbitMessage
from pydantic import BaseModel

from wiseevp_common.bus import Bus, IopMessage
from wiseevp_common.bus.broker import pass_message
from wiseevp_common.settings import ServiceSettings
from wiseevp_common.topology import EV_TOPICS, Binding, Exchange, QueueSpec, RpcEndpoint


class Ask(BaseModel):
    n: int


class Answer(BaseModel):
    double: int


DOUBLE = RpcEndpoint("test.rpc.double", Ask, Answer, "doubles n")
EV_QUEUE = QueueSpec("test.ev", (Binding(Exchange.MQTT, "MQTT.EV.#"),), "test")


def make_bus() -> tuple[Bus, list[Any]]:
    bus = Bus(ServiceSettings(service_name="unit"))
    got: list[Any] = []

    async def on_ev(message: IopMessage) -> None:
        got.append(message)

    async def double(ask: Ask) -> Answer:
        if ask.n < 0:
            raise ValueError("negative")
        return Answer(double=2 * ask.n)

    bus.consume_iop(EV_QUEUE, EV_TOPICS, on_ev)
    bus.serve(DOUBLE, double)
    return bus, got


@pytest.mark.parametrize(
    ("request_body", "status", "reply"),
    [
        (b'{"n": 21}', "ok", {"double": 42}),
        (b'{"n": -1}', "error", {"code": "internal-error", "message": "ValueError: negative"}),
        (b'{"n": "x"}', "error", {"code": "invalid-request"}),
    ],
)
async def test_rpc_server_replies_to_reply_to_with_status(
    request_body: bytes, status: str, reply: dict[str, Any]
) -> None:
    """The server side of RPC; the client side (``Bus.call``) needs the real broker's
    reply_to and is covered by the integration tests."""
    bus, _ = make_bus()
    replies: list[Any] = []

    @bus.broker.subscriber("test.replies", decoder=pass_message)
    async def on_reply(message: RabbitMessage) -> None:
        replies.append((message.headers, json.loads(message.body), message.correlation_id))

    async with TestRabbitBroker(bus.broker) as broker:
        await broker.publish(
            request_body, queue=DOUBLE.queue, reply_to="test.replies", correlation_id="c-1"
        )
    ((headers, body, correlation_id),) = replies
    assert headers["x-wiseevp-rpc-status"] == status
    assert correlation_id == "c-1"
    assert reply.items() <= body.items()
