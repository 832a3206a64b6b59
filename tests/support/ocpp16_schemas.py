"""The official OCPP 1.6 JSON schemas (from the ``ocpp`` package) as the reference verdict
for the models' tests."""

from __future__ import annotations

import calendar
import json
import re
from pathlib import Path
from typing import Any

import ocpp  # type: ignore[import-untyped]
from jsonschema import Draft4Validator, FormatChecker  # type: ignore[import-untyped]
from pydantic import BaseModel, ValidationError

from wiseevp_common.messages.ocpp16 import (
    BootNotificationRequest,
    MeterValuesRequest,
    StartTransactionRequest,
    StatusNotificationRequest,
    StopTransactionRequest,
)

SCHEMAS = Path(ocpp.__file__).parent / "v16" / "schemas"

_RFC3339 = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[Tt](?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
    r"(?:\.\d+)?(?:[Zz]|[+-](?P<oh>\d{2}):(?P<om>\d{2}))",
    re.ASCII,
)


def is_rfc3339(text: object) -> bool:
    """RFC 3339 ``date-time`` (section 5.6), including leap seconds (``:60``)."""
    if not isinstance(text, str):
        return True  # formats only constrain strings; the type keyword handles the rest
    m = _RFC3339.fullmatch(text)
    if m is None:
        return False
    year, month, day = int(m["y"]), int(m["mo"]), int(m["d"])
    if not (1 <= month <= 12 and year >= 1):
        return False
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return False
    if int(m["h"]) > 23 or int(m["mi"]) > 59 or int(m["s"]) > 60:
        return False
    return m["oh"] is None or (int(m["oh"]) <= 23 and int(m["om"]) <= 59)


FORMATS = FormatChecker()
FORMATS.checks("date-time")(is_rfc3339)


def load_schema(action: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{action}.json").read_text())
    return schema


def schema_accepts(action: str, body: bytes) -> bool:
    validator = Draft4Validator(load_schema(action), format_checker=FORMATS)
    return bool(validator.is_valid(json.loads(body)))


def model_accepts(model: type[BaseModel], body: bytes) -> bool:
    try:
        model.model_validate_json(body)
    except ValidationError:
        return False
    return True


# -- complete valid payloads: every property present -----------------------------------------

SAMPLE_FULL = {
    "value": "1234.5",
    "context": "Sample.Periodic",
    "format": "Raw",
    "measurand": "Energy.Active.Import.Register",
    "phase": "L1-N",
    "location": "Outlet",
    "unit": "Wh",
}

FULL: dict[str, tuple[type[BaseModel], dict[str, Any]]] = {
    "BootNotification": (
        BootNotificationRequest,
        {
            "chargePointVendor": "Emotion",
            "chargePointModel": "Spotlink EVO",
            "chargePointSerialNumber": "SN-0001",
            "chargeBoxSerialNumber": "CB-0001",
            "firmwareVersion": "1.2.3",
            "iccid": "8939100000000000000",
            "imsi": "222100000000000",
            "meterType": "ABB B23",
            "meterSerialNumber": "M-0001",
        },
    ),
    "MeterValues": (
        MeterValuesRequest,
        {
            "connectorId": 1,
            "transactionId": 17,
            "meterValue": [{"timestamp": "2026-05-01T10:00:00Z", "sampledValue": [SAMPLE_FULL]}],
        },
    ),
    "StatusNotification": (
        StatusNotificationRequest,
        {
            "connectorId": 2,
            "errorCode": "NoError",
            "info": "all good",
            "status": "Charging",
            "timestamp": "2026-05-01T10:00:00.250+02:00",
            "vendorId": "com.emotion",
            "vendorErrorCode": "E0",
        },
    ),
    "StartTransaction": (
        StartTransactionRequest,
        {
            "connectorId": 1,
            "idTag": "04A1B2C3D4",
            "meterStart": 125000,
            "reservationId": 7,
            "timestamp": "2026-05-01T10:00:00Z",
        },
    ),
    "StopTransaction": (
        StopTransactionRequest,
        {
            "idTag": "04A1B2C3D4",
            "meterStop": 140000,
            "timestamp": "2026-05-01T11:00:00Z",
            "transactionId": 17,
            "reason": "EVDisconnected",
            "transactionData": [
                {"timestamp": "2026-05-01T11:00:00Z", "sampledValue": [SAMPLE_FULL]}
            ],
        },
    ),
}
