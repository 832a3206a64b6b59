"""Any EVSE row: the union of the five kinds, and what a batch of them says about its evses."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .connector_status import ConnectorStatusRow
from .meter_values import MeterValuesRow
from .registry import BootRow
from .transactions import StartRow, StopRow

EvseRow = BootRow | ConnectorStatusRow | MeterValuesRow | StartRow | StopRow
EVSE_ROW_TYPES = (BootRow, ConnectorStatusRow, MeterValuesRow, StartRow, StopRow)


def seen_rows(rows: Iterable[EvseRow]) -> list[tuple[str, datetime, datetime]]:
    """``(evse_id, first_seen, last_seen)`` of each evse in a batch."""
    seen: dict[str, tuple[datetime, datetime]] = {}
    for row in rows:
        first, last = seen.get(row.evse_id, (row.received_at, row.received_at))
        seen[row.evse_id] = (min(first, row.received_at), max(last, row.received_at))
    return [(evse, first, last) for evse, (first, last) in sorted(seen.items())]
