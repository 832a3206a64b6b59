"""Run a handler per message: ack after processing, retry transient failures, dead-letter
invalid or repeatedly failing messages with the reason in headers.

This is the one place where bus failures are mapped to outcomes.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from aio_pika.abc import AbstractIncomingMessage
from faststream import AckPolicy
from faststream.rabbit import RabbitBroker, RabbitExchange
from faststream.rabbit.annotations import RabbitMessage

from ..metrics import BusMetrics
from ..topology import DeadLetterHeader, DeadLetterReason, Exchange, QueueSpec
from .broker import pass_message
from .declare import rabbit_exchange, rabbit_queue
from .delivery import Delivery, Handler, InvalidMessage

log = logging.getLogger("wiseevp.bus")

MAX_ERROR_TEXT = 1000


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
        broker: RabbitBroker,
        spec: QueueSpec,
        handler: Handler,
        *,
        service: str,
        max_attempts: int,
        metrics: BusMetrics | None = None,
    ) -> None:
        self.broker = broker
        self.spec = spec
        self.handler = handler
        self.service = service
        self.max_attempts = max_attempts
        self.metrics = metrics
        # labelled children looked up once, not per message
        self._counted = (
            {o: metrics.consumed.labels(spec.name, o) for o in ("ack", "retry", "dead_letter")}
            if metrics is not None
            else {}
        )
        self._timed = metrics.handle_seconds.labels(spec.name) if metrics is not None else None
        first = spec.bindings[0] if spec.bindings else None
        subscriber = broker.subscriber(
            rabbit_queue(spec, max_attempts),
            rabbit_exchange(first.exchange) if first else RabbitExchange(),
            ack_policy=AckPolicy.MANUAL,
            no_reply=True,
            decoder=pass_message,
            title=spec.name,
            description=spec.description,
        )
        subscriber(self._on_message)

    async def _on_message(self, message: RabbitMessage) -> None:
        # with apply_types off and the pass_message decoder, FastStream passes the message
        raw: AbstractIncomingMessage = message.raw_message
        delivery = to_delivery(raw)
        started = time.perf_counter()
        outcome = "ack"
        try:
            await self.handler(delivery)
        except InvalidMessage as exc:
            outcome = "dead_letter"
            await self._dead_letter(delivery, exc.reason, exc.detail, raw.content_type)
        except Exception as exc:
            if delivery.attempt >= self.max_attempts:
                outcome = "dead_letter"
                log.exception("giving up on message", extra=self._log_extra(delivery))
                await self._dead_letter(
                    delivery, DeadLetterReason.PROCESSING_FAILED, repr(exc), raw.content_type
                )
            else:
                outcome = "retry"
                log.warning(
                    "handler failed, message requeued: %r", exc, extra=self._log_extra(delivery)
                )
                await message.nack(requeue=True)
                return
        finally:
            if self._timed is not None:
                self._counted[outcome].inc()
                self._timed.observe(time.perf_counter() - started)
        await message.ack()

    async def _dead_letter(
        self,
        delivery: Delivery,
        reason: DeadLetterReason,
        error: str,
        content_type: str | None,
    ) -> None:
        log.warning(
            "dead-lettering message: %s: %s", reason.value, error, extra=self._log_extra(delivery)
        )
        await dead_letter(
            self.broker,
            delivery,
            queue=self.spec.name,
            service=self.service,
            reason=reason,
            error=error,
            content_type=content_type,
        )

    def _log_extra(self, delivery: Delivery) -> dict[str, object]:
        return {
            "queue": self.spec.name,
            "routing_key": delivery.routing_key,
            "message_id": delivery.message_id,
            "attempt": delivery.attempt,
        }
