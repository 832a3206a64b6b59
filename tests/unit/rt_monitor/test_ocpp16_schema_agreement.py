"""The OCPP 1.6 models must give the verdict of the official JSON schemas on hand-written
payloads and on variants generated from the schemas (each field removed, nulled, mistyped,
lengthened, each enumeration value, ...), so they cannot drift from the standard."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from tests.support.ocpp16_schemas import (
    FULL,
    load_schema,
    model_accepts,
    schema_accepts,
)

TIMESTAMPS = [
    "2026-05-01T10:00:00Z",
    "2026-05-01T10:00:00.1Z",
    "2026-05-01T10:00:00.123456789Z",
    "2026-05-01t10:00:00z",
    "2026-05-01T10:00:00+05:30",
    "2026-05-01T10:00:00-00:00",
    "2024-02-29T23:59:59Z",
    "2023-02-29T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-05-01T24:00:00Z",
    "2026-05-01T10:60:00Z",
    "2026-05-01T10:00:00+24:00",
    "2026-05-01T10:00:00+05:60",
    "2026-05-01T10:00:00+0530",
    "2026-05-01T10:00:00",
    "2026-05-01 10:00:00Z",
    "2026-05-01T10:00Z",
    "2026-05-01",
    "20260501T100000Z",
    "2026-05-01T10:00:00.Z",
    " 2026-05-01T10:00:00Z",
    "2026-05-01T10:00:00Z ",
    "\uff12026-05-01T10:00:00Z",
    "",
    "yesterday",
]


def walk_variants(schema: dict[str, Any], value: Any) -> Iterator[tuple[str, Any]]:
    """Variants of ``value`` (valid for ``schema``) at every level, valid or not."""
    kind = schema.get("type")
    if kind == "object":
        yield from _object_variants(schema, value)
    elif kind == "array":
        yield "empty array", []
        yield "not an array", value[0]
        yield "two items", [value[0], copy.deepcopy(value[0])]
        for what, variant in walk_variants(schema["items"], value[0]):
            yield f"[0]: {what}", [variant, *value[1:]]
    elif kind == "string":
        yield from _string_variants(schema)
    elif kind == "integer":
        for number in (0, -1, 2**31, -(2**63), 10**30):
            yield f"integer {number}", number
        yield "float 1.0", 1.0
        yield "float 1.5", 1.5
        yield "string", "1"
        yield "boolean", True


def _object_variants(schema: dict[str, Any], value: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    yield "not an object", [value]
    yield "with an unknown field", {**value, "unknownField": "x"}
    for name, sub in schema["properties"].items():
        if name not in value:
            continue
        rest = {k: v for k, v in value.items() if k != name}
        yield f"{name} absent", rest
        yield f"{name} null", {**value, name: None}
        snake = re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()
        if snake != name:
            yield f"{name} as {snake}", {**rest, snake: value[name]}
        for what, variant in walk_variants(sub, value[name]):
            yield f"{name}: {what}", {**value, name: variant}


def _string_variants(schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    yield "a number", 12
    yield "a boolean", True
    yield "empty", ""
    for allowed in schema.get("enum", ()):
        yield f"enum {allowed}", allowed
        yield f"enum {allowed} lower-cased", allowed.lower()
    if "enum" in schema:
        yield "not in the enum", "Unknown"
    if "maxLength" in schema:
        n = schema["maxLength"]
        yield "at maxLength", "x" * n
        yield "above maxLength", "x" * (n + 1)
        yield "at maxLength, non-ASCII", "é" * n
        yield "above maxLength, non-ASCII", "€" * (n + 1)
    if schema.get("format") == "date-time":
        for ts in TIMESTAMPS:
            yield f"timestamp {ts!r}", ts


def cases() -> Iterator[Any]:
    for action, (model, full) in FULL.items():
        schema = load_schema(action)
        yield pytest.param(action, model, full, id=f"{action}-full")
        required = {k: full[k] for k in schema["required"]}
        yield pytest.param(action, model, required, id=f"{action}-required-only")
        for what, variant in walk_variants(schema, full):
            yield pytest.param(action, model, variant, id=f"{action}-{what}")


@pytest.mark.parametrize(("action", "model", "payload"), list(cases()))
def test_model_and_official_schema_agree(action: str, model: type[BaseModel], payload: Any) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    assert model_accepts(model, body) == schema_accepts(action, body), body.decode()


def test_the_generated_cases_include_both_verdicts() -> None:
    """Guard against a generator that only produces valid (or only invalid) payloads."""
    verdicts = {
        schema_accepts(action, json.dumps(p.values[2]).encode())
        for action in FULL
        for p in cases()
        if p.values[0] == action
    }
    assert verdicts == {True, False}
    assert len(list(cases())) > 500


AVAILABLE = '"errorCode": "NoError", "status": "Available"'
AT = '"timestamp": "2026-05-01T10:00:00Z"'
STOP = f'"meterStop": 1, {AT}, "transactionId": 1'
EMOJI_20 = "\\ud83d\\ude00" * 20  # 20 characters written as 40 UTF-16 escapes
RAW_EDGE_CASES = [
    ("StatusNotification", f'{{"connectorId": 1, {AVAILABLE}}}', True),
    ("StatusNotification", f'{{"connectorId": 1e0, {AVAILABLE}}}', False),
    ("StatusNotification", f'{{"connectorId": -0, {AVAILABLE}}}', True),
    ("StatusNotification", f'{{"connectorId": 1, {AVAILABLE}, "timestamp": 1777629600}}', False),
    ("MeterValues", f'{{"connectorId": 0, "meterValue": [{{{AT}, "sampledValue": []}}]}}', False),
    (
        "MeterValues",
        f'{{"connectorId": 0, "meterValue": '
        f'[{{{AT}, "sampledValue": [{{"value": "1", "unit": "Hertz"}}]}}]}}',
        True,
    ),
    ("StopTransaction", f'{{{STOP}, "transactionData": [{{{AT}, "sampledValue": []}}]}}', True),
    (
        "StopTransaction",
        f'{{{STOP}, "transactionData": '
        f'[{{{AT}, "sampledValue": [{{"value": "1", "unit": "Hertz"}}]}}]}}',
        False,
    ),
    ("StopTransaction", f'{{{STOP}, "transactionData": []}}', True),
    (
        "StartTransaction",
        f'{{"connectorId": 1, "idTag": "{EMOJI_20}", "meterStart": 0, {AT}}}',
        True,
    ),
    ("BootNotification", '["chargePointVendor", "chargePointModel"]', False),
    (
        "BootNotification",
        '{"chargePointVendor": "V", "chargePointModel": "M", "iccid": "a\\u0000b"}',
        True,
    ),
]


@pytest.mark.parametrize(("action", "body", "valid"), RAW_EDGE_CASES)
def test_edge_cases_in_raw_json(action: str, body: str, valid: bool) -> None:
    model = FULL[action][0]
    assert schema_accepts(action, body.encode()) is valid
    assert model_accepts(model, body.encode()) is valid
