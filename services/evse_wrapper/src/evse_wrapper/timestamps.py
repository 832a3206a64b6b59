"""The one thing the official schemas leave unchecked: ``format: date-time``.

The schema validator does not check formats, but the IOP contracts (and the RT monitor) need
RFC 3339 timestamps with an offset; a station sending anything else gets a CALLERROR instead
of its message being relayed and dead-lettered downstream. Together with the schema this is
exactly what the IOP models of ``wiseevp_common.messages.ocpp16`` accept (a unit test checks
both verdicts agree), at a fraction of the cost of building the models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ocpp.exceptions import FormatViolationError

from wiseevp_common.messages.ocpp16 import parse_rfc3339

Paths = Callable[[dict[str, Any]], Iterator[tuple[str, Any]]]


def _meter_values(payload: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for i, value in enumerate(payload["meterValue"]):
        yield f"meterValue.{i}.timestamp", value["timestamp"]


def _status(payload: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    if "timestamp" in payload:
        yield "timestamp", payload["timestamp"]


def _start(payload: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    yield "timestamp", payload["timestamp"]


def _stop(payload: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    yield "timestamp", payload["timestamp"]
    for i, value in enumerate(payload.get("transactionData", ())):
        yield f"transactionData.{i}.timestamp", value["timestamp"]


TIMESTAMPS: dict[str, Paths] = {
    "MeterValues": _meter_values,
    "StatusNotification": _status,
    "StartTransaction": _start,
    "StopTransaction": _stop,
}


def check_timestamps(action: str, payload: dict[str, Any]) -> None:
    """Raise FormationViolation naming the first date-time that is not RFC 3339."""
    paths = TIMESTAMPS.get(action)
    if paths is None:
        return
    for path, value in paths(payload):
        try:
            parse_rfc3339(value)
        except ValueError as exc:
            raise FormatViolationError(details={"cause": f"{path}: {exc}"}) from None
