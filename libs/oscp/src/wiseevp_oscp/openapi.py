"""OpenAPI 3.1 documents of our OSCP 2.0 endpoints, one per role, generated from the endpoint
table (:mod:`.endpoints`) and the pydantic message models.

Each document lists the endpoints a party of that role serves under its base path (4.2), with
the request body its message model validates, the headers of 4.1.2 (token security scheme,
``X-Request-ID``, ``X-Correlation-ID``, segmentation headers of 4.1.2.1) and the responses of
4.1.3 (204 without body, errors with the optional ``{"message": ...}`` body).

The documents are published in ``docs/openapi/`` by ``wiseevp docs`` (:func:`render_openapi`)
and served by a running party at ``<base path>/openapi.json`` (:func:`openapi_route`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from wiseevp_common.messages.oscp20 import OSCP_VERSION, ErrorBody

from .endpoints import Endpoint, EndpointSpec, Header, Role, base_path, served_by
from .segments import MAX_SEGMENT_COUNT

OPENAPI_VERSION = "3.1.0"
SCHEMAS = "#/components/schemas/"
SECURITY_SCHEME = "token"
DOCUMENT_NAMES = {role: f"oscp-{role.value}.json" for role in Role}
"""File name of each role's document in ``docs/openapi/``."""

_CHAPTERS = {
    "4.3": ("Connection", "Registration, handshake and heartbeat (4.3)."),
    "4.4": ("Capacity", "Capacity forecasts (4.4)."),
    "4.5": ("Metering", "Measurements (4.5)."),
}
_REGISTER_METHODS = {
    "post": (
        "",
        "Starts the registration (4.3.1.1): the body carries the token for the other party "
        "and the OSCP versions offered with their base URLs.",
    ),
    "put": (
        "_update",
        "Switches the registration to another of the client's endpoints (4.3.1.1).",
    ),
    "delete": (
        "_delete",
        "Unregisters (4.3.1.1): both parties end any automated communication. No body.",
    ),
}
_ERRORS = {
    "400": "Bad request: invalid headers, segment headers or payload.",
    "401": "Missing or invalid `Authorization: Token <token>` header.",
    "403": "The token is valid but the caller may not send this message now "
    "(wrong role, not registered or the handshake is not completed).",
    "501": "None of the OSCP versions offered in the registration is supported (4.1.3.2).",
}


def _schemas(models: list[type[BaseModel]]) -> tuple[dict[str, Any], dict[type[BaseModel], Any]]:
    """``components/schemas`` (pydantic's ``$defs``, hoisted) and each model's ``$ref``."""
    refs, top = models_json_schema(
        [(model, "validation") for model in models], ref_template=SCHEMAS + "{model}"
    )
    definitions: dict[str, Any] = top.get("$defs", {})
    return (
        {name: definitions[name] for name in sorted(definitions)},
        {model: refs[(model, "validation")] for model in models},
    )


_SEGMENT = {"type": "integer", "minimum": 1, "maximum": MAX_SEGMENT_COUNT}
_ID = {"type": "string", "minLength": 1}
_PARAMETERS: dict[str, tuple[Header, bool, dict[str, Any], str]] = {
    "RequestId": (Header.REQUEST_ID, True, _ID, "Unique id of this request (4.1.2)."),
    "CorrelationId": (
        Header.CORRELATION_ID,
        False,
        _ID,
        "The request this message answers or refers to (4.1.2); on every segment after the "
        "first, the X-Request-ID of the first segment (4.1.2.1).",
    ),
    "SegmentIndex": (
        Header.SEGMENT_INDEX,
        False,
        _SEGMENT,
        "1-based index of this segment of a segmented message (4.1.2.1); present together "
        "with X-Segment-Count.",
    ),
    "SegmentCount": (
        Header.SEGMENT_COUNT,
        False,
        _SEGMENT,
        "Number of segments of the whole message (4.1.2.1); present together with X-Segment-Index.",
    ),
}


def _components(schemas: dict[str, Any], error_ref: Any) -> dict[str, Any]:
    error_content = {"application/json": {"schema": error_ref}}
    correlation_header = {
        "description": "The request the error refers to (4.1.3.2).",
        "schema": {"type": "string"},
    }
    return {
        "schemas": schemas,
        "securitySchemes": {
            SECURITY_SCHEME: {
                "type": "apiKey",
                "in": "header",
                "name": Header.AUTHORIZATION.value,
                "description": "`Token <token>` (4.1.2): the token the other party received "
                "at registration (4.3.1.1).",
            }
        },
        "parameters": {
            key: {
                "name": header.value,
                "in": "header",
                "required": required,
                "description": description,
                "schema": dict(schema),
            }
            for key, (header, required, schema, description) in _PARAMETERS.items()
        },
        "responses": {
            "NoContent": {"description": "Accepted (4.1.3.1): no body."},
            **{
                f"Error{status}": {
                    "description": description,
                    "headers": {Header.CORRELATION_ID.value: correlation_header},
                    "content": error_content,
                }
                for status, description in _ERRORS.items()
            },
        },
    }


def _senders(spec: EndpointSpec, role: Role) -> str:
    senders = sorted(spec.senders[role])
    return ", ".join(f"{sender.long_name} ({sender.value})" for sender in senders)


def _operation(role: Role, spec: EndpointSpec, method: str, body_ref: Any | None) -> dict[str, Any]:
    register = spec.endpoint is Endpoint.REGISTER
    suffix, method_note = _REGISTER_METHODS[method] if register else ("", "")
    description = (
        f"OSCP 2.0 section {spec.section}, {spec.title}. Allowed senders: {_senders(spec, role)}."
    )
    if method_note:
        description += " " + method_note
    statuses = ["400", "401", "403"]
    if register and method != "delete":
        statuses.append("501")
    operation: dict[str, Any] = {
        "operationId": f"{role.value}_{spec.endpoint.value}{suffix}",
        "summary": spec.title,
        "description": description,
        "tags": [_CHAPTERS[spec.section[:3]][0]],
        "security": [{SECURITY_SCHEME: []}],
        "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in _PARAMETERS],
        "responses": {
            "204": {"$ref": "#/components/responses/NoContent"},
            **{status: {"$ref": f"#/components/responses/Error{status}"} for status in statuses},
        },
    }
    if body_ref is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body_ref}},
        }
    return operation


def build_openapi(role: Role) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the endpoints a party of ``role`` serves."""
    specs = served_by(role)
    models: list[type[BaseModel]] = list(
        dict.fromkeys([*(spec.message for spec in specs), ErrorBody])
    )
    schemas, refs = _schemas(models)
    paths: dict[str, Any] = {}
    for spec in specs:
        methods = ("post", "put", "delete") if spec.endpoint is Endpoint.REGISTER else ("post",)
        paths[f"{base_path(role)}/{spec.endpoint.value}"] = {
            method: _operation(
                role, spec, method, None if method == "delete" else refs[spec.message]
            )
            for method in methods
        }
    chapters = sorted({spec.section[:3] for spec in specs})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"wiseevp OSCP {OSCP_VERSION} — {role.long_name}",
            "version": OSCP_VERSION,
            "description": (
                f"The endpoints an OSCP {OSCP_VERSION} {role.long_name} serves in wiseevp, "
                f"under the base path `{base_path(role)}` exchanged at registration (4.2). "
                "Every valid request is answered 204 without body (4.1.3.1). Generated from "
                "the code by `wiseevp docs`: do not edit."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": _CHAPTERS[chapter][0], "description": _CHAPTERS[chapter][1]}
            for chapter in chapters
        ],
        "paths": paths,
        "components": _components(schemas, refs[ErrorBody]),
    }


def render_openapi(role: Role) -> str:
    """The published JSON text of ``role``'s document: sorted keys, indent 2, final newline."""
    return json.dumps(build_openapi(role), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_documents(directory: Path) -> list[Path]:
    """Write every role's document into ``directory`` (``oscp-fp.json`` …); the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for role, name in DOCUMENT_NAMES.items():
        path = directory / name
        path.write_text(render_openapi(role), encoding="utf-8", newline="\n")
        written.append(path)
    return written


def openapi_route(role: Role) -> web.RouteDef:
    """``GET <base path>/openapi.json``: ``role``'s document (no token needed)."""
    document = build_openapi(role)

    async def handler(request: web.Request) -> web.Response:
        return web.json_response(document)

    return web.get(f"{base_path(role)}/openapi.json", handler)
