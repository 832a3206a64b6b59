"""Field types shared by message contracts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, PlainSerializer, WithJsonSchema


def format_iso_ms(value: datetime) -> str:
    """ISO 8601, UTC, milliseconds and ``Z`` as in the design: ``2018-01-01T00:00:00.000Z``."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def wire_json(model: BaseModel) -> bytes:
    """The wire form of every wiseevp message: JSON, aliases (the protocols' field names),
    absent optionals omitted."""
    return model.model_dump_json(by_alias=True, exclude_none=True).encode()


IsoTimestamp = Annotated[
    AwareDatetime,
    PlainSerializer(format_iso_ms, return_type=str),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "examples": ["2018-01-01T00:00:00.000Z"]}
    ),
]
"""A timezone-aware instant; naive timestamps are rejected, output is UTC with ms and Z."""
