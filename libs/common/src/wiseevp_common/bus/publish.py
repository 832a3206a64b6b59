"""Typed, persistent publishing."""

from __future__ import annotations

from typing import TypeVar

from faststream.rabbit import RabbitBroker
from pydantic import BaseModel

from ..topology import Exchange, MqttTopic
from .declare import rabbit_exchange

JSON = "application/json"


def encode(model: BaseModel) -> bytes:
    """The wire form of every wiseevp message: JSON with aliases, absent optionals omitted."""
    return model.model_dump_json(by_alias=True, exclude_none=True).encode()


M = TypeVar("M", bound=BaseModel)


async def publish_iop(broker: RabbitBroker, topic: MqttTopic[M], payload: M, **params: str) -> None:
    """Publish an IOP message from AMQP onto ``amq.topic``; MQTT subscribers receive it too."""
    await broker.publish(
        encode(payload),
        exchange=rabbit_exchange(Exchange.MQTT),
        routing_key=topic.routing_key(**params),
        persist=True,
        content_type=JSON,
    )
