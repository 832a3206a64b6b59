"""OSCP 2.0 composite datatypes (chapter 5)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .base import OscpModel
from .enums import (
    AssetCategory,
    EnergyFlowDirection,
    EnergyMeasurementUnit,
    EnergyType,
    ForecastedBlockUnit,
    InstantaneousMeasurementUnit,
    MeasurementConfiguration,
    PhaseIndicator,
)
from .types import INT32_MAX, Decimal8, NonEmptyString, OscpDateTime, OscpUrl


class VersionUrl(OscpModel):
    """5.1: the base endpoint used for one OSCP version."""

    version: NonEmptyString
    base_url: OscpUrl


class RequiredBehaviour(OscpModel):
    """5.2: what the sender needs from the other party. At least one field must be given."""

    heartbeat_interval: Annotated[int, Field(ge=1, le=INT32_MAX, strict=True)] | None = None
    """Seconds between the heartbeats the sender expects to receive."""
    measurement_configuration: list[MeasurementConfiguration] | None = None
    """How measurements are aggregated; an empty list is "no configurations"."""

    @model_validator(mode="after")
    def _at_least_one(self) -> RequiredBehaviour:
        if self.heartbeat_interval is None and self.measurement_configuration is None:
            raise ValueError(
                "at least one of heartbeat_interval and measurement_configuration must be "
                "given: empty required_behaviour objects are not allowed (OSCP 5.2)"
            )
        return self


class ForecastedBlock(OscpModel):
    """5.4: one time block of a capacity forecast."""

    capacity: Decimal8
    phase: PhaseIndicator
    unit: ForecastedBlockUnit
    start_time: OscpDateTime
    end_time: OscpDateTime

    @model_validator(mode="after")
    def _ordered(self) -> ForecastedBlock:
        if self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time")
        return self


class EnergyMeasurement(OscpModel):
    """5.6.3: a read-out of an accumulating energy meter."""

    value: Decimal8
    phase: PhaseIndicator
    unit: EnergyMeasurementUnit
    energy_type: EnergyType | None = None
    """Absent means TOTAL."""
    direction: EnergyFlowDirection
    measure_time: OscpDateTime
    initial_measure_time: OscpDateTime | None = None
    """When the accumulation (re)started; required by a recipient that asked INTERMITTENT."""


class InstantaneousMeasurement(OscpModel):
    """5.6.4: the value flowing through the meter at one moment."""

    value: Decimal8
    phase: PhaseIndicator
    unit: InstantaneousMeasurementUnit
    measure_time: OscpDateTime


class AssetMeasurement(OscpModel):
    """5.6: a measurement of one Flexibility Resource: energy or instantaneous, not both."""

    asset_id: NonEmptyString
    asset_category: AssetCategory
    energy_measurement: EnergyMeasurement | None = None
    instantaneous_measurement: InstantaneousMeasurement | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> AssetMeasurement:
        given = (self.energy_measurement is not None) + (self.instantaneous_measurement is not None)
        if given != 1:
            raise ValueError(
                "either energy_measurement or instantaneous_measurement must be provided, "
                "not both (OSCP 5.6)"
            )
        return self
