"""OCPP 1.6 request payloads of the IOP EVSE topics, one model per action."""

from __future__ import annotations

from pydantic import Field, StrictInt, field_validator

from .base import _Ocpp
from .datetimes import OcppDateTime
from .enums import (
    ChargePointErrorCode,
    ChargePointStatus,
    Location,
    Measurand,
    Phase,
    ReadingContext,
    Reason,
    UnitOfMeasure,
    ValueFormat,
)

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
