"""BootNotification.req → a row of the evse registry (pure functions, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from wiseevp_common.messages.ocpp16 import BootNotificationRequest

from .storable_values import checked_evse_id, checked_text

BOOT_COLUMNS = (
    "evse_id",
    "charge_point_vendor",
    "charge_point_model",
    "charge_point_serial_number",
    "charge_box_serial_number",
    "firmware_version",
    "iccid",
    "imsi",
    "meter_type",
    "meter_serial_number",
    "last_boot_at",
    "first_seen",
    "last_seen",
)
SEEN_COLUMNS = ("evse_id", "first_seen", "last_seen")


@dataclass(frozen=True)
class BootRow:
    evse_id: str
    fields: tuple[str | None, ...]
    """BootNotification fields in :data:`BOOT_COLUMNS` order (vendor … meter serial)."""
    received_at: datetime

    @property
    def values(self) -> tuple[object, ...]:
        return (self.evse_id, *self.fields, self.received_at, self.received_at, self.received_at)


def boot_row(evse_id: str, boot: BootNotificationRequest, received_at: datetime) -> BootRow:
    names = BOOT_COLUMNS[1:10]
    fields = tuple(checked_text(getattr(boot, name), name) for name in names)
    return BootRow(checked_evse_id(evse_id), fields, received_at)


def latest_boot_per_evse(rows: Iterable[BootRow]) -> list[BootRow]:
    newest: dict[str, BootRow] = {}
    for row in rows:
        current = newest.get(row.evse_id)
        if current is None or row.received_at >= current.received_at:
            newest[row.evse_id] = row
    return list(newest.values())
