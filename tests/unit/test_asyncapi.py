"""The AsyncAPI document generated from the topology, and ``wiseevp docs [--check]``.

No pip package ships the official AsyncAPI 2.6.0 JSON schema and the tests have no network,
so the document is checked against the structural rules that matter to its readers (every
topic present, messages with payloads, resolvable ``$ref``s, parameters matching the topic
template, QoS and retain as in the topology, draft-07 payload schemas that accept real wire
messages). When the official schema file is available (``WISEEVP_ASYNCAPI_SCHEMA`` or
``tests/data/asyncapi-2.6.0.json``, e.g. ``schemas/2.6.0.json`` of the npm package
``@asyncapi/specs``), the document is validated against it as well.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field, create_model

from wiseevp_cli import docs
from wiseevp_cli.__main__ import main
from wiseevp_cli.configuration import discover_sections
from wiseevp_common.asyncapi import ENCODED_LEVEL_PATTERN, binding_matches, build_asyncapi
from wiseevp_common.messages.iop import (
    Connector,
    EvCharacteristics,
    EvPublicStatus,
    EvStatus,
)
from wiseevp_common.settings import ENV_PREFIX
from wiseevp_common.topology import (
    ALL_IOP_TOPICS,
    DeadLetterHeader,
    DeadLetterReason,
    Exchange,
    IopTopic,
    MqttTopic,
    Queue,
    QueueSpec,
    encode_level,
)

ROOT = Path(__file__).resolve().parents[2]
OFFICIAL_SCHEMA = Path(
    os.environ.get("WISEEVP_ASYNCAPI_SCHEMA", ROOT / "tests" / "data" / "asyncapi-2.6.0.json")
)
COMPONENT_KEY = re.compile(r"^[\w\d.\-_]+$")
DRAFT_2020_ONLY = {"prefixItems", "$defs", "unevaluatedProperties", "dependentRequired"}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return build_asyncapi()


def walk(node: Any, path: str = "#") -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}/{i}")


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"external reference {ref!r}"
    node: Any = doc
    for raw in ref[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolvable {ref!r}"
        node = node[part]
    return node


def deref(doc: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(doc, node["$ref"])
    return node


def operations(channel: dict[str, Any]) -> list[dict[str, Any]]:
    return [channel[op] for op in ("publish", "subscribe") if op in channel]


def payload_validator(doc: dict[str, Any], payload: dict[str, Any]) -> jsonschema.Validator:
    """A draft-07 validator of ``payload`` whose ``#/components/...`` references resolve."""
    schema = {"allOf": [payload], "components": doc["components"]}
    return jsonschema.Draft7Validator(schema)


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


def test_payload_schemas_are_draft_07(doc: dict[str, Any]) -> None:
    for name, schema in doc["components"]["schemas"].items():
        jsonschema.Draft7Validator.check_schema(schema)
        for path, node in walk(schema):
            if isinstance(node, dict):
                assert not DRAFT_2020_ONLY & set(node), f"{name}: {path}"
                assert not isinstance(node.get("discriminator"), dict), f"{name}: {path}"


def test_payload_schemas_accept_the_wire_form(doc: dict[str, Any]) -> None:
    when = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    samples: dict[MqttTopic[Any], BaseModel] = {
        IopTopic.EV_CHARACTERISTICS: EvCharacteristics(
            id="PARTAGO-00001",
            name="Renault ZOE",
            connector=Connector(type="combo", power=Decimal("22")),
            capacity=41.0,
        ),
        IopTopic.EV_STATUS: EvStatus(
            id="PARTAGO-00001",
            timestamp=when,
            status="charging",
            soc=55.5,
            autonomy=120.0,
            coordinates=(3.7174, 51.0543),
            travelled_distance=12345.6,
        ),
        IopTopic.EV_PUBLIC: EvPublicStatus(
            id="PARTAGO-00001", timestamp=when, status="nocomm", coordinates=(3.72, 51.05)
        ),
    }
    for topic, sample in samples.items():
        operation = doc["channels"][topic.template]["subscribe"]
        payload = deref(doc, operation["message"])["payload"]
        validator = payload_validator(doc, payload)
        wire = json.loads(sample.model_dump_json(by_alias=True, exclude_none=True))
        validator.validate(wire)
        assert not validator.is_valid({**wire, "unknown": 1}), topic.template
    status = doc["channels"][IopTopic.EV_STATUS.template]["subscribe"]
    validator = payload_validator(doc, deref(doc, status["message"])["payload"])
    bad = {"id": "PARTAGO-00001", "timestamp": "x", "status": "charging", "coordinates": [1, 2, 3]}
    assert not validator.is_valid(bad)


def test_parameter_pattern_accepts_encoded_identifiers() -> None:
    pattern = re.compile(ENCODED_LEVEL_PATTERN)
    for raw in ("PARTAGO-00001", "CP.01/a", "x+y#z", "100%", "métro", "a b"):
        assert pattern.match(encode_level(raw)), raw
    for raw in ("CP.01", "a/b", "a+b", "#"):
        assert not pattern.match(raw), raw


def test_documented_encoding_rule_is_encode_level() -> None:
    """The rule in the document: everything but [A-Za-z0-9_~-] becomes upper-case %XX."""
    for char in "AZaz09_~-":
        assert encode_level(char) == char
    for char in "./+#* %:é":
        expected = "".join(f"%{b:02X}" for b in char.encode())
        assert encode_level(char) == expected, char


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
    queues = [v for v in vars(Queue).values() if isinstance(v, QueueSpec)]
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


# -- generic over the topology ----------------------------------------------------------------


class _Reading(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["reading"] = "reading"
    values: tuple[float, float, float]
    tail: tuple[int, ...] = ()


class _Alarm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["alarm"] = "alarm"
    code: str


_ItemA = create_model("Item", __module__="grid_a", x=(int, ...))
_ItemB = create_model("Item", __module__="grid_b", y=(str, ...))


class _FeederEvent(BaseModel):
    """A feeder event (a model the real topology does not have)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    site_id: str = Field(alias="siteId")
    item: Annotated[_Reading | _Alarm, Field(discriminator="kind")]
    a: _ItemA
    b: _ItemB
    when: datetime


FAKE_TOPICS: tuple[MqttTopic[Any], ...] = (
    MqttTopic(
        "MQTT/GRID/{site_id}/event",
        _FeederEvent,
        qos=0,
        retained=False,
        payload_id_field="site_id",
        description="Site events.",
    ),
    MqttTopic(
        "MQTT/GRID/{site_id}/{feeder_id}/event",
        _FeederEvent,
        qos=2,
        retained=True,
        description="Feeder events.",
    ),
)


def test_new_topics_and_models_need_no_code_change() -> None:
    doc = build_asyncapi(topics=ALL_IOP_TOPICS + FAKE_TOPICS)
    test_every_channel_has_a_message_with_a_payload(doc)
    test_every_ref_resolves(doc)
    test_component_names_and_ids_are_valid_and_unique(doc)
    test_parameters_match_the_template(doc)
    test_payload_schemas_are_draft_07(doc)
    for topic in FAKE_TOPICS:
        channel = doc["channels"][topic.template]
        assert channel["subscribe"]["bindings"]["mqtt"]["qos"] == topic.qos
        assert channel["subscribe"]["bindings"]["mqtt"]["retain"] is topic.retained
        assert channel["x-wiseevp-queues"] == []  # no queue is bound to MQTT.GRID.#
    site = doc["channels"]["MQTT/GRID/{site_id}/event"]["parameters"]["site_id"]
    assert site["location"] == "$message.payload#/siteId"
    schemas = doc["components"]["schemas"]
    assert len([name for name in schemas if name.endswith("Item")]) == 2
    event = deref(doc, doc["components"]["messages"]["grid_event"]["payload"])
    assert event["properties"]["item"]["discriminator"] == "kind"
    validator = payload_validator(doc, doc["components"]["messages"]["grid_event"]["payload"])
    sample = _FeederEvent(
        site_id="S.1",
        item=_Reading(values=(1.0, 2.0, 3.0), tail=(4, 5)),
        a=_ItemA(x=1),
        b=_ItemB(y="y"),
        when=datetime(2026, 1, 1, tzinfo=UTC),
    )
    validator.validate(json.loads(sample.model_dump_json(by_alias=True)))
    wrong = json.loads(sample.model_dump_json(by_alias=True))
    wrong["item"]["values"] = [1.0, 2.0, 3.0, 4.0]
    assert not validator.is_valid(wrong)


def test_document_is_deterministic() -> None:
    first = docs.render_asyncapi(build_asyncapi())
    assert first == docs.render_asyncapi(build_asyncapi())
    assert "&id" not in first and "*id" not in first  # no YAML anchors
    assert yaml.safe_load(first) == json.loads(json.dumps(build_asyncapi()))


def test_official_asyncapi_schema(doc: dict[str, Any]) -> None:
    schema = json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(doc))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


# -- wiseevp docs [--check] -------------------------------------------------------------------


def run_docs(docs_dir: Path, *args: str) -> int:
    return docs.run(["--root", str(ROOT), "--docs-dir", str(docs_dir), *args])


def test_docs_check_fails_when_files_are_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_docs(tmp_path, "--check") == 1
    err = capsys.readouterr().err
    assert "asyncapi.yaml: missing" in err
    assert "wiseevp docs" in err
    assert not list(tmp_path.iterdir()), "--check must not write"


def test_docs_check_passes_on_fresh_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_docs(tmp_path) == 0
    asyncapi = tmp_path / "asyncapi.yaml"
    configuration = tmp_path / "configuration.md"
    assert asyncapi.is_file() and configuration.is_file()
    assert yaml.safe_load(asyncapi.read_text(encoding="utf-8"))["asyncapi"] == "2.6.0"
    capsys.readouterr()
    assert run_docs(tmp_path, "--check") == 0
    assert "up to date" in capsys.readouterr().out


def test_docs_check_fails_on_a_stale_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_docs(tmp_path) == 0
    asyncapi = tmp_path / "asyncapi.yaml"
    text = asyncapi.read_text(encoding="utf-8")
    asyncapi.write_text(text.replace("qos: 1", "qos: 0", 1), encoding="utf-8")
    capsys.readouterr()
    assert run_docs(tmp_path, "--check") == 1
    err = capsys.readouterr().err
    assert f"{asyncapi}: stale" in err
    assert "-          qos: 0" in err and "+          qos: 1" in err
    assert "run `uv run wiseevp docs`" in err
    assert run_docs(tmp_path) == 0
    assert run_docs(tmp_path, "--check") == 0


def test_docs_output_paths_are_options(tmp_path: Path) -> None:
    target = tmp_path / "out" / "contract.yaml"
    config = tmp_path / "conf.md"
    assert (
        docs.run(["--root", str(ROOT), "--asyncapi", str(target), "--configuration", str(config)])
        == 0
    )
    assert target.is_file() and config.is_file()


def test_wiseevp_docs_command(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["docs", "--root", str(ROOT), "--docs-dir", str(tmp_path), "--check"])
    assert exit_.value.code == 1


def test_configuration_documents_every_setting(tmp_path: Path) -> None:
    assert run_docs(tmp_path) == 0
    text = (tmp_path / "configuration.md").read_text(encoding="utf-8")
    rows = {
        cells[0].strip("` "): cells
        for line in text.splitlines()
        if line.startswith("| `WISEEVP_")
        for cells in [[c.strip() for c in line.strip("|").split(" | ")]]
    }
    sections = discover_sections(ROOT)
    assert {s.service for s in sections} >= {None, "ev_wrapper", "rt_monitor"}
    for section in sections:
        for field in section.cls.model_fields:
            env = ENV_PREFIX + field.upper()
            assert env in rows, f"{env} is not in docs/configuration.md"
            assert rows[env][3], (
                f"{env} has no meaning: give {section.cls.__name__}.{field} a "
                "Field(description=...) or a docstring"
            )
