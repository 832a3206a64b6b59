"""The base of every OCPP 1.6 payload model: wire names only, no JSON null."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

from ..types import wire_json


class _Ocpp(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    _python_names: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._python_names = frozenset(
            name
            for name, info in cls.model_fields.items()
            if info.alias is not None and info.alias != name
        )

    @model_validator(mode="before")
    @classmethod
    def _wire_names_only(cls, data: Any, info: ValidationInfo) -> Any:
        """On the wire only the OCPP camelCase names exist (``additionalProperties: false``)."""
        if info.mode == "json" and isinstance(data, dict):
            wrong = sorted(k for k in data if k in cls._python_names)
            if wrong:
                raise ValueError(f"unknown field(s) {wrong}: OCPP field names are camelCase")
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _no_json_null(cls, value: Any, info: ValidationInfo) -> Any:
        """An absent optional field is omitted in OCPP JSON; ``null`` is not a string/integer."""
        if value is None and info.mode == "json":
            raise ValueError("null is not allowed: omit an absent field")
        return value

    def to_json(self) -> bytes:
        """The OCPP wire form: camelCase names, absent optionals omitted."""
        return wire_json(self)
