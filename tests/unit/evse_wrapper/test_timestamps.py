"""Schema + date-time check in the wrapper ⇔ the IOP models of the five design topics."""

from __future__ import annotations

from typing import Any

import pytest
from ocpp.exceptions import OCPPError
from pydantic import ValidationError

from evse_wrapper.framing import validate_request
from evse_wrapper.timestamps import check_timestamps
from wiseevp_common.topology import IopTopic

MV = IopTopic.EVSE_METERVALUES
ST = IopTopic.EVSE_STATUS
START = IopTopic.EVSE_STARTTRANSACTION
STOP = IopTopic.EVSE_STOPTRANSACTION


def meter(ts: Any) -> dict[str, Any]:
    return {"connectorId": 1, "meterValue": [{"timestamp": ts, "sampledValue": [{"value": "1"}]}]}


CASES: list[tuple[str, Any, dict[str, Any]]] = [
    ("MeterValues", MV, meter("2026-01-01T00:00:00Z")),
    ("MeterValues", MV, meter("2026-01-01T00:00:00.123+02:00")),
    ("MeterValues", MV, meter("2026-01-01 00:00:00")),
    ("MeterValues", MV, meter("2026-01-01T00:00:00")),
    ("MeterValues", MV, meter("yesterday")),
    ("MeterValues", MV, meter(5)),
    ("StatusNotification", ST, {"connectorId": 1, "errorCode": "NoError", "status": "Available"}),
    (
        "StatusNotification",
        ST,
        {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": "x"},
    ),
    (
        "StartTransaction",
        START,
        {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"},
    ),
    (
        "StartTransaction",
        START,
        {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-13-01T00:00:00Z"},
    ),
    (
        "StopTransaction",
        STOP,
        {
            "transactionId": 1,
            "meterStop": 5,
            "timestamp": "2026-01-01T00:00:00Z",
            "transactionData": [{"timestamp": "bad", "sampledValue": [{"value": "5"}]}],
        },
    ),
    (
        "StopTransaction",
        STOP,
        {"transactionId": 1, "meterStop": 5, "timestamp": "2026-01-01T00:00:00-05:00"},
    ),
]


@pytest.mark.parametrize(("action", "topic", "payload"), CASES)
def test_wrapper_verdict_equals_the_iop_model(action: str, topic: Any, payload: Any) -> None:
    try:
        topic.model.model_validate(payload)
        model_ok = True
    except ValidationError:
        model_ok = False
    try:
        validate_request(action, payload)
        check_timestamps(action, payload)
        wrapper_ok = True
    except OCPPError:
        wrapper_ok = False
    assert wrapper_ok == model_ok
