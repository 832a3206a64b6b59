"""The payload schemas of the AsyncAPI document: pydantic models in the draft 07 of AsyncAPI 2.x.

The schemas must be draft 07 (no 2020-12 keywords, ``discriminator`` as a property name) and
accept the wire form of real messages; the topic parameters must accept every identifier
``encode_level`` produces; topics and models the real topology does not have (two models of
the same name, discriminated unions, tuples) must need no code change.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import jsonschema  # type: ignore[import-untyped]
import pytest
from pydantic import BaseModel, ConfigDict, Field, create_model

from tests.unit import test_asyncapi_document as document_tests
from tests.unit.test_asyncapi_document import deref, walk
from wiseevp_common.asyncapi import ENCODED_LEVEL_PATTERN, build_asyncapi
from wiseevp_common.messages.iop import (
    Connector,
    EvCharacteristics,
    EvPublicStatus,
    EvStatus,
)
from wiseevp_common.topology import ALL_IOP_TOPICS, IopTopic, MqttTopic, encode_level

DRAFT_2020_ONLY = {"prefixItems", "$defs", "unevaluatedProperties", "dependentRequired"}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return build_asyncapi()


def payload_validator(doc: dict[str, Any], payload: dict[str, Any]) -> jsonschema.Validator:
    """A draft-07 validator of ``payload`` whose ``#/components/...`` references resolve."""
    schema = {"allOf": [payload], "components": doc["components"]}
    return jsonschema.Draft7Validator(schema)


# -- payload schemas and parameters -----------------------------------------------------------


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
    document_tests.test_every_channel_has_a_message_with_a_payload(doc)
    document_tests.test_every_ref_resolves(doc)
    document_tests.test_component_names_and_ids_are_valid_and_unique(doc)
    document_tests.test_parameters_match_the_template(doc)
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
