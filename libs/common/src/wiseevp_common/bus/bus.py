"""The :class:`Bus` a service holds: one broker connection, its consumers, RPC and publishing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractRobustConnection
from faststream.rabbit import RabbitBroker
from pydantic import BaseModel

from ..metrics import BusMetrics
from ..settings import ServiceSettings
from ..topology import DeadLetterReason, Exchange, MqttTopic, QueueSpec, RpcEndpoint
from . import rpc
from .broker import create_broker
from .consumer import Consumer, DeadLetterSink, dead_letter
from .declare import declare_dead_letter
from .delivery import Delivery, Handler
from .iop import IopHandler, iop_handler
from .publish import JSON, publish_iop

M = TypeVar("M", bound=BaseModel)
Req = TypeVar("Req", bound=BaseModel)
Resp = TypeVar("Resp", bound=BaseModel)


RAW_PUBLISH_CHANNELS = 4
"""Confirm channels :meth:`Bus.publish_raw` spreads over: fewer confirmations outstanding per
channel (aiormq scans them on every ``multiple`` ack)."""


class Bus:
    """Register consumers and RPC servers before :meth:`start`; publish and call after it.

    A runner component: started last and stopped first, so in-flight handlers finish while
    what they depend on (database, batch writer) is still up.
    """

    name = "bus"

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        broker: RabbitBroker | None = None,
        metrics: BusMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.broker = broker if broker is not None else create_broker(settings)
        self.metrics = metrics
        self._consumers: list[Consumer] = []
        self._connection: AbstractRobustConnection | None = None
        self._raw_exchanges: list[AbstractExchange] = []
        self._next_raw = 0
        self._started = False

    def consume(self, spec: QueueSpec, handler: Handler) -> None:
        """Deliver every message of ``spec``'s queue to ``handler`` (ack after it returns)."""
        self._consumers.append(
            Consumer(
                spec,
                handler,
                dead_letter=self._dead_letter_sink(spec),
                max_attempts=self.settings.amqp_max_delivery_attempts,
                metrics=self.metrics,
            )
        )

    def _dead_letter_sink(self, spec: QueueSpec) -> DeadLetterSink:
        async def sink(
            delivery: Delivery, reason: DeadLetterReason, error: str, content_type: str | None
        ) -> None:
            await dead_letter(
                self.broker,
                delivery,
                queue=spec.name,
                service=self.settings.service_name,
                reason=reason,
                error=error,
                content_type=content_type,
            )

        return sink

    def consume_iop(
        self, spec: QueueSpec, topics: tuple[MqttTopic[Any], ...], handler: IopHandler
    ) -> None:
        """Like :meth:`consume`, with IOP topic matching and payload validation at the edge."""
        self.consume(spec, iop_handler(topics, handler))

    def serve(
        self, endpoint: RpcEndpoint[Req, Resp], handler: Callable[[Req], Awaitable[Resp]]
    ) -> None:
        rpc.serve(
            self.broker,
            endpoint,
            handler,
            service=self.settings.service_name,
            max_attempts=self.settings.amqp_max_delivery_attempts,
        )

    async def start(self) -> None:
        await self.broker.connect()
        self._connection = await aio_pika.connect_robust(
            str(self.settings.amqp_url),
            client_properties={"connection_name": self.settings.service_name},
        )
        async with self._connection.channel() as channel:
            await declare_dead_letter(channel)
        for _ in range(RAW_PUBLISH_CHANNELS):
            publishing = await self._connection.channel(publisher_confirms=True)
            self._raw_exchanges.append(
                await publishing.get_exchange(Exchange.MQTT.value, ensure=False)
            )
        await self.broker.start()
        for consumer in self._consumers:
            await consumer.start(self._connection, self.settings.amqp_prefetch)
        self._started = True

    async def stop(self) -> None:
        """Stop consuming, wait for in-flight handlers, close the connections."""
        self._started = False
        self._raw_exchanges = []
        for consumer in self._consumers:
            await consumer.stop()
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
        await self.broker.stop()

    async def healthy(self) -> bool:
        """True while started and both connections are up."""
        consumers_up = self._connection is not None and not self._connection.is_closed
        return self._started and consumers_up and await self.broker.ping(timeout=2.0)

    async def publish_iop(self, topic: MqttTopic[M], payload: M, **params: str) -> None:
        await publish_iop(self.broker, topic, payload, **params)
        if self.metrics is not None:
            self.metrics.published.labels("amq.topic").inc()

    async def publish_raw(
        self, routing_key: str, body: bytes, *, message_id: str | None = None
    ) -> None:
        """Publish JSON bytes as they are onto ``amq.topic`` (MQTT subscribers receive them):
        persistent, returned once the broker confirmed it.

        The hot path of relays (every OCPP request of every station): straight on an aio-pika
        confirm channel, which costs a fraction of a FastStream publish per message."""
        if not self._raw_exchanges:
            raise RuntimeError("the bus is not started")
        self._next_raw = (self._next_raw + 1) % len(self._raw_exchanges)
        await self._raw_exchanges[self._next_raw].publish(
            aio_pika.Message(
                body,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                content_type=JSON,
                message_id=message_id,
                app_id=self.settings.service_name,
            ),
            routing_key,
            mandatory=False,
        )
        if self.metrics is not None:
            self.metrics.published.labels("amq.topic").inc()

    async def call(
        self, endpoint: RpcEndpoint[Req, Resp], request: Req, *, timeout: float = 10.0
    ) -> Resp:
        return await rpc.call(self.broker, endpoint, request, timeout=timeout)
