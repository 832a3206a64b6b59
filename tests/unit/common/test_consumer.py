"""The consumer's outcomes (ack, retry, dead letter) with the transport replaced by a fake
incoming message; the same behaviours run on RabbitMQ in tests/integration/test_bus_rabbitmq.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry

from wiseevp_common.bus.consumer import Consumer
from wiseevp_common.bus.delivery import Delivery, InvalidMessage
from wiseevp_common.bus.iop import IopMessage, iop_handler
from wiseevp_common.metrics import BusMetrics
from wiseevp_common.topology import (
    EV_TOPICS,
    Binding,
    DeadLetterReason,
    Exchange,
    IopTopic,
    QueueSpec,
)

SPEC = QueueSpec("unit.ev", (Binding(Exchange.MQTT, "MQTT.EV.#"),), "unit")
STATUS = b'{"id":"ORG-1","timestamp":"2026-01-01T00:00:00Z","status":"connected","soc":10}'


@dataclass
class FakeIncoming:
    body: bytes
    routing_key: str = "MQTT.EV.ORG-1.status"
    headers: dict[str, Any] = field(default_factory=dict)
    exchange: str = "amq.topic"
    message_id: str | None = "m-1"
    correlation_id: str | None = None
    timestamp: Any = None
    content_type: str | None = None
    acked: bool = False
    nacked: bool | None = None  # requeue flag when nacked

    async def ack(self) -> None:
        self.acked = True

    async def nack(self, requeue: bool = True) -> None:
        self.nacked = requeue


class Recorder:
    def __init__(self) -> None:
        self.dead: list[tuple[Delivery, DeadLetterReason, str]] = []

    async def __call__(
        self, delivery: Delivery, reason: DeadLetterReason, error: str, content_type: str | None
    ) -> None:
        self.dead.append((delivery, reason, error))


def consumer(handler: Any, max_attempts: int = 3) -> tuple[Consumer, Recorder, BusMetrics]:
    dead = Recorder()
    metrics = BusMetrics(CollectorRegistry())
    return (
        Consumer(SPEC, handler, dead_letter=dead, max_attempts=max_attempts, metrics=metrics),
        dead,
        metrics,
    )


def consumed(metrics: BusMetrics, outcome: str) -> float:
    return metrics.consumed.labels(SPEC.name, outcome)._value.get()  # type: ignore[attr-defined]


async def test_valid_iop_message_reaches_handler_typed_and_is_acked() -> None:
    got: list[IopMessage] = []

    async def on_ev(message: IopMessage) -> None:
        got.append(message)

    c, dead, metrics = consumer(iop_handler(EV_TOPICS, on_ev))
    raw = FakeIncoming(STATUS)
    await c.on_message(raw)  # type: ignore[arg-type]
    assert raw.acked and raw.nacked is None and not dead.dead
    assert got[0].topic is IopTopic.EV_STATUS and got[0].params == {"ev_id": "ORG-1"}
    assert consumed(metrics, "ack") == 1


async def test_invalid_message_dead_lettered_once_and_acked() -> None:
    async def never(_: IopMessage) -> None:
        raise AssertionError("must not be called")

    c, dead, metrics = consumer(iop_handler(EV_TOPICS, never))
    raw = FakeIncoming(b'{"id":"ORG-1"}')
    await c.on_message(raw)  # type: ignore[arg-type]
    assert raw.acked
    ((delivery, reason, error),) = dead.dead
    assert reason is DeadLetterReason.INVALID_PAYLOAD
    assert "timestamp: Field required" in error and "status: Field required" in error
    assert delivery.body == b'{"id":"ORG-1"}'
    assert consumed(metrics, "dead_letter") == 1


async def test_failure_is_retried_then_dead_lettered_at_the_last_attempt() -> None:
    async def broken(_: Delivery) -> None:
        raise ConnectionError("database down")

    c, dead, metrics = consumer(broken, max_attempts=3)
    first = FakeIncoming(b"x", headers={"x-delivery-count": 0})
    await c.on_message(first)  # type: ignore[arg-type]
    assert first.nacked is True and not first.acked and not dead.dead
    last = FakeIncoming(b"x", headers={"x-delivery-count": 2})  # the broker's count
    await c.on_message(last)  # type: ignore[arg-type]
    assert last.acked
    ((delivery, reason, error),) = dead.dead
    assert delivery.attempt == 3
    assert reason is DeadLetterReason.PROCESSING_FAILED and "database down" in error
    assert consumed(metrics, "retry") == 1 and consumed(metrics, "dead_letter") == 1


async def test_handler_invalid_message_exception_carries_its_reason() -> None:
    async def refuses(_: Delivery) -> None:
        raise InvalidMessage(DeadLetterReason.UNKNOWN_TOPIC, "nobody knows this")

    c, dead, _ = consumer(refuses)
    raw = FakeIncoming(b"{}")
    await c.on_message(raw)  # type: ignore[arg-type]
    assert raw.acked
    assert dead.dead[0][1:] == (DeadLetterReason.UNKNOWN_TOPIC, "nobody knows this")
