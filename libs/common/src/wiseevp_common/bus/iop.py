"""Edge validation of IOP messages consumed over AMQP: topic → model, or a dead letter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from ..messages.validation import describe_validation_error
from ..topology import DeadLetterReason, MqttTopic, match_topic
from .delivery import Delivery, Handler, InvalidMessage


@dataclass(frozen=True)
class IopMessage:
    """A validated IOP message: which topic, its decoded parameters, the payload model."""

    topic: MqttTopic[Any]
    params: dict[str, str]
    payload: BaseModel
    delivery: Delivery


IopHandler = Callable[[IopMessage], Awaitable[None]]


def parse_iop(delivery: Delivery, topics: tuple[MqttTopic[Any], ...]) -> IopMessage:
    """Match the routing key to a topic and validate the payload; raise :class:`InvalidMessage`."""
    found = match_topic(delivery.routing_key, topics)
    if found is None:
        raise InvalidMessage(
            DeadLetterReason.UNKNOWN_TOPIC, f"no IOP topic matches {delivery.routing_key!r}"
        )
    topic, params = found
    try:
        payload = topic.model.model_validate_json(delivery.body)
    except ValidationError as exc:
        raise InvalidMessage(
            DeadLetterReason.INVALID_PAYLOAD, describe_validation_error(exc)
        ) from None
    if topic.payload_id_field is not None:
        topic_id = params[topic.parameters[0]]
        payload_id = getattr(payload, topic.payload_id_field)
        if payload_id != topic_id:
            raise InvalidMessage(
                DeadLetterReason.INVALID_PAYLOAD,
                f"{topic.payload_id_field} {payload_id!r} does not match topic id {topic_id!r}",
            )
    return IopMessage(topic, params, payload, delivery)


def iop_handler(topics: tuple[MqttTopic[Any], ...], handler: IopHandler) -> Handler:
    """Wrap an :data:`IopHandler` so it only ever sees valid messages of ``topics``."""

    async def handle(delivery: Delivery) -> None:
        await handler(parse_iop(delivery, topics))

    return handle
