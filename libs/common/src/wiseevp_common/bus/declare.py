"""Topology specs → FastStream/RabbitMQ declarations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from faststream.rabbit import ExchangeType, QueueType, RabbitBroker, RabbitExchange, RabbitQueue

from ..topology import Exchange, Queue, QueueSpec

if TYPE_CHECKING:
    from faststream.rabbit.schemas.queue import QuorumQueueArgs


def rabbit_exchange(exchange: Exchange) -> RabbitExchange:
    """``amq.*`` exchanges are the broker's own: they are used, never declared."""
    builtin = exchange.value.startswith("amq.")
    return RabbitExchange(
        exchange.value, type=ExchangeType.TOPIC, durable=True, declare=not builtin
    )


def dead_letter_arguments(spec: QueueSpec, max_delivery_attempts: int) -> dict[str, Any]:
    """The broker dead-letters a message after ``max_delivery_attempts`` deliveries (a
    backstop for messages that crash their consumer) to :attr:`Exchange.DEAD_LETTER`."""
    if not spec.dead_letter:
        return {}
    return {
        "x-dead-letter-exchange": Exchange.DEAD_LETTER.value,
        "x-dead-letter-routing-key": spec.name,
        "x-delivery-limit": max_delivery_attempts,
    }


def queue_arguments(spec: QueueSpec, max_delivery_attempts: int) -> dict[str, Any]:
    """Every declaration argument of ``spec``'s queue: a durable quorum queue."""
    return {"x-queue-type": "quorum", **dead_letter_arguments(spec, max_delivery_attempts)}


def rabbit_queue(spec: QueueSpec, max_delivery_attempts: int, routing_key: str = "") -> RabbitQueue:
    """``spec``'s queue for FastStream (which adds ``x-queue-type`` itself)."""
    arguments = dead_letter_arguments(spec, max_delivery_attempts)
    return RabbitQueue(
        spec.name,
        queue_type=QueueType.QUORUM,
        durable=True,
        arguments=cast("QuorumQueueArgs", arguments),
        routing_key=routing_key or (spec.bindings[0].routing_key if spec.bindings else ""),
    )


async def declare_queue(broker: RabbitBroker, spec: QueueSpec, max_delivery_attempts: int) -> None:
    """Declare ``spec``'s queue, its exchanges and every binding (idempotent)."""
    queue = await broker.declare_queue(rabbit_queue(spec, max_delivery_attempts))
    for binding in spec.bindings:
        exchange = await broker.declare_exchange(rabbit_exchange(binding.exchange))
        await queue.bind(exchange, routing_key=binding.routing_key)


async def declare_dead_letter(broker: RabbitBroker) -> None:
    """The dead-letter exchange and the queue that keeps every dead letter for inspection."""
    await declare_queue(broker, Queue.DEAD_LETTER, max_delivery_attempts=1)
