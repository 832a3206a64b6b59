"""Topology specs → RabbitMQ declarations.

Queues, exchanges and bindings are declared in one place, :func:`declare_queue`, on an
aio-pika channel; FastStream only gets the matching descriptions it needs to publish
(:func:`rabbit_exchange`) and to serve RPC queues (:func:`rabbit_queue`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractQueue
from faststream.rabbit import ExchangeType, QueueType, RabbitExchange, RabbitQueue

from ..topology import Exchange, Queue, QueueSpec

if TYPE_CHECKING:
    from faststream.rabbit.schemas.queue import QuorumQueueArgs


def is_builtin(exchange: Exchange) -> bool:
    """``amq.*`` exchanges are the broker's own: they are used, never declared."""
    return exchange.value.startswith("amq.")


def rabbit_exchange(exchange: Exchange) -> RabbitExchange:
    return RabbitExchange(
        exchange.value, type=ExchangeType.TOPIC, durable=True, declare=not is_builtin(exchange)
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
    arguments: dict[str, Any] = {
        "x-queue-type": "quorum",
        **dead_letter_arguments(spec, max_delivery_attempts),
    }
    if spec.single_active_consumer:
        arguments["x-single-active-consumer"] = True
    return arguments


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


async def declare_queue(
    channel: AbstractChannel, spec: QueueSpec, max_delivery_attempts: int
) -> AbstractQueue:
    """Declare ``spec``'s queue, its exchanges and every binding (idempotent)."""
    queue = await channel.declare_queue(
        spec.name, durable=True, arguments=queue_arguments(spec, max_delivery_attempts)
    )
    for binding in spec.bindings:
        name = binding.exchange.value
        exchange = (
            await channel.get_exchange(name, ensure=False)
            if is_builtin(binding.exchange)
            else await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
        )
        await queue.bind(exchange, routing_key=binding.routing_key)
    return queue


async def declare_dead_letter(channel: AbstractChannel) -> None:
    """The dead-letter exchange and the queue that keeps every dead letter for inspection."""
    await declare_queue(channel, Queue.DEAD_LETTER, max_delivery_attempts=1)
