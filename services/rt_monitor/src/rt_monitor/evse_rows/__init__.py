"""Validated OCPP 1.6 requests from the IOP EVSE topics → rows for PostgreSQL, and the matching
of transactions to the ids the central system gave them (pure functions, no I/O).

One module per subject: :mod:`.registry` (BootNotification), :mod:`.connector_status`
(StatusNotification), :mod:`.meter_values` (MeterValues, sampled values),
:mod:`.transactions` (Start/StopTransaction), :mod:`.transaction_matching`, :mod:`.any_row`
(the union of the row kinds) and :mod:`.storable_values` (what PostgreSQL cannot store).

See ``migrations/0002_evse_tables.sql`` for the tables and the transaction key.
"""

from .any_row import EVSE_ROW_TYPES, EvseRow, seen_rows
from .connector_status import (
    CONNECTOR_STATUS_COLUMNS,
    ConnectorStatusRow,
    connector_status_row,
    latest_per_connector,
    without_repeats,
)
from .meter_values import (
    SAMPLE_COLUMNS,
    MeterValuesRow,
    SampleRow,
    TxHint,
    decimal_value,
    meter_values_row,
    sample_row,
)
from .registry import BOOT_COLUMNS, SEEN_COLUMNS, BootRow, boot_row, latest_boot_per_evse
from .storable_values import INT32_MAX, INT64_MAX, UnstorableMessage
from .transaction_matching import LinkPlan, OpenTx, PendingStop, plan_links
from .transactions import (
    START_COLUMNS,
    STOP_COLUMNS,
    StartRow,
    StopRow,
    TxKey,
    start_row,
    stop_row,
    with_connector,
)

__all__ = [
    "BOOT_COLUMNS",
    "CONNECTOR_STATUS_COLUMNS",
    "EVSE_ROW_TYPES",
    "INT32_MAX",
    "INT64_MAX",
    "SAMPLE_COLUMNS",
    "SEEN_COLUMNS",
    "START_COLUMNS",
    "STOP_COLUMNS",
    "BootRow",
    "ConnectorStatusRow",
    "EvseRow",
    "LinkPlan",
    "MeterValuesRow",
    "OpenTx",
    "PendingStop",
    "SampleRow",
    "StartRow",
    "StopRow",
    "TxHint",
    "TxKey",
    "UnstorableMessage",
    "boot_row",
    "connector_status_row",
    "decimal_value",
    "latest_boot_per_evse",
    "latest_per_connector",
    "meter_values_row",
    "plan_links",
    "sample_row",
    "seen_rows",
    "start_row",
    "stop_row",
    "with_connector",
    "without_repeats",
]
