"""IOP EV topics (design 3.2.2.1): ``MQTT/EV/<id>/characteristics``, ``status`` and ``public``.

The payloads follow the design's examples exactly (field names, units, enumerations). Models
are frozen and reject unknown fields, so a contract mismatch is loud (dead-lettered with the
reason) rather than silently dropped.
"""

from __future__ import annotations

import math
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

from .types import IsoTimestamp, wire_json

EV_ID_PATTERN = r"^[A-Za-z0-9_]{1,32}-[A-Za-z0-9_.-]{1,64}$"
"""``[ORGANISATION ID]-[ID WITHIN ORGANISATION]``, e.g. ``PARTAGO-00001``."""

EvId = Annotated[str, Field(pattern=EV_ID_PATTERN, examples=["PARTAGO-00001"])]


class _Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def to_json(self) -> bytes:
        """The wire form: JSON, camelCase aliases, absent optionals omitted."""
        return wire_json(self)


class ConnectorType(StrEnum):
    """Table 4 of the design."""

    CHADEMO = "chademo"
    COMBO = "combo"
    TESLA = "tesla"
    MENNEKES = "mennekes"
    J1772 = "j1772"
    CCS = "ccs"


class EvStatusValue(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTED = "connected"
    CHARGING = "charging"
    NOCOMM = "nocomm"


KiloWattString = Annotated[
    Decimal,
    Field(gt=0, le=1000, max_digits=8, decimal_places=3),
    PlainSerializer(lambda v: format(v.normalize(), "f"), return_type=str),
]
"""Connector power in kW, written as a JSON string as in the design (``"22"``); numbers are
accepted too."""


class Connector(_Contract):
    type: ConnectorType
    power: KiloWattString


class EvCharacteristics(_Contract):
    """``MQTT/EV/<id>/characteristics`` — retained, QoS 1, published on connect."""

    id: EvId
    name: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="Free text description (no control characters)",
    )
    connector: Connector
    capacity: float = Field(gt=0, le=1000, description="Battery capacity, kWh")


Coordinates = tuple[
    Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]
]
"""``[longitude, latitude]`` in degrees (WGS84)."""


class EvStatus(_Contract):
    """``MQTT/EV/<id>/status`` — retained, QoS 1, periodic; the LWT sets ``nocomm``."""

    id: EvId
    timestamp: IsoTimestamp
    status: EvStatusValue
    soc: float | None = Field(default=None, ge=0, le=100, description="State of charge, %")
    autonomy: float | None = Field(default=None, ge=0, le=5000, description="Range, km")
    coordinates: Coordinates | None = None
    travelled_distance: float | None = Field(
        default=None, alias="travelledDistance", ge=0, description="Odometer, km"
    )

    @field_validator("soc", "autonomy", "travelled_distance")
    @classmethod
    def _finite(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v


class EvPublicStatus(_Contract):
    """``MQTT/EV/<id>/public`` — the status with privacy-sensitive fields removed or
    coarsened (EVP_037): no odometer, position rounded to a coarse grid, SoC to whole %."""

    id: EvId
    timestamp: IsoTimestamp
    status: EvStatusValue
    soc: int | None = Field(default=None, ge=0, le=100)
    autonomy: int | None = Field(default=None, ge=0)
    coordinates: Coordinates | None = None
