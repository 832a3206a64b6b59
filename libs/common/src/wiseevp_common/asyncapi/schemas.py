"""Payload schemas: pydantic models → ``components/schemas`` in the draft 07 of AsyncAPI 2.x."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .constants import SCHEMAS, JsonDict


def payload_schemas(
    models: Iterable[type[BaseModel]],
) -> tuple[JsonDict, dict[type[BaseModel], JsonDict]]:
    """``components/schemas`` and each model's payload ``$ref``.

    pydantic's multi-model form of ``model_json_schema(by_alias=True, mode="serialization")``:
    one generator for every model, so two different classes of the same name get distinct
    component names instead of overwriting each other. Definitions land in
    ``components/schemas`` and are converted to the JSON Schema draft 07 that AsyncAPI 2.x uses.
    """
    unique = list(dict.fromkeys(models))
    if not unique:
        return {}, {}
    refs, top = models_json_schema(
        [(model, "serialization") for model in unique],
        by_alias=True,
        ref_template=SCHEMAS + "{model}",
    )
    definitions = top.get("$defs", {})
    schemas = {name: to_draft07(definitions[name]) for name in sorted(definitions)}
    payloads = {model: to_draft07(refs[(model, "serialization")]) for model in unique}
    return schemas, payloads


def to_draft07(schema: Any) -> Any:
    """pydantic's JSON Schema 2020-12 → the draft 07 dialect of AsyncAPI 2.x schema objects:
    ``prefixItems`` → array-form ``items``, ``discriminator`` objects → the property name,
    ``#/$defs/`` references → ``#/components/schemas/``."""
    if isinstance(schema, list):
        return [to_draft07(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: JsonDict = {}
    for key, value in schema.items():
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            out[key] = SCHEMAS + value.removeprefix("#/$defs/")
        elif key in ("properties", "patternProperties", "$defs", "definitions") and isinstance(
            value, dict
        ):
            out[key] = {name: to_draft07(sub) for name, sub in value.items()}
        elif key == "discriminator" and isinstance(value, dict):
            out[key] = value.get("propertyName", "")
        elif key == "prefixItems":
            out["items"] = to_draft07(value)
            if "items" in schema:
                out["additionalItems"] = to_draft07(schema["items"])
        elif key == "items" and "prefixItems" in schema:
            continue
        else:
            out[key] = to_draft07(value)
    return out
