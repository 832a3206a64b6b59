"""The OCPP 1.6 models' structure (property names, required fields, string lengths,
enumerations) read against the official schemas, and their behaviour beyond the verdict
(wire form, timestamps, Python construction)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from tests.support.ocpp16_schemas import (
    FULL,
    load_schema,
    model_accepts,
    schema_accepts,
)
from wiseevp_common.messages.ocpp16 import (
    ChargePointErrorCode,
    ChargePointStatus,
    Location,
    Measurand,
    Phase,
    ReadingContext,
    Reason,
    StatusNotificationRequest,
    StopTransactionRequest,
    UnitOfMeasure,
    ValueFormat,
    parse_rfc3339,
)

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
