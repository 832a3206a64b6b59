"""The base of every OSCP 2.0 payload: the specification's names, no unknown fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ..types import wire_json


class OscpModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json(self) -> bytes:
        """The wire form: absent optionals omitted."""
        return wire_json(self)
