"""The AsyncAPI 2.6.0 document of wiseevp's IOP, generated from :mod:`wiseevp_common.topology`.

:func:`build_asyncapi` is a pure function of the topology: one channel per IOP topic of
:data:`~wiseevp_common.topology.ALL_IOP_TOPICS` (channel name = MQTT topic template), whose
message payload is the JSON schema of the topic's pydantic model (serialization mode, by alias:
the wire form), plus one channel for the dead-letter exchange documenting the bus queues of
:class:`~wiseevp_common.topology.Queue` and the ``x-wiseevp-*`` dead-letter headers. Nothing in
here names a topic: topics added to the topology appear in the document without changes.

``wiseevp docs`` writes the document to ``docs/asyncapi.yaml``; ``wiseevp docs --check`` (CI)
fails when that file is stale.
"""

from __future__ import annotations

import copy
import importlib.metadata
import inspect
import re
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import topology
from .settings import ServiceSettings
from .topology import (
    DeadLetterHeader,
    DeadLetterReason,
    Exchange,
    MqttTopic,
    QueueSpec,
    encode_level,
    mqtt_to_routing_key,
)

JsonDict = dict[str, Any]

ASYNCAPI_VERSION = "2.6.0"
MQTT_BINDING_VERSION = "0.1.0"
AMQP_BINDING_VERSION = "0.2.0"
CONTENT_TYPE = "application/json"
SCHEMAS = "#/components/schemas/"
MESSAGES = "#/components/messages/"

MQTT_SERVER = "mqtt"
AMQP_SERVER = "amqp"
SECURITY_SCHEME = "userPassword"

ENCODED_LEVEL_PATTERN = r"^(?:[A-Za-z0-9_~-]|%[0-9A-F]{2})+$"
"""What a percent-encoded identifier (:func:`~wiseevp_common.topology.encode_level`) looks like."""

ENCODING_EXAMPLE = "CP.01/a"

ENCODING_RULE = (
    "Identifiers are percent-encoded before they become a topic level (`encode_level`): every "
    "character outside `[A-Za-z0-9_~-]`, dots included, is written `%XX` (upper-case hex of its "
    "UTF-8 bytes), so a dot cannot split an AMQP routing-key word, a slash cannot split an MQTT "
    "level and no wildcard can leak into a topic: `{raw}` is sent as `{encoded}`. Receivers "
    "percent-decode the level."
)

_PARAM = re.compile(r"\{(\w+)\}")

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


def build_asyncapi(
    *,
    topics: Sequence[MqttTopic[Any]] | None = None,
    queues: Sequence[QueueSpec] | None = None,
    version: str | None = None,
) -> JsonDict:
    """The AsyncAPI 2.6.0 document (a JSON-compatible dict in a stable key order).

    ``topics`` defaults to :data:`~wiseevp_common.topology.ALL_IOP_TOPICS` and ``queues`` to
    every :class:`~wiseevp_common.topology.QueueSpec` of :class:`~wiseevp_common.topology.Queue`,
    both read when called; ``version`` (``info.version``) to the wiseevp-common version.
    """
    topics = tuple(topology.ALL_IOP_TOPICS if topics is None else topics)
    queues = tuple(topology_queues() if queues is None else queues)
    schemas, payload_refs = _payload_schemas(topic.model for topic in topics)

    channels: JsonDict = {}
    messages: JsonDict = {}
    used_ids: set[str] = set()
    for topic in topics:
        name = _unique_name(topic, used_ids)
        if topic.template in channels:
            raise ValueError(f"IOP topic {topic.template!r} appears twice in the topology")
        channels[topic.template] = _topic_channel(topic, name, queues)
        messages[name] = _topic_message(topic, name, payload_refs[topic.model])
    channels[Exchange.DEAD_LETTER.value] = _dead_letter_channel(queues)
    messages["dead_letter"] = _dead_letter_message()

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:wiseevp:iop",
        "info": {
            "title": "wiseevp IOP",
            "version": version if version is not None else _package_version(),
            "description": _info_description(),
            "license": {
                "name": "Apache-2.0",
                "url": "https://www.apache.org/licenses/LICENSE-2.0",
            },
        },
        "servers": _servers(),
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "userPassword",
                    "description": (
                        "A RabbitMQ user name and password (anonymous MQTT is disabled). "
                        "An MQTT client picks a vhost other than `/` with the user name "
                        "`vhost:user`, e.g. `wiseevp_test:guest`."
                    ),
                }
            },
        },
        "tags": _tags(topics),
    }


def topology_queues() -> tuple[QueueSpec, ...]:
    """Every queue of :class:`~wiseevp_common.topology.Queue`, in declaration order."""
    return tuple(v for v in vars(topology.Queue).values() if isinstance(v, QueueSpec))


def routing_key_template(topic: MqttTopic[Any]) -> str:
    """``MQTT/EV/{ev_id}/status`` → ``MQTT.EV.{ev_id}.status``."""
    return mqtt_to_routing_key(topic.template)


def binding_matches(pattern: str, routing_key: str) -> bool:
    """Whether AMQP topic binding ``pattern`` (``*``, ``#``) matches every instance of
    ``routing_key``, whose ``*`` words stand for any (percent-encoded) identifier."""
    return _match_words(pattern.split("."), routing_key.split("."))


def _match_words(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match_words(rest, words[i:]) for i in range(len(words) + 1))
    if not words:
        return False
    if head == "*" or head == words[0]:
        return _match_words(rest, words[1:])
    return False


def queues_of(topic: MqttTopic[Any], queues: Iterable[QueueSpec]) -> list[str]:
    """Names of the queues that receive every message of ``topic`` (bound to ``amq.topic``)."""
    return [
        queue.name
        for queue in queues
        if any(
            b.exchange is Exchange.MQTT and binding_matches(b.routing_key, topic.binding_key)
            for b in queue.bindings
        )
    ]


# -- payload schemas ----------------------------------------------------------------------


def _payload_schemas(
    models: Iterable[type[BaseModel]],
) -> tuple[JsonDict, dict[type[BaseModel], JsonDict]]:
    """``components/schemas`` and each model's payload ``$ref``.

    pydantic's multi-model form of ``model_json_schema(by_alias=True, mode="serialization")``:
    one generator for every model, so two different classes of the same name get distinct
    component names instead of overwriting each other. Definitions land in
    ``components/schemas`` and are converted to the JSON Schema draft 07 that AsyncAPI 2.x uses.
    """
    unique = list(dict.fromkeys(models))
    if not unique:
        return {}, {}
    refs, top = models_json_schema(
        [(model, "serialization") for model in unique],
        by_alias=True,
        ref_template=SCHEMAS + "{model}",
    )
    definitions = top.get("$defs", {})
    schemas = {name: _draft07(definitions[name]) for name in sorted(definitions)}
    payloads = {model: _draft07(refs[(model, "serialization")]) for model in unique}
    return schemas, payloads


def _draft07(schema: Any) -> Any:
    """pydantic's JSON Schema 2020-12 → the draft 07 dialect of AsyncAPI 2.x schema objects:
    ``prefixItems`` → array-form ``items``, ``discriminator`` objects → the property name,
    ``#/$defs/`` references → ``#/components/schemas/``."""
    if isinstance(schema, list):
        return [_draft07(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: JsonDict = {}
    for key, value in schema.items():
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            out[key] = SCHEMAS + value.removeprefix("#/$defs/")
        elif key in ("properties", "patternProperties", "$defs", "definitions") and isinstance(
            value, dict
        ):
            out[key] = {name: _draft07(sub) for name, sub in value.items()}
        elif key == "discriminator" and isinstance(value, dict):
            out[key] = value.get("propertyName", "")
        elif key == "prefixItems":
            out["items"] = _draft07(value)
            if "items" in schema:
                out["additionalItems"] = _draft07(schema["items"])
        elif key == "items" and "prefixItems" in schema:
            continue
        else:
            out[key] = _draft07(value)
    return out


# -- IOP channels ---------------------------------------------------------------------------


def _unique_name(topic: MqttTopic[Any], used: set[str]) -> str:
    """``MQTT/EV/{ev_id}/status`` → ``ev_status`` (operation and message id)."""
    levels = topic.template.split("/")
    if levels and levels[0] == "MQTT":
        levels = levels[1:]
    literal = [lvl for lvl in levels if not _PARAM.fullmatch(lvl)]
    candidates = [
        "_".join(literal),
        "_".join(_PARAM.sub(r"\1", lvl) for lvl in levels),
    ]
    base = _identifier(next((c for c in candidates if c and _identifier(c) not in used), ""))
    if not base:
        base = _identifier("_".join(levels)) or "topic"
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}_{n}"
    used.add(name)
    return name


def _identifier(text: str) -> str:
    return re.sub(r"[^0-9a-z_]+", "_", text.lower()).strip("_")


def _topic_channel(topic: MqttTopic[Any], name: str, queues: Sequence[QueueSpec]) -> JsonDict:
    stored_by = queues_of(topic, queues)
    routing_key = routing_key_template(topic)
    lines = [
        topic.description,
        "",
        f"- MQTT: topic `{topic.template}`, QoS {topic.qos}, "
        f"{'retained' if topic.retained else 'not retained'}; "
        f"subscribe to every instance with `{topic.mqtt_filter}`.",
        f"- AMQP: exchange `{Exchange.MQTT.value}`, routing key `{routing_key}` (RabbitMQ's "
        f"MQTT plugin turns `/` into `.`); bind with `{topic.binding_key}`.",
    ]
    if topic.parameters:
        names = ", ".join(f"`{{{p}}}`" for p in topic.parameters)
        lines.append(
            f"- {names}: percent-encoded (`encode_level`): every character outside "
            "`[A-Za-z0-9_~-]`, dots included, becomes `%XX` (upper-case hex of its UTF-8 bytes): "
            f"`{ENCODING_EXAMPLE}` is sent as `{encode_level(ENCODING_EXAMPLE)}`. "
            "Percent-decode to get the identifier."
        )
    if stored_by:
        lines.append(
            "- wiseevp queues bound to it: " + ", ".join(f"`{q}`" for q in stored_by) + "."
        )
    channel: JsonDict = {"description": "\n".join(lines)}
    if topic.parameters:
        channel["parameters"] = {p: _parameter(topic, i, p) for i, p in enumerate(topic.parameters)}
    channel["servers"] = [MQTT_SERVER, AMQP_SERVER]
    channel["subscribe"] = {
        "operationId": name,
        "summary": f"Receive {topic.template} messages.",
        "description": _delivery(topic),
        "tags": [{"name": tag} for tag in _topic_tags(topic)],
        "bindings": {
            "mqtt": {
                "qos": topic.qos,
                "retain": topic.retained,
                "bindingVersion": MQTT_BINDING_VERSION,
            },
            "amqp": {"deliveryMode": 2, "bindingVersion": AMQP_BINDING_VERSION},
        },
        "message": {"$ref": MESSAGES + name},
    }
    channel["x-wiseevp-mqtt-filter"] = topic.mqtt_filter
    channel["x-wiseevp-amqp-exchange"] = Exchange.MQTT.value
    channel["x-wiseevp-amqp-routing-key"] = routing_key
    channel["x-wiseevp-amqp-binding-key"] = topic.binding_key
    channel["x-wiseevp-queues"] = stored_by
    return channel


def _delivery(topic: MqttTopic[Any]) -> str:
    if topic.retained:
        return (
            f"Published with QoS {topic.qos} and the retain flag: a new subscriber first "
            "receives the last message of every instance. Publishers must use the same QoS "
            "and retain flag."
        )
    return (
        f"Published with QoS {topic.qos}, not retained: a subscriber receives what is "
        "published while it is subscribed. Publishers must use the same QoS."
    )


def _parameter(topic: MqttTopic[Any], index: int, name: str) -> JsonDict:
    description = f"`{name}`, percent-encoded (`encode_level`, see the channel description)."
    parameter: JsonDict = {
        "description": description,
        "schema": {"type": "string", "pattern": ENCODED_LEVEL_PATTERN},
    }
    if index == 0 and topic.payload_id_field is not None:
        alias = _wire_name(topic.model, topic.payload_id_field)
        parameter["description"] = (
            f"{description} Once decoded it equals the payload's `{alias}`; a message whose "
            "payload says otherwise is rejected (dead-lettered as `invalid-payload`)."
        )
        parameter["location"] = f"$message.payload#/{alias}"
    return parameter


def _wire_name(model: type[BaseModel], field_name: str) -> str:
    field = model.model_fields.get(field_name)
    if field is None:
        return field_name
    return field.serialization_alias or field.alias or field_name


def _topic_message(topic: MqttTopic[Any], name: str, payload: JsonDict) -> JsonDict:
    message: JsonDict = {
        "messageId": name,
        "name": topic.model.__name__,
        "title": f"{topic.model.__name__} on {topic.template}",
        "summary": topic.description,
    }
    doc = inspect.getdoc(topic.model)
    if doc and doc != inspect.getdoc(BaseModel):
        message["description"] = doc
    message["contentType"] = CONTENT_TYPE
    message["payload"] = payload
    message["bindings"] = {
        "mqtt": {"bindingVersion": MQTT_BINDING_VERSION},
        "amqp": {"contentEncoding": "utf-8", "bindingVersion": AMQP_BINDING_VERSION},
    }
    return message


def _topic_tags(topic: MqttTopic[Any]) -> list[str]:
    """The first literal level after ``MQTT`` (``EV``, ``EVSE``, ...)."""
    for level in topic.template.split("/")[1:]:
        if not _PARAM.fullmatch(level):
            return [level]
    return []


def _tags(topics: Sequence[MqttTopic[Any]]) -> list[JsonDict]:
    names = list(dict.fromkeys(tag for t in topics for tag in _topic_tags(t)))
    tags = [{"name": name, "description": f"IOP topics under MQTT/{name}/."} for name in names]
    tags.append({"name": "dead-letter", "description": "Messages wiseevp could not process."})
    return tags


# -- dead letters ---------------------------------------------------------------------------


def _dead_letter_channel(queues: Sequence[QueueSpec]) -> JsonDict:
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


def _dead_letter_message() -> JsonDict:
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


# -- servers and info -----------------------------------------------------------------------


def _servers() -> JsonDict:
    security: list[dict[str, list[str]]] = [{SECURITY_SCHEME: []}]
    return {
        MQTT_SERVER: {
            "url": "mqtt://{host}:{port}",
            "protocol": "mqtt",
            "protocolVersion": "3.1.1",
            "description": (
                "RabbitMQ's MQTT plugin (`rabbitmq_mqtt`), which publishes into and reads "
                f"from the `{Exchange.MQTT.value}` exchange of vhost `/`. Port 1883 with "
                "docker-compose; 1884 on development machines, where Mosquitto holds 1883 "
                "(`deploy/rabbitmq/setup-local.sh`)."
            ),
            "variables": {
                "host": {"default": "localhost", "description": "The RabbitMQ host."},
                "port": {"default": "1883", "description": "The MQTT listener's port."},
            },
            "security": security,
        },
        AMQP_SERVER: {
            "url": "amqp://{host}:{port}",
            "protocol": "amqp",
            "protocolVersion": "0.9.1",
            "description": (
                "The same RabbitMQ broker over AMQP 0-9-1, vhost `/`. IOP topics are the "
                f"`{Exchange.MQTT.value}` exchange's routing keys; wiseevp's own queues and "
                f"the `{Exchange.DEAD_LETTER.value}` exchange live here too."
            ),
            "variables": {
                "host": {"default": "localhost", "description": "The RabbitMQ host."},
                "port": {"default": "5672", "description": "The AMQP listener's port."},
            },
            "security": security,
        },
    }


def _info_description() -> str:
    return "\n".join(
        [
            "The interoperability platform (IOP) topics of wiseevp, the contract other grid "
            "tools publish and subscribe by. Generated from "
            "`libs/common/src/wiseevp_common/topology.py` by `wiseevp docs`: do not edit.",
            "",
            "Every topic is reachable two ways on one RabbitMQ broker: as an MQTT 3.1.1 topic "
            "(server `mqtt`) and as a routing key of the AMQP exchange "
            f"`{Exchange.MQTT.value}` (server `amqp`), where `/` becomes `.` "
            "(`MQTT/EV/x/status` ⇄ `MQTT.EV.x.status`).",
            "",
            _encoding_rule(),
            "",
            "Each channel's `subscribe` operation is what a client receives; whoever "
            "publishes on a channel (EV wrappers, devices, other tools) must send exactly "
            "that message, with the same QoS and retain flag.",
            "",
            "Payloads are UTF-8 JSON as described by their schema (field names as on the "
            "wire); optional fields that are absent are omitted, not null. wiseevp consumers "
            "validate every message at the edge and dead-letter what does not match this "
            f"contract (channel `{Exchange.DEAD_LETTER.value}`).",
        ]
    )


def _encoding_rule() -> str:
    return ENCODING_RULE.format(raw=ENCODING_EXAMPLE, encoded=encode_level(ENCODING_EXAMPLE))


def _package_version() -> str:
    try:
        return importlib.metadata.version("wiseevp-common")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - always installed
        return "0.0.0"
