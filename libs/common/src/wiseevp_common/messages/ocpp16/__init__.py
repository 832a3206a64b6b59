"""OCPP 1.6 JSON request payloads carried on the IOP EVSE topics (design 3.2.1.2).

The EVSE wrapper republishes what a charge point says as ``MQTT/EVSE/<evse id>/<topic>``
whose payload is the OCPP 1.6 JSON *request* of the action: ``bootnotification`` →
:class:`BootNotificationRequest`, ``metervalues`` → :class:`MeterValuesRequest`, ``status`` →
:class:`StatusNotificationRequest`, ``starttransaction`` → :class:`StartTransactionRequest`,
``stoptransaction`` → :class:`StopTransactionRequest`.

The models accept exactly what the official OCPP 1.6 JSON schemas accept (field names, required
fields, string lengths, enumerations, JSON types) — a unit test holds them to the schemas
shipped with the ``ocpp`` package — so that a payload is valid here if and only if it is valid
OCPP. In particular, when validating JSON:

- integers must be JSON integers (no ``1.0``, no ``"1"``), strings must be JSON strings;
- an optional field is either absent or has a value: ``null`` is rejected (as by the schema);
- field names are the OCPP camelCase names only (the snake_case attributes are for Python);
- timestamps are RFC 3339 ``date-time`` strings with an offset (``Z`` or ``±hh:mm``).

Python code may build models with the snake_case attribute names and ``None`` for absent
optionals; :meth:`_Ocpp.to_json` writes the OCPP wire form. Two quirks of the official schemas
are kept on purpose: the unit ``Celcius`` (sic) is accepted next to ``Celsius``, and ``Hertz``
is a unit of :class:`MeterValuesRequest` samples but not of StopTransaction ``transactionData``
samples. Defaults the specification gives to absent optional fields (e.g. measurand
``Energy.Active.Import.Register``) are *not* filled in: absent stays ``None``, so the wire form
round-trips; consumers apply the defaults (constants below).
"""

from __future__ import annotations

from .datetimes import (
    OcppDateTime,
    parse_rfc3339,
)
from .enums import (
    DEFAULT_CONTEXT,
    DEFAULT_FORMAT,
    DEFAULT_LOCATION,
    DEFAULT_MEASURAND,
    DEFAULT_STOP_REASON,
    ChargePointErrorCode,
    ChargePointStatus,
    Location,
    Measurand,
    Phase,
    ReadingContext,
    Reason,
    UnitOfMeasure,
    ValueFormat,
    default_unit,
)
from .requests import (
    BootNotificationRequest,
    MeterValue,
    MeterValuesRequest,
    SampledValue,
    StartTransactionRequest,
    StatusNotificationRequest,
    StopTransactionRequest,
    TransactionData,
    TransactionSampledValue,
)

__all__ = [
    "DEFAULT_CONTEXT",
    "DEFAULT_FORMAT",
    "DEFAULT_LOCATION",
    "DEFAULT_MEASURAND",
    "DEFAULT_STOP_REASON",
    "BootNotificationRequest",
    "ChargePointErrorCode",
    "ChargePointStatus",
    "Location",
    "Measurand",
    "MeterValue",
    "MeterValuesRequest",
    "OcppDateTime",
    "Phase",
    "ReadingContext",
    "Reason",
    "SampledValue",
    "StartTransactionRequest",
    "StatusNotificationRequest",
    "StopTransactionRequest",
    "TransactionData",
    "TransactionSampledValue",
    "UnitOfMeasure",
    "ValueFormat",
    "default_unit",
    "parse_rfc3339",
]
