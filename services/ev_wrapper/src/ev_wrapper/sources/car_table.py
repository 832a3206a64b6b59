"""The Ghent car table contract: which columns the wrapper reads and how a row maps to IOP.

Pure (no I/O). The table and its NOTIFY trigger are ``deploy/sites/ghent/car_table.sql``; the
contract is documented in ``services/ev_wrapper/README.md``. A row is one car:

- ``car_id`` → EV id ``<organisation>-<car_id>``;
- ``name``, ``connector_type``, ``connector_power_kw``, ``capacity_kwh`` → characteristics;
- ``reported_at`` (NULL: never reported, no status), ``plugged``, ``charging``, ``soc_pct``,
  ``range_km``, ``longitude``/``latitude``, ``odometer_km`` → status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from pydantic import ValidationError

from wiseevp_common.messages.iop import (
    Connector,
    EvCharacteristics,
    EvStatus,
    EvStatusValue,
)

COLUMNS: Final = (
    "car_id",
    "name",
    "connector_type",
    "connector_power_kw",
    "capacity_kwh",
    "reported_at",
    "plugged",
    "charging",
    "soc_pct",
    "range_km",
    "longitude",
    "latitude",
    "odometer_km",
)

CAR_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")

ALL_CARS: Final = "*"
"""Notification payload meaning "re-read every car" (sent after a TRUNCATE)."""


class Row(Protocol):
    """A row by column name: an asyncpg ``Record`` or a plain dict."""

    def __getitem__(self, column: str, /) -> Any: ...


class CarRowError(ValueError):
    """A row that does not satisfy the contract (the text says which column)."""


@dataclass(frozen=True)
class CarSnapshot:
    """What one row says: the car, and its status if it ever reported one."""

    characteristics: EvCharacteristics
    status: EvStatus | None

    @property
    def ev_id(self) -> str:
        return self.characteristics.id


def quote_table(table: str) -> str:
    """``fleet.cars`` → ``"fleet"."cars"`` (names are validated by the settings pattern)."""
    parts = table.split(".")
    if not all(re.fullmatch(r"[a-z_][a-z0-9_]*", p) for p in parts) or len(parts) > 2:
        raise ValueError(f"invalid table name {table!r}")
    return ".".join(f'"{p}"' for p in parts)


def select_all_sql(table: str) -> str:
    return f"SELECT {', '.join(COLUMNS)} FROM {quote_table(table)} ORDER BY car_id"


def select_one_sql(table: str) -> str:
    return f"SELECT {', '.join(COLUMNS)} FROM {quote_table(table)} WHERE car_id = $1"


def ev_id_for(organisation: str, car_id: str) -> str:
    return f"{organisation}-{car_id}"


def notified_car(payload: str) -> str | None:
    """The car a notification is about (or :data:`ALL_CARS`); None if the payload is not one."""
    if payload == ALL_CARS or CAR_ID_PATTERN.fullmatch(payload):
        return payload
    return None


def status_value(plugged: bool | None, charging: bool | None) -> EvStatusValue:
    """``charging`` ⇒ charging (energy flows, whatever ``plugged`` says); else ``plugged`` ⇒
    connected; else disconnected. NULL counts as false."""
    if charging:
        return EvStatusValue.CHARGING
    if plugged:
        return EvStatusValue.CONNECTED
    return EvStatusValue.DISCONNECTED


_COLUMN_OF_FIELD: Final = {
    "name": "name",
    "type": "connector_type",
    "power": "connector_power_kw",
    "capacity": "capacity_kwh",
    "soc": "soc_pct",
    "autonomy": "range_km",
    "coordinates": "longitude/latitude",
    "travelledDistance": "odometer_km",
    "travelled_distance": "odometer_km",
    "timestamp": "reported_at",
}


def _explain(exc: ValidationError) -> str:
    """The first problem, named by its column."""
    first = exc.errors(include_url=False, include_input=False)[0]
    loc = [str(p) for p in first["loc"]]
    column = next((_COLUMN_OF_FIELD[p] for p in loc if p in _COLUMN_OF_FIELD), ".".join(loc))
    return f"{column}: {first['msg']}"


def car_from_row(row: Row, organisation: str) -> CarSnapshot:
    """Map a row (asyncpg Record or dict with :data:`COLUMNS`) to what the wrapper publishes."""
    car_id = row["car_id"]
    if not isinstance(car_id, str) or not CAR_ID_PATTERN.fullmatch(car_id):
        raise CarRowError(f"car_id {car_id!r} is not [A-Za-z0-9_-]{{1,64}}")
    ev_id = ev_id_for(organisation, car_id)
    try:
        characteristics = EvCharacteristics(
            id=ev_id,
            name=row["name"],
            connector=Connector(type=row["connector_type"], power=row["connector_power_kw"]),
            capacity=row["capacity_kwh"],
        )
    except ValidationError as exc:
        raise CarRowError(f"car {car_id}: {_explain(exc)}") from None
    reported_at = row["reported_at"]
    if reported_at is None:
        return CarSnapshot(characteristics, None)
    if not isinstance(reported_at, datetime):
        raise CarRowError(f"car {car_id}: reported_at is not a timestamp")
    if reported_at.tzinfo is None:  # a ``timestamp`` column instead of ``timestamptz``: UTC
        reported_at = reported_at.replace(tzinfo=UTC)
    lon, lat = row["longitude"], row["latitude"]
    if (lon is None) != (lat is None):
        raise CarRowError(f"car {car_id}: longitude and latitude must be both set or both NULL")
    try:
        status = EvStatus(
            id=ev_id,
            timestamp=reported_at,
            status=status_value(row["plugged"], row["charging"]),
            soc=row["soc_pct"],
            autonomy=row["range_km"],
            coordinates=None if lon is None else (lon, lat),
            travelled_distance=row["odometer_km"],
        )
    except ValidationError as exc:
        raise CarRowError(f"car {car_id}: {_explain(exc)}") from None
    return CarSnapshot(characteristics, status)
