"""The regulation areas (OSCP groups) of the gateway, loaded from YAML: which charge points each
group holds and their electrical limits, for splitting a group's capacity over them.

.. code-block:: yaml

    groups:
      - id: terni-north            # the OSCP group_id
        nominal_voltage_v: 230     # default 230
        evses:
          - id: TERNI.EVO.01       # OCPP charge point id
            max_current_a: 32      # per phase, > 0
            phases: 3              # 1 or 3, default 3
            v2g: false             # default false

Group ids are unique and a charge point belongs to at most one group. A bad file is a
:class:`GroupsConfigError` naming the file and the field, e.g.
``groups.yaml: groups[0] (terni-north).evses[1].max_current_a: Input should be greater than 0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)


def _not_bool(value: object) -> object:
    if isinstance(value, bool):  # YAML `true` is not the number 1
        raise ValueError("must be 1 or 3, not a boolean")
    return value


NonEmpty = Annotated[str, Field(min_length=1, strict=True)]
Positive = Annotated[float, Field(gt=0, strict=True, allow_inf_nan=False)]
Phases = Annotated[Literal[1, 3], BeforeValidator(_not_bool)]


class GroupsConfigError(ValueError):
    """The groups file cannot be read or is invalid; the text names the file and the field."""


class EvseConfig(BaseModel):
    """One charge point of a group."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: NonEmpty
    """The OCPP charge point identity."""
    max_current_a: Positive
    """The most it may draw, in amperes per phase."""
    phases: Phases = 3
    v2g: Annotated[bool, Field(strict=True)] = False
    """Bidirectional: it may feed energy back (vehicle to grid)."""

    def max_power_w(self, voltage_v: float) -> float:
        """The most it may draw in watts at the given phase-to-neutral voltage."""
        return self.max_current_a * voltage_v * self.phases


class GroupConfig(BaseModel):
    """One regulation area: an OSCP group and the charge points it holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: NonEmpty
    """The OSCP ``group_id``."""
    nominal_voltage_v: Positive = 230.0
    """Phase-to-neutral voltage, to convert between amperes and watts."""
    evses: tuple[EvseConfig, ...]

    @model_validator(mode="after")
    def _unique_evses(self) -> GroupConfig:
        _no_duplicates([e.id for e in self.evses], "EVSE id {!r} is listed twice in the group")
        return self

    @property
    def evse_ids(self) -> list[str]:
        return [e.id for e in self.evses]


class GroupsFile(BaseModel):
    """The whole file: every group, each charge point in at most one of them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    groups: tuple[GroupConfig, ...]

    @model_validator(mode="after")
    def _unique(self) -> GroupsFile:
        _no_duplicates([g.id for g in self.groups], "group id {!r} is used by more than one group")
        owner: dict[str, str] = {}
        for group in self.groups:
            for evse in group.evses:
                if evse.id in owner and owner[evse.id] != group.id:
                    raise ValueError(
                        f"EVSE {evse.id!r} is in groups {owner[evse.id]!r} and {group.id!r}: "
                        "a charge point belongs to at most one group"
                    )
                owner[evse.id] = group.id
        return self


def _no_duplicates(ids: Sequence[str], message: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(message.format(item))
        seen.add(item)


def _where(loc: Sequence[int | str], data: Any) -> str:
    """``groups[0] (terni-north).evses[1].max_current_a`` from a pydantic error location."""
    text, node = "", data
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                text += f" ({node['id']})"
        else:
            text += f".{part}" if text else part
            node = node.get(part) if isinstance(node, dict) else None
    return text or "groups"


def _describe(exc: ValidationError, data: Any) -> str:
    return "; ".join(
        f"{_where(err['loc'], data)}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)
    )


def parse_groups(data: Any, source: str = "groups") -> dict[str, GroupConfig]:
    """Groups by id from already parsed YAML/JSON data; ``source`` names it in errors."""
    try:
        parsed = GroupsFile.model_validate(data)
    except ValidationError as exc:
        raise GroupsConfigError(f"{source}: {_describe(exc, data)}") from None
    return {g.id: g for g in parsed.groups}


def load_groups(path: str | Path) -> dict[str, GroupConfig]:
    """The groups of a YAML file, by group id, in file order."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise GroupsConfigError(f"{path}: cannot read the groups file: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise GroupsConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        raise GroupsConfigError(f"{path}: the groups file is empty (expected 'groups: [...]')")
    return parse_groups(data, str(path))
