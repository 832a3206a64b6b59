"""Run a handler per message: ack after processing, retry transient failures, dead-letter
invalid or repeatedly failing messages with the reason in headers.

This is the one place where bus failures are mapped to outcomes. Consumers sit directly on
aio-pika (a robust channel re-declares and re-consumes after a broker restart): on the ingest
hot path FastStream's per-message pipeline cost ~100 µs of CPU more than the rest of the
consumer together (bench/consumer_overhead.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from faststream.rabbit import RabbitBroker

from ..metrics import BusMetrics
from ..topology import DeadLetterHeader, DeadLetterReason, Exchange, QueueSpec
from .declare import declare_queue, rabbit_exchange
from .delivery import Delivery, Handler, InvalidMessage

log = logging.getLogger("wiseevp.bus")

MAX_ERROR_TEXT = 1000

DeadLetterSink = Callable[[Delivery, DeadLetterReason, str, "str | None"], Awaitable[None]]
"""Publishes a message to the dead-letter exchange: (delivery, reason, error, content type)."""


def to_delivery(raw: AbstractIncomingMessage) -> Delivery:
    headers = dict(raw.headers or {})
    previous = headers.get("x-delivery-count", 0)
    return Delivery(
        body=raw.body,
        exchange=raw.exchange or "",
        routing_key=raw.routing_key or "",
        headers=headers,
        message_id=raw.message_id,
        correlation_id=raw.correlation_id,
        timestamp=raw.timestamp,
        attempt=int(previous) + 1 if isinstance(previous, int) else 1,
    )


async def dead_letter(
    broker: RabbitBroker,
    delivery: Delivery,
    *,
    queue: str,
    service: str,
    reason: DeadLetterReason,
    error: str,
    content_type: str | None = None,
) -> None:
    """Publish ``delivery`` to the dead-letter exchange, persistent, with the reason in headers."""
    headers = {
        k: v
        for k, v in delivery.headers.items()
        if not k.startswith("x-wiseevp-") and k != "x-delivery-count"
    }
    headers.update(
        {
            DeadLetterHeader.REASON.value: reason.value,
            DeadLetterHeader.ERROR.value: error[:MAX_ERROR_TEXT],
            DeadLetterHeader.SERVICE.value: service,
            DeadLetterHeader.QUEUE.value: queue,
            DeadLetterHeader.EXCHANGE.value: delivery.exchange,
            DeadLetterHeader.ROUTING_KEY.value: delivery.routing_key,
            DeadLetterHeader.ATTEMPTS.value: delivery.attempt,
            DeadLetterHeader.FAILED_AT.value: datetime.now(UTC).isoformat(),
        }
    )
    await broker.publish(
        delivery.body,
        exchange=rabbit_exchange(Exchange.DEAD_LETTER),
        routing_key=queue,
        headers=headers,
        persist=True,
        content_type=content_type,
        message_id=delivery.message_id,
        correlation_id=delivery.correlation_id,
    )


class Consumer:
    """Subscribes one handler to one queue of the topology."""

    def __init__(
        self,
        spec: QueueSpec,
        handler: Handler,
        *,
        dead_letter: DeadLetterSink,
        max_attempts: int,
        metrics: BusMetrics | None = None,
    ) -> None:
        self.spec = spec
        self.handler = handler
        self.dead_letter = dead_letter
        self.max_attempts = max_attempts
        # labelled metric children looked up once, not per message
        self._counted = (
            {o: metrics.consumed.labels(spec.name, o) for o in ("ack", "retry", "dead_letter")}
            if metrics is not None
            else {}
        )
        self._timed = metrics.handle_seconds.labels(spec.name) if metrics is not None else None
        self._channel: AbstractChannel | None = None
        self._queue: aio_pika.abc.AbstractQueue | None = None
        self._tag: str | None = None
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self, connection: AbstractRobustConnection, prefetch: int) -> None:
        """Declare the queue and its bindings on a channel of its own and start consuming."""
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        queue = await declare_queue(channel, self.spec, self.max_attempts)
        self._channel, self._queue = channel, queue
        self._tag = await queue.consume(self.on_message)

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop taking messages, let in-flight handlers finish (and ack), close the channel."""
        if self._queue is not None and self._tag is not None:
            await self._queue.cancel(self._tag)
            self._tag = None
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("%d handlers still running on %s", self._in_flight, self.spec.name)
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def on_message(self, raw: AbstractIncomingMessage) -> None:
        self._in_flight += 1
        self._idle.clear()
        try:
            await self._process(raw)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _process(self, raw: AbstractIncomingMessage) -> None:
        delivery = to_delivery(raw)
        started = time.perf_counter()
        outcome = "ack"
        try:
            await self.handler(delivery)
        except InvalidMessage as exc:
            outcome = "dead_letter"
            self._log_dead_letter(delivery, exc.reason, exc.detail)
            await self.dead_letter(delivery, exc.reason, exc.detail, raw.content_type)
        except Exception as exc:
            if delivery.attempt >= self.max_attempts:
                outcome = "dead_letter"
                log.exception("giving up on message", extra=self._log_extra(delivery))
                reason = DeadLetterReason.PROCESSING_FAILED
                await self.dead_letter(delivery, reason, repr(exc), raw.content_type)
            else:
                outcome = "retry"
                log.warning(
                    "handler failed, message requeued: %r", exc, extra=self._log_extra(delivery)
                )
                await raw.nack(requeue=True)
                return
        finally:
            if self._timed is not None:
                self._counted[outcome].inc()
                self._timed.observe(time.perf_counter() - started)
        await raw.ack()

    def _log_dead_letter(self, delivery: Delivery, reason: DeadLetterReason, error: str) -> None:
        log.warning(
            "dead-lettering message: %s: %s", reason.value, error, extra=self._log_extra(delivery)
        )

    def _log_extra(self, delivery: Delivery) -> dict[str, object]:
        return {
            "queue": self.spec.name,
            "routing_key": delivery.routing_key,
            "message_id": delivery.message_id,
            "attempt": delivery.attempt,
        }
