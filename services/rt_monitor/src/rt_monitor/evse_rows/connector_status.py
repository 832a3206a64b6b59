"""StatusNotification.req → connector status rows (pure functions, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from wiseevp_common.messages.ocpp16 import StatusNotificationRequest

from .storable_values import checked_connector, checked_evse_id, checked_text

CONNECTOR_STATUS_COLUMNS = (
    "evse_id",
    "connector_id",
    "ts",
    "timestamp_reported",
    "status",
    "error_code",
    "info",
    "vendor_id",
    "vendor_error_code",
    "received_at",
)


@dataclass(frozen=True)
class ConnectorStatusRow:
    evse_id: str
    connector_id: int
    ts: datetime
    timestamp_reported: bool
    status: str
    error_code: str
    info: str | None
    vendor_id: str | None
    vendor_error_code: str | None
    received_at: datetime

    @property
    def values(self) -> tuple[object, ...]:
        return tuple(getattr(self, c) for c in CONNECTOR_STATUS_COLUMNS)


def connector_status_row(
    evse_id: str, notification: StatusNotificationRequest, received_at: datetime
) -> ConnectorStatusRow:
    """A status row; without a timestamp, the time of receipt is assumed (OCPP 1.6)."""
    reported = notification.timestamp is not None
    return ConnectorStatusRow(
        evse_id=checked_evse_id(evse_id),
        connector_id=checked_connector(notification.connector_id),
        ts=notification.timestamp if notification.timestamp is not None else received_at,
        timestamp_reported=reported,
        status=notification.status.value,
        error_code=notification.error_code.value,
        info=checked_text(notification.info, "info"),
        vendor_id=checked_text(notification.vendor_id, "vendorId"),
        vendor_error_code=checked_text(notification.vendor_error_code, "vendorErrorCode"),
        received_at=received_at,
    )


def latest_per_connector(rows: Iterable[ConnectorStatusRow]) -> list[ConnectorStatusRow]:
    """The newest row of each connector (an upsert must touch each key once per statement)."""
    newest: dict[tuple[str, int], ConnectorStatusRow] = {}
    for row in rows:
        key = (row.evse_id, row.connector_id)
        current = newest.get(key)
        if current is None or (row.ts, row.received_at) >= (current.ts, current.received_at):
            newest[key] = row
    return list(newest.values())


def _content(row: ConnectorStatusRow) -> tuple[object, ...]:
    return (row.status, row.error_code, row.info, row.vendor_id, row.vendor_error_code)


def without_repeats(rows: Iterable[ConnectorStatusRow]) -> list[ConnectorStatusRow]:
    """Drop a notification without timestamp that repeats the previous one without timestamp
    of its connector in the batch: a redelivery stamped with another receipt time. (Against
    the stored latest status the writer checks the same in SQL.)"""
    kept: list[ConnectorStatusRow] = []
    previous: dict[tuple[str, int], ConnectorStatusRow] = {}
    for row in sorted(rows, key=lambda r: r.received_at):
        if not row.timestamp_reported:
            key = (row.evse_id, row.connector_id)
            before = previous.get(key)
            if before is not None and _content(before) == _content(row):
                continue
            previous[key] = row
        kept.append(row)
    return kept
