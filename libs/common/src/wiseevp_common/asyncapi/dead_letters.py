"""The dead-letter exchange's channel: the bus queues, and the message with its headers."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from .. import topology
from ..settings import ServiceSettings
from ..topology import DeadLetterHeader, DeadLetterReason, Exchange, QueueSpec
from .constants import AMQP_BINDING_VERSION, AMQP_SERVER, MESSAGES, JsonDict

_HEADER_DOCS: dict[str, tuple[JsonDict, str]] = {
    DeadLetterHeader.REASON.value: (
        {"type": "string", "enum": [r.value for r in DeadLetterReason]},
        "Why the message was dead-lettered: `invalid-payload` (did not validate, or its id "
        "differs from the topic's), `unknown-topic` (no topic of the contract matches its "
        "routing key) or `processing-failed` (the handler kept failing).",
    ),
    DeadLetterHeader.ERROR.value: (
        {"type": "string"},
        "The error, readable (validation errors as `field: message`; inputs are not echoed).",
    ),
    DeadLetterHeader.SERVICE.value: (
        {"type": "string"},
        "The service that gave up on the message (`WISEEVP_SERVICE_NAME` of the consumer).",
    ),
    DeadLetterHeader.QUEUE.value: (
        {"type": "string"},
        "The queue the message was consumed from (also the dead letter's routing key).",
    ),
    DeadLetterHeader.EXCHANGE.value: (
        {"type": "string"},
        "The exchange the message was originally published to (`amq.topic` for MQTT).",
    ),
    DeadLetterHeader.ROUTING_KEY.value: (
        {"type": "string"},
        "The routing key the message was originally published with (its MQTT topic with "
        "`/` turned into `.`).",
    ),
    DeadLetterHeader.ATTEMPTS.value: (
        {"type": "integer", "minimum": 1},
        "How many times the message was delivered before it was dead-lettered.",
    ),
    DeadLetterHeader.FAILED_AT.value: (
        {"type": "string", "format": "date-time"},
        "When it was dead-lettered (ISO 8601, UTC).",
    ),
}


def dead_letter_channel(queues: Sequence[QueueSpec]) -> JsonDict:
    attempts = ServiceSettings.model_fields["amqp_max_delivery_attempts"].default
    rows = [
        "| Queue | Bound to | Dead-letters | Description |",
        "| --- | --- | --- | --- |",
    ]
    for queue in queues:
        bound = ", ".join(f"`{b.exchange.value}` `{b.routing_key}`" for b in queue.bindings)
        rows.append(
            f"| `{queue.name}` | {bound or '-'} | {'yes' if queue.dead_letter else 'no'} "
            f"| {queue.description} |"
        )
    description = "\n".join(
        [
            f"The topic exchange `{Exchange.DEAD_LETTER.value}` receives every message a wiseevp "
            "consumer could not process, with the source queue's name as routing key; the "
            f"queue `{topology.Queue.DEAD_LETTER.name}` (bound with `#`) keeps them all for "
            "inspection. Nothing consumes it automatically.",
            "",
            "A consumer dead-letters a message at once when it can never succeed (invalid "
            "payload, unknown topic) and after the last of `WISEEVP_AMQP_MAX_DELIVERY_ATTEMPTS` "
            f"deliveries (default {attempts}) when its handler keeps failing, adding the "
            "`x-wiseevp-*` headers below. As a backstop, the broker dead-letters a message "
            "whose deliveries reach the queue's `x-delivery-limit` (a consumer that crashed "
            "every time): such a message carries RabbitMQ's `x-death` header instead.",
            "",
            "Every queue is a durable quorum queue; those marked below dead-letter here.",
            "",
            *rows,
        ]
    )
    return {
        "description": description,
        "servers": [AMQP_SERVER],
        "subscribe": {
            "operationId": "dead_letter",
            "summary": "Inspect messages wiseevp could not process.",
            "tags": [{"name": "dead-letter"}],
            "bindings": {"amqp": {"ack": True, "bindingVersion": AMQP_BINDING_VERSION}},
            "message": {"$ref": MESSAGES + "dead_letter"},
        },
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {
                    "name": Exchange.DEAD_LETTER.value,
                    "type": "topic",
                    "durable": True,
                    "autoDelete": False,
                    "vhost": "/",
                },
                "bindingVersion": AMQP_BINDING_VERSION,
            }
        },
        "x-wiseevp-queues": [_queue_doc(queue, attempts) for queue in queues],
    }


def _queue_doc(queue: QueueSpec, attempts: int) -> JsonDict:
    doc: JsonDict = {
        "name": queue.name,
        "type": "quorum",
        "durable": True,
        "bindings": [
            {"exchange": b.exchange.value, "routingKey": b.routing_key} for b in queue.bindings
        ],
        "description": queue.description,
    }
    if queue.dead_letter:
        doc["deadLetter"] = {
            "exchange": Exchange.DEAD_LETTER.value,
            "routingKey": queue.name,
            "deliveryLimitDefault": attempts,
        }
    return doc


def dead_letter_message() -> JsonDict:
    properties: JsonDict = {}
    for header in DeadLetterHeader:
        schema, description = _HEADER_DOCS.get(
            header.value,
            ({"type": "string"}, f"Set by wiseevp when dead-lettering ({header.name})."),
        )
        properties[header.value] = {**copy.deepcopy(schema), "description": description}
    return {
        "messageId": "dead_letter",
        "name": "DeadLetter",
        "title": "A dead-lettered message",
        "summary": "The original message, unchanged, with the reason in headers.",
        "headers": {
            "type": "object",
            "description": (
                "AMQP headers. Set by wiseevp consumers; the original message's own headers "
                "are kept beside them. Absent when the broker dead-lettered the message "
                "(delivery limit reached): see `x-death` then."
            ),
            "properties": properties,
        },
        "payload": {
            "description": (
                "The original message body, byte for byte (for IOP topics the JSON payload of "
                "the source channel), with its original content type, message id and "
                "correlation id."
            )
        },
        "bindings": {"amqp": {"bindingVersion": AMQP_BINDING_VERSION}},
    }
