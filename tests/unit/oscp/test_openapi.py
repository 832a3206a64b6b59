"""The OpenAPI 3.1 documents of the OSCP 2.0 endpoints: structure, schemas that accept what the
models accept, the published files in ``docs/openapi/`` and the ``openapi.json`` route.

No OpenAPI validator is installed (and the tests have no network), so the documents are
checked against the structural rules of OpenAPI 3.1 that matter to their readers: required
fields, resolvable ``$ref``s, valid component names, unique operation ids, header parameters,
security requirements naming a defined scheme, every operation with responses. The component
schemas are checked as JSON Schema 2020-12 (the OpenAPI 3.1 dialect) and against the models
with sample payloads.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import BaseModel, ValidationError

from tests.support.json_refs import deref, resolve, walk
from wiseevp_common.messages.oscp20 import (
    AdjustGroupCapacityForecast,
    ErrorBody,
    GroupCapacityComplianceError,
    Handshake,
    HandshakeAcknowledge,
    Heartbeat,
    Register,
    UpdateAssetMeasurements,
    UpdateGroupCapacityForecast,
    UpdateGroupMeasurements,
)
from wiseevp_oscp.endpoints import ENDPOINTS, Endpoint, Header, Role, base_path, served_by
from wiseevp_oscp.openapi import (
    DOCUMENT_NAMES,
    build_openapi,
    openapi_route,
    render_openapi,
    write_documents,
)

ROOT = Path(__file__).resolve().parents[3]
COMPONENT_KEY = re.compile(r"^[a-zA-Z0-9._-]+$")
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
HEADERS = {
    Header.REQUEST_ID.value: True,
    Header.CORRELATION_ID.value: False,
    Header.SEGMENT_INDEX.value: False,
    Header.SEGMENT_COUNT.value: False,
}
T = "2026-03-01T06:00:00.000Z"
T2 = "2026-03-01T07:15:00+01:00"  # 06:15Z: any offset is accepted
BLOCK = {"capacity": 11.5, "phase": "ALL", "unit": "KW", "start_time": T, "end_time": T2}
ENERGY = {
    "value": 12.12345678,
    "phase": "ALL",
    "unit": "KWH",
    "energy_type": "FLEXIBLE",
    "direction": "NET",
    "measure_time": T,
    "initial_measure_time": T,
}
INSTANT = {"value": 7, "phase": "ONE", "unit": "A", "measure_time": T}
SAMPLES: dict[type[BaseModel], dict[str, Any]] = {
    Register: {
        "token": "abc",
        "version_url": [{"version": "2.0", "base_url": "https://example.com/oscp/fp/2.0"}],
    },
    Handshake: {"required_behaviour": {"heartbeat_interval": 60, "measurement_configuration": []}},
    HandshakeAcknowledge: {},
    Heartbeat: {"offline_mode_at": T},
    UpdateGroupCapacityForecast: {
        "group_id": "g1",
        "type": "CONSUMPTION",
        "forecasted_blocks": [BLOCK],
    },
    AdjustGroupCapacityForecast: {
        "group_id": "g1",
        "type": "OPTIMUM",
        "forecasted_blocks": [BLOCK],
    },
    GroupCapacityComplianceError: {"message": "cannot comply", "forecasted_blocks": [BLOCK]},
    UpdateGroupMeasurements: {"group_id": "g1", "measurements": [ENERGY]},
    UpdateAssetMeasurements: {
        "group_id": "g1",
        "measurements": [
            {"asset_id": "cp-1", "asset_category": "CHARGING", "energy_measurement": ENERGY},
            {"asset_id": "cp-2", "asset_category": "STORAGE", "instantaneous_measurement": INSTANT},
        ],
    },
    ErrorBody: {"message": "bad request"},
}


def _set(sample: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(sample)
    node: Any = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


FORECAST = SAMPLES[UpdateGroupCapacityForecast]
INVALID: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (UpdateGroupCapacityForecast, _set(FORECAST, ("forecasted_blocks", 0, "capacity"), "11.5")),
    (UpdateGroupCapacityForecast, _set(FORECAST, ("forecasted_blocks",), [])),
    (UpdateGroupCapacityForecast, _set(FORECAST, ("type",), "MAXIMUM")),
    (UpdateGroupCapacityForecast, _set(FORECAST, ("forecasted_blocks", 0, "phase"), None)),
    (
        UpdateGroupMeasurements,
        _set(SAMPLES[UpdateGroupMeasurements], ("measurements", 0, "value"), True),
    ),
    (Heartbeat, {}),
    (Heartbeat, {"offline_mode_at": T, "extra": 1}),
    (Register, _set(SAMPLES[Register], ("version_url", 0, "base_url"), "https://x/" + "a" * 250)),
    (Register, _set(SAMPLES[Register], ("token",), "")),
    (Handshake, {"required_behaviour": {"heartbeat_interval": 0}}),
    (ErrorBody, {"message": 5}),
]


@pytest.fixture(scope="module", params=list(Role), ids=lambda role: role.value)
def role(request: pytest.FixtureRequest) -> Role:
    value: Role = request.param
    return value


@pytest.fixture(scope="module")
def doc(role: Role) -> dict[str, Any]:
    return build_openapi(role)


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def validator(doc: dict[str, Any], model: type[BaseModel]) -> Any:
    """A JSON Schema 2020-12 validator of ``model``'s component, resolving within ``doc``."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}", "components": doc["components"]}
    return jsonschema.Draft202012Validator(schema)


# -- structure ------------------------------------------------------------------------------


def test_document_header(doc: dict[str, Any], role: Role) -> None:
    assert doc["openapi"] == "3.1.0"
    assert doc["info"] == {
        "title": f"wiseevp OSCP 2.0 — {role.long_name}",
        "version": "2.0",
        "description": doc["info"]["description"],
    }
    assert base_path(role) in doc["info"]["description"]
    assert doc["servers"] == [{"url": "/"}]
    assert set(doc) <= {"openapi", "info", "servers", "tags", "paths", "components"}


def test_paths_are_the_endpoints_the_role_serves(doc: dict[str, Any], role: Role) -> None:
    expected = {f"{base_path(role)}/{spec.endpoint.value}": spec for spec in served_by(role)}
    assert list(doc["paths"]) == list(expected)
    for path, spec in expected.items():
        item = doc["paths"][path]
        if spec.endpoint is Endpoint.REGISTER:
            assert set(item) == {"post", "put", "delete"}
            assert "requestBody" not in item["delete"]
        else:
            assert set(item) == {"post"}
        for method, operation in item.items():
            if method == "delete":
                continue
            body = operation["requestBody"]
            assert body["required"] is True
            assert list(body["content"]) == ["application/json"]
            schema = deref(doc, body["content"]["application/json"]["schema"])
            assert schema["title"] == spec.message.__name__


def test_operations_name_section_senders_and_ids(doc: dict[str, Any], role: Role) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(doc)]
    assert len(ids) == len(set(ids))
    assert f"{role.value}_register" in ids
    declared_tags = {tag["name"] for tag in doc["tags"]}
    for path, _, operation in operations(doc):
        spec = ENDPOINTS[Endpoint(path.rsplit("/", 1)[1])]
        assert operation["operationId"].startswith(f"{role.value}_{spec.endpoint.value}")
        assert re.fullmatch(r"[a-z_]+", operation["operationId"])
        assert operation["summary"] == spec.title
        assert f"section {spec.section}" in operation["description"]
        for sender in spec.senders[role]:
            assert f"{sender.long_name} ({sender.value})" in operation["description"]
        for other in set(Role) - spec.senders[role]:
            assert f"({other.value})" not in operation["description"]
        assert set(operation["tags"]) <= declared_tags
    if role is Role.FP:
        assert "fp_update_group_capacity_forecast" in ids


def test_every_operation_has_token_security_headers_and_responses(
    doc: dict[str, Any],
) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert schemes == {
        "token": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": schemes["token"]["description"],
        }
    }
    assert "Token <token>" in schemes["token"]["description"]
    error_body = f"#/components/schemas/{ErrorBody.__name__}"
    for path, method, operation in operations(doc):
        assert operation["security"] == [{"token": []}]
        parameters = [deref(doc, p) for p in operation["parameters"]]
        assert {p["name"]: p["required"] for p in parameters} == HEADERS
        for parameter in parameters:
            assert parameter["in"] == "header"
            assert parameter["description"]
            if parameter["name"].startswith("X-Segment-"):
                assert parameter["schema"]["type"] == "integer"
                assert parameter["schema"]["minimum"] == 1
        expected = {"204", "400", "401", "403"}
        if path.endswith("/register") and method != "delete":
            expected.add("501")
        assert set(operation["responses"]) == expected, (path, method)
        for status, reference in operation["responses"].items():
            response = deref(doc, reference)
            assert response["description"]
            if status == "204":
                assert "content" not in response
            else:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": error_body}


def test_openapi_structure(doc: dict[str, Any]) -> None:
    """The OpenAPI 3.1 rules an official validator would check on these documents."""
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    for path, item in doc["paths"].items():
        assert path.startswith("/")
        assert set(item) <= METHODS
    for kind, entries in doc["components"].items():
        assert kind in {"schemas", "responses", "parameters", "securitySchemes"}
        for key in entries:
            assert COMPONENT_KEY.match(key), (kind, key)
    for _, _, operation in operations(doc):
        assert operation["responses"]
        for status in operation["responses"]:
            assert re.fullmatch(r"[1-5][0-9]{2}", status)
        seen = [(p["name"], p["in"]) for p in (deref(doc, p) for p in operation["parameters"])]
        assert len(seen) == len(set(seen))
        for requirement in operation["security"]:
            assert set(requirement) <= set(doc["components"]["securitySchemes"])
    for parameter in doc["components"]["parameters"].values():
        assert parameter["name"] not in ("Accept", "Content-Type", "Authorization")
        assert parameter["in"] in ("query", "header", "path", "cookie")
        assert "schema" in parameter
    for response in doc["components"]["responses"].values():
        assert response["description"]


def test_every_ref_resolves_and_no_defs_are_left(doc: dict[str, Any]) -> None:
    refs = [(p, n["$ref"]) for p, n in walk(doc) if isinstance(n, dict) and "$ref" in n]
    assert refs
    for _, ref in refs:
        resolve(doc, ref)
    assert not [p for p, n in walk(doc) if isinstance(n, dict) and "$defs" in n]
    referenced = {ref.rsplit("/", 1)[1] for _, ref in refs if "/schemas/" in ref}
    assert referenced == set(doc["components"]["schemas"]), "unused or missing schemas"


def test_document_is_json_and_deterministic(role: Role) -> None:
    text = render_openapi(role)
    assert text == render_openapi(role)
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert json.loads(text) == build_openapi(role)
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


# -- schemas --------------------------------------------------------------------------------


def test_component_schemas_are_json_schema_2020_12(doc: dict[str, Any]) -> None:
    for name, schema in doc["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema.get("type") == "object" or "enum" in schema, name


def test_schemas_say_what_the_models_accept(doc: dict[str, Any]) -> None:
    """Decimals are JSON numbers (strings are refused), datetimes RFC 3339 strings, URLs ≤ 255."""
    for path, node in walk(doc["components"]["schemas"]):
        if isinstance(node, dict) and "anyOf" in node:
            types = [option.get("type") for option in node["anyOf"]]
            assert not {"number", "string"} <= set(types), f"{path} accepts strings as numbers"
    schemas = doc["components"]["schemas"]
    numbers = {
        "ForecastedBlock": ["capacity"],
        "EnergyMeasurement": ["value"],
        "InstantaneousMeasurement": ["value"],
    }
    times = {
        "ForecastedBlock": ["start_time", "end_time"],
        "EnergyMeasurement": ["measure_time"],
        "InstantaneousMeasurement": ["measure_time"],
        "Heartbeat": ["offline_mode_at"],
    }
    assert "ForecastedBlock" in schemas and "Heartbeat" in schemas
    for model, fields in numbers.items():
        for name in fields if model in schemas else []:
            prop = schemas[model]["properties"][name]
            assert prop["type"] == "number" and "8 decimal places" in prop["description"]
    for model, fields in times.items():
        for name in fields if model in schemas else []:
            prop = schemas[model]["properties"][name]
            assert (prop["type"], prop["format"]) == ("string", "date-time")
    base_url = schemas["VersionUrl"]["properties"]["base_url"]
    assert (base_url["type"], base_url["maxLength"]) == ("string", 255)


@pytest.mark.parametrize("model", list(SAMPLES), ids=lambda model: model.__name__)
def test_valid_samples_pass_both_model_and_schema(model: type[BaseModel]) -> None:
    owners = [role for role in Role if model is ErrorBody or model in _models(role)]
    assert owners
    model.model_validate_json(json.dumps(SAMPLES[model]))
    for role in owners:
        errors = list(validator(build_openapi(role), model).iter_errors(SAMPLES[model]))
        assert not errors, [e.message for e in errors]


@pytest.mark.parametrize(("model", "payload"), INVALID, ids=lambda v: getattr(v, "__name__", ""))
def test_invalid_samples_fail_both_model_and_schema(
    model: type[BaseModel], payload: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError):
        model.model_validate_json(json.dumps(payload))
    for role in Role:
        if model is ErrorBody or model in _models(role):
            assert not validator(build_openapi(role), model).is_valid(payload)


def _models(role: Role) -> set[type[BaseModel]]:
    return {spec.message for spec in served_by(role)}


# -- published files and route ----------------------------------------------------------------


def test_checked_in_documents_are_up_to_date() -> None:
    for role, name in DOCUMENT_NAMES.items():
        path = ROOT / "docs" / "openapi" / name
        assert path.is_file(), f"{path} is missing: run `uv run wiseevp docs`"
        assert path.read_text(encoding="utf-8") == render_openapi(role), (
            f"{path} is stale: run `uv run wiseevp docs` (or `make docs`)"
        )


def test_write_documents(tmp_path: Path) -> None:
    written = write_documents(tmp_path / "openapi")
    assert [p.name for p in written] == ["oscp-fp.json", "oscp-cp.json", "oscp-co.json"]
    for path, role in zip(written, DOCUMENT_NAMES, strict=True):
        assert path.read_bytes() == render_openapi(role).encode("utf-8")


async def test_openapi_route_serves_the_document() -> None:
    app = web.Application()
    app.add_routes([openapi_route(Role.FP)])
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/oscp/fp/2.0/openapi.json")
        assert response.status == 200
        assert response.content_type == "application/json"
        assert await response.json() == build_openapi(Role.FP)
        assert (await client.get("/oscp/cp/2.0/openapi.json")).status == 404
