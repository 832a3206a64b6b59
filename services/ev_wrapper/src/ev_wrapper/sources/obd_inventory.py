"""The OBD car inventory: what OBD cannot tell (name, connector, battery capacity) per car.

A YAML file (``WISEEVP_OBD_INVENTORY``)::

    version: 1
    cars:
      - id: EMOTION-00001            # the EV id published on the IOP (ORG-ID)
        device: "861230045123456"    # id the OBD device says in its hello (default: the EV id)
        name: Renault ZOE 41 kWh
        connector: {type: mennekes, power: 22}   # type from table 4, power in kW
        capacity: 41                 # kWh

Pure parsing and validation (:func:`parse_inventory`); :func:`load_inventory` reads the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wiseevp_common.messages.iop import Connector, EvCharacteristics, EvId

from .obd_protocol import DEVICE_ID_PATTERN


class InventoryError(ValueError):
    """The inventory cannot be used (the text names the file part that is wrong)."""


class _Car(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: EvId
    device: str | None = Field(default=None, pattern=DEVICE_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    connector: Connector
    capacity: float = Field(gt=0, le=1000)


class _InventoryFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    cars: list[_Car] = Field(min_length=1)


@dataclass(frozen=True)
class Inventory:
    """The known cars, by EV id, and which device speaks for which car."""

    cars: Mapping[str, EvCharacteristics]
    ev_by_device: Mapping[str, str]

    def ev_for_device(self, device: str) -> str | None:
        return self.ev_by_device.get(device)


def parse_inventory(document: Any, organisation: str) -> Inventory:
    """Validate a parsed YAML document. Every EV id must belong to ``organisation``; EV ids and
    device ids must be unique."""
    try:
        parsed = _InventoryFile.model_validate(document)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise InventoryError(f"{where}: {first['msg']}") from None
    cars: dict[str, EvCharacteristics] = {}
    ev_by_device: dict[str, str] = {}
    for n, car in enumerate(parsed.cars):
        if not car.id.startswith(f"{organisation}-"):
            raise InventoryError(f"cars.{n}.id: {car.id} is not of organisation {organisation}")
        if car.id in cars:
            raise InventoryError(f"cars.{n}.id: {car.id} listed twice")
        device = car.device or car.id
        if device in ev_by_device:
            raise InventoryError(
                f"cars.{n}.device: {device} already used by {ev_by_device[device]}"
            )
        cars[car.id] = EvCharacteristics(
            id=car.id, name=car.name, connector=car.connector, capacity=car.capacity
        )
        ev_by_device[device] = car.id
    return Inventory(cars=cars, ev_by_device=ev_by_device)


def load_inventory(path: Path, organisation: str) -> Inventory:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InventoryError(f"cannot read {path}: {exc}") from None
    try:
        return parse_inventory(document, organisation)
    except InventoryError as exc:
        raise InventoryError(f"{path}: {exc}") from None
