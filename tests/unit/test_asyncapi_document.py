"""The AsyncAPI document generated from the topology: its structure, and the official schema.

No pip package ships the official AsyncAPI 2.6.0 JSON schema and the tests have no network,
so the document is checked against the structural rules that matter to its readers (every
topic present, messages with payloads, resolvable ``$ref``s, parameters matching the topic
template, QoS and retain as in the topology, the dead-letter channel and the queues). When the
official schema file is available (``WISEEVP_ASYNCAPI_SCHEMA`` or
``tests/data/asyncapi-2.6.0.json``, e.g. ``schemas/2.6.0.json`` of the npm package
``@asyncapi/specs``), the document is validated against it as well.

The payload schemas are tested in :mod:`tests.unit.test_asyncapi_schemas`, ``wiseevp docs``
in :mod:`tests.unit.test_docs_command`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from tests.support.json_refs import deref, resolve, walk
from wiseevp_cli import docs
from wiseevp_common.asyncapi import binding_matches, build_asyncapi
from wiseevp_common.ocpp_topology import EVSE_WRAPPER_COMMANDS, OSCP_FP_PROFILE_RESULTS
from wiseevp_common.topology import (
    ALL_IOP_TOPICS,
    DeadLetterHeader,
    DeadLetterReason,
    Exchange,
    IopTopic,
    Queue,
    QueueSpec,
)

ROOT = Path(__file__).resolve().parents[2]
OFFICIAL_SCHEMA = Path(
    os.environ.get("WISEEVP_ASYNCAPI_SCHEMA", ROOT / "tests" / "data" / "asyncapi-2.6.0.json")
)
COMPONENT_KEY = re.compile(r"^[\w\d.\-_]+$")


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return build_asyncapi()


def operations(channel: dict[str, Any]) -> list[dict[str, Any]]:
    return [channel[op] for op in ("publish", "subscribe") if op in channel]


# -- structure ------------------------------------------------------------------------------


def test_document_header(doc: dict[str, Any]) -> None:
    assert doc["asyncapi"] == "2.6.0"
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["servers"]["mqtt"]["protocol"] == "mqtt"
    assert doc["servers"]["mqtt"]["protocolVersion"] == "3.1.1"
    assert doc["servers"]["amqp"]["protocol"] == "amqp"
    assert doc["servers"]["amqp"]["protocolVersion"] == "0.9.1"
    for server in doc["servers"].values():
        names = set(re.findall(r"\{(\w+)\}", server["url"]))
        assert names == set(server.get("variables", {})), server["url"]
        for requirement in server.get("security", []):
            assert set(requirement) <= set(doc["components"]["securitySchemes"])


def test_every_iop_topic_has_a_channel(doc: dict[str, Any]) -> None:
    assert ALL_IOP_TOPICS, "the topology has no IOP topic"
    for topic in ALL_IOP_TOPICS:
        assert topic.template in doc["channels"], topic.template


def test_every_channel_has_a_message_with_a_payload(doc: dict[str, Any]) -> None:
    for name, channel in doc["channels"].items():
        ops = operations(channel)
        assert ops, f"{name} has no operation"
        for op in ops:
            message = deref(doc, op["message"])
            variants = message.get("oneOf", [message])
            for variant in variants:
                resolved = deref(doc, variant)
                assert resolved.get("payload") not in (None, {}), f"{name}: message without payload"


def test_every_ref_resolves(doc: dict[str, Any]) -> None:
    refs = [
        (path, node["$ref"])
        for path, node in walk(doc)
        if isinstance(node, dict) and "$ref" in node
    ]
    assert refs
    for path, ref in refs:
        assert isinstance(ref, str), path
        resolve(doc, ref)


def test_component_names_and_ids_are_valid_and_unique(doc: dict[str, Any]) -> None:
    for kind, entries in doc["components"].items():
        for key in entries:
            assert COMPONENT_KEY.match(key), (kind, key)
    operation_ids = [op["operationId"] for ch in doc["channels"].values() for op in operations(ch)]
    assert len(operation_ids) == len(set(operation_ids))
    message_ids = [m["messageId"] for m in doc["components"]["messages"].values()]
    assert len(message_ids) == len(set(message_ids))


def test_parameters_match_the_template(doc: dict[str, Any]) -> None:
    for name, channel in doc["channels"].items():
        in_template = re.findall(r"\{(\w+)\}", name)
        assert list(channel.get("parameters", {})) == in_template, name
        for parameter in channel.get("parameters", {}).values():
            assert parameter["description"]
            assert parameter["schema"]["type"] == "string"


def test_iop_channels_follow_the_topology(doc: dict[str, Any]) -> None:
    for topic in ALL_IOP_TOPICS:
        channel = doc["channels"][topic.template]
        (operation,) = operations(channel)
        mqtt = operation["bindings"]["mqtt"]
        assert mqtt["qos"] == topic.qos
        assert mqtt["qos"] in (0, 1, 2)
        assert mqtt["retain"] is topic.retained
        routing_key = topic.template.replace("/", ".")
        assert routing_key in channel["description"]
        assert topic.binding_key in channel["description"]
        assert channel["x-wiseevp-amqp-routing-key"] == routing_key
        assert channel["x-wiseevp-mqtt-filter"] == topic.mqtt_filter
        assert "encode_level" in channel["description"]
        assert set(channel["servers"]) <= set(doc["servers"])
        message = deref(doc, operation["message"])
        assert message["contentType"] == "application/json"
        payload = deref(doc, message["payload"])
        assert payload.get("title") == topic.model.__name__
        if topic.payload_id_field is not None:
            first = channel["parameters"][topic.parameters[0]]
            assert first["location"].startswith("$message.payload#/")


# -- dead letters and queues ------------------------------------------------------------------


def test_dead_letter_channel_documents_headers_reasons_and_queues(doc: dict[str, Any]) -> None:
    channel = doc["channels"][Exchange.DEAD_LETTER.value]
    amqp = channel["bindings"]["amqp"]
    assert amqp["is"] == "routingKey"
    assert amqp["exchange"]["name"] == Exchange.DEAD_LETTER.value
    assert amqp["exchange"]["type"] == "topic"
    message = deref(doc, channel["subscribe"]["message"])
    headers = message["headers"]["properties"]
    assert list(headers) == [h.value for h in DeadLetterHeader]
    for header in headers.values():
        assert header["description"]
    reason = headers[DeadLetterHeader.REASON.value]
    assert reason["enum"] == [r.value for r in DeadLetterReason]
    queues = [
        *(v for v in vars(Queue).values() if isinstance(v, QueueSpec)),
        EVSE_WRAPPER_COMMANDS,
        OSCP_FP_PROFILE_RESULTS,
    ]
    documented = {q["name"]: q for q in channel["x-wiseevp-queues"]}
    assert list(documented) == [q.name for q in queues]
    for queue in queues:
        assert f"`{queue.name}`" in channel["description"]
        assert ("deadLetter" in documented[queue.name]) is queue.dead_letter


def test_binding_matches() -> None:
    assert binding_matches("MQTT.EV.#", "MQTT.EV.*.status")
    assert binding_matches("#", "MQTT.EV.*.status")
    assert binding_matches("MQTT.*.*.status", "MQTT.EV.*.status")
    assert not binding_matches("MQTT.EVSE.#", "MQTT.EV.*.status")
    assert not binding_matches("MQTT.EV.x.status", "MQTT.EV.*.status")
    assert not binding_matches("MQTT.EV.*", "MQTT.EV.*.status")


def test_iop_channels_name_the_queues_they_reach(doc: dict[str, Any]) -> None:
    ev = doc["channels"][IopTopic.EV_STATUS.template]
    assert ev["x-wiseevp-queues"] == [Queue.RT_MONITOR_EV.name]


# -- determinism and the official schema ------------------------------------------------------


def test_document_is_deterministic() -> None:
    first = docs.render_asyncapi(build_asyncapi())
    assert first == docs.render_asyncapi(build_asyncapi())
    assert "&id" not in first and "*id" not in first  # no YAML anchors
    assert yaml.safe_load(first) == json.loads(json.dumps(build_asyncapi()))


def test_official_asyncapi_schema(doc: dict[str, Any]) -> None:
    schema = json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(doc))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
