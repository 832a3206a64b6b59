"""Typed, persistent publishing."""

from __future__ import annotations

from typing import TypeVar

from faststream.rabbit import RabbitBroker
from pydantic import BaseModel

from ..messages.types import wire_json
from ..topology import Exchange, MqttTopic
from .declare import rabbit_exchange

JSON = "application/json"


M = TypeVar("M", bound=BaseModel)


async def publish_iop(broker: RabbitBroker, topic: MqttTopic[M], payload: M, **params: str) -> None:
    """Publish an IOP message from AMQP onto ``amq.topic``; MQTT subscribers receive it too."""
    await broker.publish(
        wire_json(payload),
        exchange=rabbit_exchange(Exchange.MQTT),
        routing_key=topic.routing_key(**params),
        persist=True,
        content_type=JSON,
    )
