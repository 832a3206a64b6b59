"""Validated IOP messages → rows for PostgreSQL (pure functions, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wiseevp_common.messages.iop import EvCharacteristics, EvStatus, EvStatusValue

EV_COLUMNS = (
    "ev_id",
    "name",
    "connector_type",
    "connector_power_kw",
    "capacity_kwh",
    "first_seen",
    "updated_at",
)
STATUS_COLUMNS = (
    "ev_id",
    "ts",
    "status",
    "soc",
    "autonomy_km",
    "lon",
    "lat",
    "travelled_km",
    "received_at",
)


@dataclass(frozen=True)
class EvRow:
    values: tuple[object, ...]

    @property
    def ev_id(self) -> str:
        return str(self.values[0])


@dataclass(frozen=True)
class StatusRow:
    values: tuple[object, ...]

    @property
    def ev_id(self) -> str:
        return str(self.values[0])

    @property
    def ts(self) -> datetime:
        ts = self.values[1]
        assert isinstance(ts, datetime)
        return ts


Row = EvRow | StatusRow


def ev_row(ev: EvCharacteristics, received_at: datetime) -> EvRow:
    return EvRow(
        (
            ev.id,
            ev.name,
            ev.connector.type.value,
            ev.connector.power,
            ev.capacity,
            received_at,
            received_at,
        )
    )


def status_row(status: EvStatus, received_at: datetime) -> StatusRow:
    """A status row. A ``nocomm`` status is recorded at ``max(timestamp, received_at)``: the
    MQTT last will is composed when the wrapper connects, so its timestamp is stale by nature."""
    ts = status.timestamp
    if status.status is EvStatusValue.NOCOMM:
        ts = max(ts, received_at)
    lon, lat = status.coordinates if status.coordinates is not None else (None, None)
    return StatusRow(
        (
            status.id,
            ts,
            status.status.value,
            status.soc,
            status.autonomy,
            lon,
            lat,
            status.travelled_distance,
            received_at,
        )
    )


def latest_per_ev(rows: list[StatusRow]) -> list[StatusRow]:
    """The newest row of each EV (an upsert must touch each key once per statement)."""
    newest: dict[str, StatusRow] = {}
    for row in rows:
        current = newest.get(row.ev_id)
        if current is None or row.ts >= current.ts:
            newest[row.ev_id] = row
    return list(newest.values())


def last_per_ev(rows: list[EvRow]) -> list[EvRow]:
    return list({row.ev_id: row for row in rows}.values())
