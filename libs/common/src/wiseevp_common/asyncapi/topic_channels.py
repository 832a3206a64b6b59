"""One channel per IOP topic: its description, parameters, ``subscribe`` operation and message."""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from ..topology import Exchange, MqttTopic, QueueSpec, encode_level
from .constants import (
    AMQP_BINDING_VERSION,
    AMQP_SERVER,
    CONTENT_TYPE,
    ENCODED_LEVEL_PATTERN,
    ENCODING_EXAMPLE,
    MESSAGES,
    MQTT_BINDING_VERSION,
    MQTT_SERVER,
    JsonDict,
)
from .routing import queues_of, routing_key_template

_PARAM = re.compile(r"\{(\w+)\}")


def unique_name(topic: MqttTopic[Any], used: set[str]) -> str:
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


def topic_channel(topic: MqttTopic[Any], name: str, queues: Sequence[QueueSpec]) -> JsonDict:
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
        "tags": [{"name": tag} for tag in topic_tags(topic)],
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


def topic_message(topic: MqttTopic[Any], name: str, payload: JsonDict) -> JsonDict:
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


def topic_tags(topic: MqttTopic[Any]) -> list[str]:
    """The first literal level after ``MQTT`` (``EV``, ``EVSE``, ...)."""
    for level in topic.template.split("/")[1:]:
        if not _PARAM.fullmatch(level):
            return [level]
    return []
