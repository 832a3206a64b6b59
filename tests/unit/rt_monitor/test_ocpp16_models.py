"""The OCPP 1.6 models must give the verdict of the official JSON schemas (shipped with the
``ocpp`` package), so they cannot drift from the standard.

Every model is checked two ways: structurally (property names, required fields, string
lengths, enumerations read from the schema) and behaviourally (hand-written payloads plus
variants generated from the schema — each field removed, nulled, mistyped, lengthened, each
enumeration value, ... — get the same valid/invalid verdict from the model and the schema).

The schemas declare ``"format": "date-time"``; jsonschema only checks a format it has a checker
for, so the reference verdict uses the RFC 3339 section 5.6 grammar (:func:`is_rfc3339`).
"""

from __future__ import annotations

import calendar
import copy
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ocpp  # type: ignore[import-untyped]
import pytest
from jsonschema import Draft4Validator, FormatChecker  # type: ignore[import-untyped]
from pydantic import BaseModel, ValidationError

from wiseevp_common.messages.ocpp16 import (
    BootNotificationRequest,
    ChargePointErrorCode,
    ChargePointStatus,
    Location,
    Measurand,
    MeterValuesRequest,
    Phase,
    ReadingContext,
    Reason,
    StartTransactionRequest,
    StatusNotificationRequest,
    StopTransactionRequest,
    UnitOfMeasure,
    ValueFormat,
    parse_rfc3339,
)

SCHEMAS = Path(ocpp.__file__).parent / "v16" / "schemas"

_RFC3339 = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[Tt](?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
    r"(?:\.\d+)?(?:[Zz]|[+-](?P<oh>\d{2}):(?P<om>\d{2}))",
    re.ASCII,
)


def is_rfc3339(text: object) -> bool:
    """RFC 3339 ``date-time`` (section 5.6), including leap seconds (``:60``)."""
    if not isinstance(text, str):
        return True  # formats only constrain strings; the type keyword handles the rest
    m = _RFC3339.fullmatch(text)
    if m is None:
        return False
    year, month, day = int(m["y"]), int(m["mo"]), int(m["d"])
    if not (1 <= month <= 12 and year >= 1):
        return False
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return False
    if int(m["h"]) > 23 or int(m["mi"]) > 59 or int(m["s"]) > 60:
        return False
    return m["oh"] is None or (int(m["oh"]) <= 23 and int(m["om"]) <= 59)


FORMATS = FormatChecker()
FORMATS.checks("date-time")(is_rfc3339)


def load_schema(action: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{action}.json").read_text())
    return schema


def schema_accepts(action: str, body: bytes) -> bool:
    validator = Draft4Validator(load_schema(action), format_checker=FORMATS)
    return bool(validator.is_valid(json.loads(body)))


def model_accepts(model: type[BaseModel], body: bytes) -> bool:
    try:
        model.model_validate_json(body)
    except ValidationError:
        return False
    return True


# -- complete valid payloads: every property present -----------------------------------------

SAMPLE_FULL = {
    "value": "1234.5",
    "context": "Sample.Periodic",
    "format": "Raw",
    "measurand": "Energy.Active.Import.Register",
    "phase": "L1-N",
    "location": "Outlet",
    "unit": "Wh",
}

FULL: dict[str, tuple[type[BaseModel], dict[str, Any]]] = {
    "BootNotification": (
        BootNotificationRequest,
        {
            "chargePointVendor": "Emotion",
            "chargePointModel": "Spotlink EVO",
            "chargePointSerialNumber": "SN-0001",
            "chargeBoxSerialNumber": "CB-0001",
            "firmwareVersion": "1.2.3",
            "iccid": "8939100000000000000",
            "imsi": "222100000000000",
            "meterType": "ABB B23",
            "meterSerialNumber": "M-0001",
        },
    ),
    "MeterValues": (
        MeterValuesRequest,
        {
            "connectorId": 1,
            "transactionId": 17,
            "meterValue": [{"timestamp": "2026-05-01T10:00:00Z", "sampledValue": [SAMPLE_FULL]}],
        },
    ),
    "StatusNotification": (
        StatusNotificationRequest,
        {
            "connectorId": 2,
            "errorCode": "NoError",
            "info": "all good",
            "status": "Charging",
            "timestamp": "2026-05-01T10:00:00.250+02:00",
            "vendorId": "com.emotion",
            "vendorErrorCode": "E0",
        },
    ),
    "StartTransaction": (
        StartTransactionRequest,
        {
            "connectorId": 1,
            "idTag": "04A1B2C3D4",
            "meterStart": 125000,
            "reservationId": 7,
            "timestamp": "2026-05-01T10:00:00Z",
        },
    ),
    "StopTransaction": (
        StopTransactionRequest,
        {
            "idTag": "04A1B2C3D4",
            "meterStop": 140000,
            "timestamp": "2026-05-01T11:00:00Z",
            "transactionId": 17,
            "reason": "EVDisconnected",
            "transactionData": [
                {"timestamp": "2026-05-01T11:00:00Z", "sampledValue": [SAMPLE_FULL]}
            ],
        },
    ),
}

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


# -- structure ---------------------------------------------------------------------------------


def _object_models() -> Iterator[tuple[str, type[BaseModel], dict[str, Any]]]:
    """(where, model, object schema) for every object in every schema, nested ones too."""
    for action, (model, _) in FULL.items():
        schema = load_schema(action)
        yield action, model, schema
        stack = [(action, model, schema)]
        while stack:
            where, current, obj = stack.pop()
            for name, sub in obj["properties"].items():
                if sub.get("type") != "array":
                    continue
                field = next(f for f in current.model_fields.values() if f.alias == name)
                (item_model,) = [
                    a
                    for a in _type_args(field.annotation)
                    if isinstance(a, type) and issubclass(a, BaseModel)
                ]
                item = sub["items"]
                yield f"{where}.{name}", item_model, item
                stack.append((f"{where}.{name}", item_model, item))


def _type_args(annotation: Any) -> Iterator[Any]:
    yield annotation
    for arg in getattr(annotation, "__args__", ()):
        yield from _type_args(arg)


def _wire_name(model: type[BaseModel], attribute: str) -> str:
    return model.model_fields[attribute].alias or attribute


@pytest.mark.parametrize(
    ("where", "model", "schema"), [pytest.param(*o, id=o[0]) for o in _object_models()]
)
def test_structure_matches_the_schema(
    where: str, model: type[BaseModel], schema: dict[str, Any]
) -> None:
    fields = {_wire_name(model, name): info for name, info in model.model_fields.items()}
    assert set(fields) == set(schema["properties"]), where
    required = {name for name, info in fields.items() if info.is_required()}
    assert required == set(schema.get("required", ())), where
    assert model.model_config.get("extra") == "forbid"
    for name, prop in schema["properties"].items():
        lengths = [m.max_length for m in fields[name].metadata if hasattr(m, "max_length")]
        assert lengths == ([prop["maxLength"]] if "maxLength" in prop else []), f"{where}.{name}"
        if "enum" in prop:
            enums = [
                a
                for a in _type_args(fields[name].annotation)
                if isinstance(a, type) and issubclass(a, str) and a is not str
            ]
            assert len(enums) == 1, f"{where}.{name}"
            values = {e.value for e in enums[0]}  # type: ignore[attr-defined]
            allowed = set(prop["enum"])
            if where.startswith("StopTransaction") and name == "unit":
                # the one enum that differs between schemas: transactionData has no Hertz
                assert values - allowed == {"Hertz"}
            else:
                assert values == allowed, f"{where}.{name}"


def test_every_enumeration_of_the_standard_is_modelled() -> None:
    sample = load_schema("MeterValues")["properties"]["meterValue"]["items"]["properties"][
        "sampledValue"
    ]["items"]["properties"]
    status = load_schema("StatusNotification")["properties"]
    stop = load_schema("StopTransaction")["properties"]
    pairs: list[tuple[Any, list[str]]] = [
        (Measurand, sample["measurand"]["enum"]),
        (ReadingContext, sample["context"]["enum"]),
        (ValueFormat, sample["format"]["enum"]),
        (Phase, sample["phase"]["enum"]),
        (Location, sample["location"]["enum"]),
        (UnitOfMeasure, sample["unit"]["enum"]),
        (ChargePointStatus, status["status"]["enum"]),
        (ChargePointErrorCode, status["errorCode"]["enum"]),
        (Reason, stop["reason"]["enum"]),
    ]
    for enum, allowed in pairs:
        assert [e.value for e in enum] == allowed, enum.__name__


# -- behaviour beyond the verdict ---------------------------------------------------------------


def test_wire_form_round_trips_with_camel_case_names_and_no_nulls() -> None:
    for action, (model, full) in FULL.items():
        parsed = model.model_validate_json(json.dumps(full))
        wire = json.loads(parsed.to_json())  # type: ignore[attr-defined]
        assert set(wire) == set(full), action
        assert model.model_validate_json(json.dumps(wire)) == parsed, action
    sparse = StopTransactionRequest(
        meter_stop=1, timestamp=datetime(2026, 5, 1, tzinfo=UTC), transaction_id=3
    )
    assert json.loads(sparse.to_json()) == {
        "meterStop": 1,
        "timestamp": "2026-05-01T00:00:00.000Z",
        "transactionId": 3,
    }


def test_timestamps_keep_the_instant_of_any_offset() -> None:
    status = StatusNotificationRequest.model_validate_json(
        b'{"connectorId": 1, "errorCode": "NoError", "status": "Available",'
        b' "timestamp": "2026-05-01T12:30:00.123456789+02:30"}'
    )
    assert status.timestamp == datetime(2026, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert parse_rfc3339("2026-05-01T00:00:00-00:00") == datetime(2026, 5, 1, tzinfo=UTC)


def test_python_callers_may_use_attribute_names_and_none() -> None:
    status = StatusNotificationRequest(
        connector_id=1,
        error_code=ChargePointErrorCode.NO_ERROR,
        status=ChargePointStatus.AVAILABLE,
        info=None,
    )
    assert status.info is None
    with pytest.raises(ValidationError):
        StatusNotificationRequest(
            connector_id=1,
            error_code=ChargePointErrorCode.NO_ERROR,
            status=ChargePointStatus.AVAILABLE,
            timestamp=datetime(2026, 5, 1),  # naive: no instant
        )


@pytest.mark.parametrize(
    "timestamp",
    [
        "2016-12-31T23:59:60Z",  # leap second: a Python datetime cannot hold it
        "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
    ],
)
def test_documented_deviations_from_rfc_3339(timestamp: str) -> None:
    """RFC 3339 accepts these; the models reject them (documented in ``ocpp16``)."""
    body = json.dumps(
        {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": timestamp}
    ).encode()
    assert schema_accepts("StatusNotification", body)
    assert not model_accepts(StatusNotificationRequest, body)
