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

import re
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .types import IsoTimestamp

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

# -- timestamps -------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 ``date-time`` (section 5.6) into an aware datetime.

    Stricter than ISO 8601 parsers: a ``T`` separator, seconds and an offset are required;
    fractions beyond microseconds are truncated. Two deviations, for a Python datetime cannot
    hold them: leap seconds (``:60``) and instants outside the years 1 to 9999 in UTC are rejected.
    """
    m = _RFC3339.fullmatch(text)
    if m is None:
        raise ValueError("must be an RFC 3339 date-time, e.g. 2018-01-01T00:00:00Z")
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    fraction = m.group(7)
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    offset = timedelta(0)
    if m.group(8) is not None:
        off_hours, off_minutes = int(m.group(9)), int(m.group(10))
        if off_hours > 23 or off_minutes > 59:
            raise ValueError("the UTC offset of the date-time is out of range")
        offset = timedelta(hours=off_hours, minutes=off_minutes)
        if m.group(8) == "-":
            offset = -offset
    try:
        local = datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone(offset))
        return local.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not a valid date-time: {exc}") from None


def _rfc3339_input(value: object) -> object:
    if isinstance(value, str):
        return parse_rfc3339(value)
    if isinstance(value, datetime):
        return value  # Python callers; awareness is checked by AwareDatetime
    raise ValueError("must be an RFC 3339 date-time string")


OcppDateTime = Annotated[IsoTimestamp, BeforeValidator(_rfc3339_input)]
"""OCPP ``dateTime``: an RFC 3339 string with an offset in JSON (parsed to UTC), an aware
datetime from Python; written back as UTC with milliseconds and ``Z``."""


# -- base ---------------------------------------------------------------------------------


class _Ocpp(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    _python_names: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._python_names = frozenset(
            name
            for name, info in cls.model_fields.items()
            if info.alias is not None and info.alias != name
        )

    @model_validator(mode="before")
    @classmethod
    def _wire_names_only(cls, data: Any, info: ValidationInfo) -> Any:
        """On the wire only the OCPP camelCase names exist (``additionalProperties: false``)."""
        if info.mode == "json" and isinstance(data, dict):
            wrong = sorted(k for k in data if k in cls._python_names)
            if wrong:
                raise ValueError(f"unknown field(s) {wrong}: OCPP field names are camelCase")
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _no_json_null(cls, value: Any, info: ValidationInfo) -> Any:
        """An absent optional field is omitted in OCPP JSON; ``null`` is not a string/integer."""
        if value is None and info.mode == "json":
            raise ValueError("null is not allowed: omit an absent field")
        return value

    def to_json(self) -> bytes:
        """The OCPP wire form: camelCase names, absent optionals omitted."""
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()


# -- enumerations (OCPP 1.6 section 7) ------------------------------------------------


class ChargePointErrorCode(StrEnum):
    CONNECTOR_LOCK_FAILURE = "ConnectorLockFailure"
    EV_COMMUNICATION_ERROR = "EVCommunicationError"
    GROUND_FAILURE = "GroundFailure"
    HIGH_TEMPERATURE = "HighTemperature"
    INTERNAL_ERROR = "InternalError"
    LOCAL_LIST_CONFLICT = "LocalListConflict"
    NO_ERROR = "NoError"
    OTHER_ERROR = "OtherError"
    OVER_CURRENT_FAILURE = "OverCurrentFailure"
    POWER_METER_FAILURE = "PowerMeterFailure"
    POWER_SWITCH_FAILURE = "PowerSwitchFailure"
    READER_FAILURE = "ReaderFailure"
    RESET_FAILURE = "ResetFailure"
    UNDER_VOLTAGE = "UnderVoltage"
    OVER_VOLTAGE = "OverVoltage"
    WEAK_SIGNAL = "WeakSignal"


class ChargePointStatus(StrEnum):
    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EVSE = "SuspendedEVSE"
    SUSPENDED_EV = "SuspendedEV"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"


class ReadingContext(StrEnum):
    INTERRUPTION_BEGIN = "Interruption.Begin"
    INTERRUPTION_END = "Interruption.End"
    SAMPLE_CLOCK = "Sample.Clock"
    SAMPLE_PERIODIC = "Sample.Periodic"
    TRANSACTION_BEGIN = "Transaction.Begin"
    TRANSACTION_END = "Transaction.End"
    TRIGGER = "Trigger"
    OTHER = "Other"


class ValueFormat(StrEnum):
    RAW = "Raw"
    SIGNED_DATA = "SignedData"


class Measurand(StrEnum):
    ENERGY_ACTIVE_EXPORT_REGISTER = "Energy.Active.Export.Register"
    ENERGY_ACTIVE_IMPORT_REGISTER = "Energy.Active.Import.Register"
    ENERGY_REACTIVE_EXPORT_REGISTER = "Energy.Reactive.Export.Register"
    ENERGY_REACTIVE_IMPORT_REGISTER = "Energy.Reactive.Import.Register"
    ENERGY_ACTIVE_EXPORT_INTERVAL = "Energy.Active.Export.Interval"
    ENERGY_ACTIVE_IMPORT_INTERVAL = "Energy.Active.Import.Interval"
    ENERGY_REACTIVE_EXPORT_INTERVAL = "Energy.Reactive.Export.Interval"
    ENERGY_REACTIVE_IMPORT_INTERVAL = "Energy.Reactive.Import.Interval"
    POWER_ACTIVE_EXPORT = "Power.Active.Export"
    POWER_ACTIVE_IMPORT = "Power.Active.Import"
    POWER_OFFERED = "Power.Offered"
    POWER_REACTIVE_EXPORT = "Power.Reactive.Export"
    POWER_REACTIVE_IMPORT = "Power.Reactive.Import"
    POWER_FACTOR = "Power.Factor"
    CURRENT_IMPORT = "Current.Import"
    CURRENT_EXPORT = "Current.Export"
    CURRENT_OFFERED = "Current.Offered"
    VOLTAGE = "Voltage"
    FREQUENCY = "Frequency"
    TEMPERATURE = "Temperature"
    SOC = "SoC"
    RPM = "RPM"


class Phase(StrEnum):
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    N = "N"
    L1_N = "L1-N"
    L2_N = "L2-N"
    L3_N = "L3-N"
    L1_L2 = "L1-L2"
    L2_L3 = "L2-L3"
    L3_L1 = "L3-L1"


class Location(StrEnum):
    CABLE = "Cable"
    EV = "EV"
    INLET = "Inlet"
    OUTLET = "Outlet"
    BODY = "Body"


class UnitOfMeasure(StrEnum):
    WH = "Wh"
    KWH = "kWh"
    VARH = "varh"
    KVARH = "kvarh"
    W = "W"
    KW = "kW"
    VA = "VA"
    KVA = "kVA"
    VAR = "var"
    KVAR = "kvar"
    A = "A"
    V = "V"
    K = "K"
    CELCIUS = "Celcius"
    """Misspelt, but in the official schemas (and sent by some charge points)."""
    CELSIUS = "Celsius"
    FAHRENHEIT = "Fahrenheit"
    PERCENT = "Percent"
    HERTZ = "Hertz"
    """In the MeterValues schema only; StopTransaction's transactionData does not allow it."""


class Reason(StrEnum):
    """Why a transaction stopped (StopTransaction ``reason``)."""

    EMERGENCY_STOP = "EmergencyStop"
    EV_DISCONNECTED = "EVDisconnected"
    HARD_RESET = "HardReset"
    LOCAL = "Local"
    OTHER = "Other"
    POWER_LOSS = "PowerLoss"
    REBOOT = "Reboot"
    REMOTE = "Remote"
    SOFT_RESET = "SoftReset"
    UNLOCK_COMMAND = "UnlockCommand"
    DE_AUTHORIZED = "DeAuthorized"


# Defaults of absent optional fields, from the OCPP 1.6 specification (sections 6.47, 7.47).
DEFAULT_CONTEXT = ReadingContext.SAMPLE_PERIODIC
DEFAULT_FORMAT = ValueFormat.RAW
DEFAULT_MEASURAND = Measurand.ENERGY_ACTIVE_IMPORT_REGISTER
DEFAULT_LOCATION = Location.OUTLET
DEFAULT_STOP_REASON = Reason.LOCAL
"""``reason`` "MAY only be omitted when the Reason is Local"."""


def default_unit(measurand: Measurand) -> UnitOfMeasure | None:
    """The unit of a sample without one: ``Wh`` for an energy measurand, otherwise unknown."""
    return UnitOfMeasure.WH if measurand.value.startswith("Energy.") else None


# -- BootNotification ---------------------------------------------------------------------


class BootNotificationRequest(_Ocpp):
    """``MQTT/EVSE/<id>/bootnotification``: the charge point's configuration after start-up."""

    charge_point_vendor: str = Field(alias="chargePointVendor", max_length=20)
    charge_point_model: str = Field(alias="chargePointModel", max_length=20)
    charge_point_serial_number: str | None = Field(
        default=None, alias="chargePointSerialNumber", max_length=25
    )
    charge_box_serial_number: str | None = Field(
        default=None, alias="chargeBoxSerialNumber", max_length=25
    )
    firmware_version: str | None = Field(default=None, alias="firmwareVersion", max_length=50)
    iccid: str | None = Field(default=None, max_length=20)
    imsi: str | None = Field(default=None, max_length=20)
    meter_type: str | None = Field(default=None, alias="meterType", max_length=25)
    meter_serial_number: str | None = Field(default=None, alias="meterSerialNumber", max_length=25)


# -- MeterValues --------------------------------------------------------------------------


class SampledValue(_Ocpp):
    """One measured value. ``value`` is a decimal number as text (``Raw``) or signed data."""

    value: str
    context: ReadingContext | None = None
    format: ValueFormat | None = None
    measurand: Measurand | None = None
    phase: Phase | None = None
    location: Location | None = None
    unit: UnitOfMeasure | None = None


class MeterValue(_Ocpp):
    timestamp: OcppDateTime
    sampled_value: tuple[SampledValue, ...] = Field(alias="sampledValue", min_length=1)


class MeterValuesRequest(_Ocpp):
    """``MQTT/EVSE/<id>/metervalues``: samples of a connector (0: the whole charge point)."""

    connector_id: StrictInt = Field(alias="connectorId")
    transaction_id: StrictInt | None = Field(default=None, alias="transactionId")
    meter_value: tuple[MeterValue, ...] = Field(alias="meterValue", min_length=1)


# -- StatusNotification -------------------------------------------------------------------


class StatusNotificationRequest(_Ocpp):
    """``MQTT/EVSE/<id>/status``: status or error of a connector (0: the charge point)."""

    connector_id: StrictInt = Field(alias="connectorId")
    error_code: ChargePointErrorCode = Field(alias="errorCode")
    info: str | None = Field(default=None, max_length=50)
    status: ChargePointStatus
    timestamp: OcppDateTime | None = None
    """Absent: "the time of receipt of the message will be assumed"."""
    vendor_id: str | None = Field(default=None, alias="vendorId", max_length=255)
    vendor_error_code: str | None = Field(default=None, alias="vendorErrorCode", max_length=50)


# -- Start/StopTransaction ----------------------------------------------------------------


class StartTransactionRequest(_Ocpp):
    """``MQTT/EVSE/<id>/starttransaction``. Carries no transaction id: the central system
    assigns it in its answer, and the charge point uses it from then on."""

    connector_id: StrictInt = Field(alias="connectorId")
    id_tag: str = Field(alias="idTag", max_length=20)
    meter_start: StrictInt = Field(alias="meterStart", description="Wh")
    reservation_id: StrictInt | None = Field(default=None, alias="reservationId")
    timestamp: OcppDateTime


class TransactionSampledValue(SampledValue):
    """A sample of StopTransaction ``transactionData``; its schema has no ``Hertz`` unit."""

    @field_validator("unit")
    @classmethod
    def _no_hertz(cls, unit: UnitOfMeasure | None) -> UnitOfMeasure | None:
        if unit is UnitOfMeasure.HERTZ:
            raise ValueError("unit Hertz is not allowed in StopTransaction transactionData")
        return unit


class TransactionData(_Ocpp):
    """A meter value of StopTransaction ``transactionData`` (may hold no samples)."""

    timestamp: OcppDateTime
    sampled_value: tuple[TransactionSampledValue, ...] = Field(alias="sampledValue")


class StopTransactionRequest(_Ocpp):
    """``MQTT/EVSE/<id>/stoptransaction``: identifies the transaction by its id."""

    id_tag: str | None = Field(default=None, alias="idTag", max_length=20)
    meter_stop: StrictInt = Field(alias="meterStop", description="Wh")
    timestamp: OcppDateTime
    transaction_id: StrictInt = Field(alias="transactionId")
    reason: Reason | None = None
    transaction_data: tuple[TransactionData, ...] | None = Field(
        default=None, alias="transactionData"
    )
