"""Channels of the OCPP frames the EVSE wrapper relays: station messages, commands, results.

Payload schemas are the official OCPP 1.6 JSON schemas of the ``ocpp`` package (draft 04,
which AsyncAPI's draft-07 schema objects accept once ``$schema``/``id`` are dropped).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..ocpp_topology import (
    MAX_UNIQUE_ID_LENGTH,
    RESULT_LEVEL,
    Direction,
    OcppTopic,
    ResultReason,
    ocpp16_schema,
)
from ..topology import Exchange, QueueSpec, mqtt_to_routing_key
from .constants import (
    AMQP_BINDING_VERSION,
    AMQP_SERVER,
    CONTENT_TYPE,
    ENCODED_LEVEL_PATTERN,
    MESSAGES,
    MQTT_BINDING_VERSION,
    MQTT_SERVER,
    SCHEMAS,
    JsonDict,
)
from .routing import binding_matches

CORRELATION = (
    "Correlation: publish a command on `MQTT/EVSE/<id>/<topic>/<request id>` (or on "
    "`MQTT/EVSE/<id>/<topic>`, when the wrapper uses the AMQP `message_id` if there is one, "
    "else a new UUID, as request id) and subscribe to "
    f"`MQTT/EVSE/<id>/{RESULT_LEVEL}/<topic>/<request id>`. Exactly one result follows each "
    'command: the OCPP-J frame `[3, "<request id>", {response}]` when the station answered '
    'with a CALLRESULT, or `[4, "<request id>", "<errorCode>", "<description>", '
    "{details}]` for the station's CALLERROR or the wrapper's own (`details.reason`: "
    + ", ".join(f"`{r.value}`" for r in ResultReason)
    + f"). A request id of more than {MAX_UNIQUE_ID_LENGTH} characters (the OCPP-J UniqueId "
    "limit) is kept for the result but not sent to the station."
)


def ocpp_schema_components(topics: Sequence[OcppTopic]) -> JsonDict:
    """``components/schemas`` entries: each action's request and response schema."""
    out: JsonDict = {}
    for topic in topics:
        for name in (topic.action, f"{topic.action}Response"):
            out[_component(name)] = _clean(ocpp16_schema(name))
    out["OcppResultFrame"] = _result_frame_schema()
    return out


def ocpp_channels(
    topics: Sequence[OcppTopic], queues: Sequence[QueueSpec]
) -> tuple[JsonDict, JsonDict]:
    """(channels, messages) for every OCPP topic, commands with their correlated and result
    channels."""
    channels: JsonDict = {}
    messages: JsonDict = {}
    for topic in topics:
        name = f"evse_{topic.level}"
        if topic.direction is Direction.STATION:
            channels[topic.template] = _channel(topic, topic.template, name, "subscribe", queues)
            messages[name] = _message(name, topic.action, topic.description)
            continue
        request_name = f"evse_command_{topic.level}"
        messages[request_name] = _message(request_name, topic.action, topic.description)
        for template in (topic.template, topic.correlated_template):
            channels[template] = _channel(topic, template, request_name, "publish", queues)
        result_name = f"evse_result_{topic.level}"
        messages[result_name] = _result_message(result_name, topic)
        channels[topic.result_template] = _channel(
            topic, topic.result_template, result_name, "subscribe", queues
        )
    return channels, messages


def _component(name: str) -> str:
    return f"Ocpp16{name}"


def _clean(schema: dict[str, Any]) -> JsonDict:
    return {k: v for k, v in schema.items() if k not in ("$schema", "id")}


def _result_frame_schema() -> JsonDict:
    uid = {"type": "string", "minLength": 1}
    return {
        "title": "OcppResultFrame",
        "description": CORRELATION,
        "oneOf": [
            {
                "type": "array",
                "description": "CALLRESULT: the station's response payload.",
                "items": [{"const": 3}, uid, {"type": "object"}],
                "minItems": 3,
                "maxItems": 3,
            },
            {
                "type": "array",
                "description": "CALLERROR: errorCode, errorDescription, errorDetails.",
                "items": [
                    {"const": 4},
                    uid,
                    {"type": "string"},
                    {"type": "string"},
                    {"type": "object"},
                ],
                "minItems": 5,
                "maxItems": 5,
            },
        ],
    }


def _channel(
    topic: OcppTopic, template: str, name: str, operation: str, queues: Sequence[QueueSpec]
) -> JsonDict:
    routing_key = mqtt_to_routing_key(template)
    binding_key = mqtt_to_routing_key(
        "/".join("*" if lvl.startswith("{") else lvl for lvl in template.split("/"))
    )
    who = (
        "The EVSE wrapper publishes it."
        if operation == "subscribe"
        else "Publish it to command the station; the EVSE wrapper consumes it."
    )
    lines = [
        topic.description,
        "",
        f"- MQTT: topic `{template}`, QoS {topic.qos}, not retained. {who}",
        f"- AMQP: exchange `{Exchange.MQTT.value}`, routing key `{routing_key}`.",
        "- `{evse_id}` is the OCPP charge point identity, percent-encoded (`encode_level`).",
    ]
    if topic.direction is Direction.COMMAND:
        lines.append(f"- {CORRELATION}")
    stored_by = [
        q.name
        for q in queues
        if any(
            b.exchange is Exchange.MQTT and binding_matches(b.routing_key, binding_key)
            for b in q.bindings
        )
    ]
    if stored_by:
        lines.append("- wiseevp queues bound to it: " + ", ".join(f"`{q}`" for q in stored_by))
    params = [lvl[1:-1] for lvl in template.split("/") if lvl.startswith("{")]
    return {
        "description": "\n".join(lines),
        "parameters": {
            p: {
                "description": f"`{p}`, percent-encoded (`encode_level`).",
                "schema": {"type": "string", "pattern": ENCODED_LEVEL_PATTERN},
            }
            for p in params
        },
        "servers": [MQTT_SERVER, AMQP_SERVER],
        operation: {
            "operationId": name if template != topic.correlated_template else f"{name}_correlated",
            "summary": f"{'Receive' if operation == 'subscribe' else 'Send'} {template} messages.",
            "tags": [{"name": "EVSE"}],
            "bindings": {
                "mqtt": {"qos": topic.qos, "retain": False, "bindingVersion": MQTT_BINDING_VERSION},
                "amqp": {"deliveryMode": 2, "bindingVersion": AMQP_BINDING_VERSION},
            },
            "message": {"$ref": MESSAGES + name},
        },
        "x-wiseevp-amqp-exchange": Exchange.MQTT.value,
        "x-wiseevp-amqp-routing-key": routing_key,
        "x-wiseevp-amqp-binding-key": binding_key,
        "x-wiseevp-queues": stored_by,
    }


def _message(name: str, action: str, summary: str) -> JsonDict:
    return {
        "messageId": name,
        "name": f"{action}.req",
        "title": f"OCPP 1.6 {action}.req",
        "summary": summary,
        "description": "The OCPP 1.6 JSON request payload, exactly as OCPP defines it.",
        "contentType": CONTENT_TYPE,
        "payload": {"$ref": SCHEMAS + _component(action)},
        "bindings": _bindings(),
    }


def _result_message(name: str, topic: OcppTopic) -> JsonDict:
    return {
        "messageId": name,
        "name": f"{topic.action} result",
        "title": f"Result of a {topic.action} command",
        "summary": f"The outcome of one {topic.action} command.",
        "description": CORRELATION + f" A CALLRESULT's payload is a `{topic.action}.conf` "
        f"(`{SCHEMAS}{_component(topic.action + 'Response')}`).",
        "contentType": CONTENT_TYPE,
        "payload": {"$ref": SCHEMAS + "OcppResultFrame"},
        "bindings": _bindings(),
    }


def _bindings() -> JsonDict:
    return {
        "mqtt": {"bindingVersion": MQTT_BINDING_VERSION},
        "amqp": {"contentEncoding": "utf-8", "bindingVersion": AMQP_BINDING_VERSION},
    }
