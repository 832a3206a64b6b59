"""Assembly of the AsyncAPI 2.6.0 document: info, servers, channels, components and tags."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from typing import Any

from .. import topology
from ..ocpp_topology import COMMAND_TOPICS, STATION_TOPICS, OcppTopic
from ..topology import Exchange, MqttTopic, QueueSpec, encode_level
from .constants import (
    AMQP_SERVER,
    ASYNCAPI_VERSION,
    CONTENT_TYPE,
    ENCODING_EXAMPLE,
    MQTT_SERVER,
    SECURITY_SCHEME,
    JsonDict,
)
from .dead_letters import dead_letter_channel, dead_letter_message
from .ocpp_channels import ocpp_channels, ocpp_schema_components
from .routing import topology_queues
from .schemas import payload_schemas
from .topic_channels import topic_channel, topic_message, topic_tags, unique_name

ENCODING_RULE = (
    "Identifiers are percent-encoded before they become a topic level (`encode_level`): every "
    "character outside `[A-Za-z0-9_~-]`, dots included, is written `%XX` (upper-case hex of its "
    "UTF-8 bytes), so a dot cannot split an AMQP routing-key word, a slash cannot split an MQTT "
    "level and no wildcard can leak into a topic: `{raw}` is sent as `{encoded}`. Receivers "
    "percent-decode the level."
)


def build_asyncapi(
    *,
    topics: Sequence[MqttTopic[Any]] | None = None,
    queues: Sequence[QueueSpec] | None = None,
    ocpp_topics: Sequence[OcppTopic] | None = None,
    version: str | None = None,
) -> JsonDict:
    """The AsyncAPI 2.6.0 document (a JSON-compatible dict in a stable key order).

    ``topics`` defaults to :data:`~wiseevp_common.topology.ALL_IOP_TOPICS` and ``queues`` to
    every :class:`~wiseevp_common.topology.QueueSpec` of :class:`~wiseevp_common.topology.Queue`,
    both read when called; ``ocpp_topics`` to every station-initiated and command OCPP
    topic; ``version`` (``info.version``) to the wiseevp-common version.
    """
    topics = tuple(topology.ALL_IOP_TOPICS if topics is None else topics)
    queues = tuple(topology_queues() if queues is None else queues)
    schemas, payload_refs = payload_schemas(topic.model for topic in topics)

    channels: JsonDict = {}
    messages: JsonDict = {}
    used_ids: set[str] = set()
    for topic in topics:
        name = unique_name(topic, used_ids)
        if topic.template in channels:
            raise ValueError(f"IOP topic {topic.template!r} appears twice in the topology")
        channels[topic.template] = topic_channel(topic, name, queues)
        messages[name] = topic_message(topic, name, payload_refs[topic.model])
    ocpp = tuple((*STATION_TOPICS, *COMMAND_TOPICS) if ocpp_topics is None else ocpp_topics)
    ocpp_channel_map, ocpp_messages = ocpp_channels(ocpp, queues)
    for template in ocpp_channel_map:
        if template in channels:
            raise ValueError(f"topic {template!r} appears twice in the topology")
    channels.update(ocpp_channel_map)
    messages.update(ocpp_messages)
    if ocpp:
        schemas.update(ocpp_schema_components(ocpp))
    channels[Exchange.DEAD_LETTER.value] = dead_letter_channel(queues)
    messages["dead_letter"] = dead_letter_message()

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


def _tags(topics: Sequence[MqttTopic[Any]]) -> list[JsonDict]:
    names = list(dict.fromkeys(tag for t in topics for tag in topic_tags(t)))
    tags = [{"name": name, "description": f"IOP topics under MQTT/{name}/."} for name in names]
    tags.append({"name": "dead-letter", "description": "Messages wiseevp could not process."})
    return tags


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
