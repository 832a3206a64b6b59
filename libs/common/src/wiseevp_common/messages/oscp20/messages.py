"""OSCP 2.0 messages (chapter 4), one model each, named after the message."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import OscpModel
from .datatypes import (
    AssetMeasurement,
    EnergyMeasurement,
    ForecastedBlock,
    RequiredBehaviour,
    VersionUrl,
)
from .enums import CapacityForecastType
from .types import NonEmptyString, OscpDateTime


class Register(OscpModel):
    """4.3.1.1: a token for the other party and the OSCP versions (with base URLs) offered or,
    in a reply, the one selected."""

    token: NonEmptyString
    version_url: Annotated[list[VersionUrl], Field(min_length=1)]


class Handshake(OscpModel):
    """4.3.2: opens the handshake with the sender's preferences."""

    required_behaviour: RequiredBehaviour | None = None


class HandshakeAcknowledge(OscpModel):
    """4.3.3: answers a Handshake with the other side's preferences."""

    required_behaviour: RequiredBehaviour | None = None


class Heartbeat(OscpModel):
    """4.3.4: the sender is alive; without a newer heartbeat it is offline at offline_mode_at."""

    offline_mode_at: OscpDateTime


class UpdateGroupCapacityForecast(OscpModel):
    """4.4.1: a capacity forecast of one type for one group, in time blocks."""

    group_id: NonEmptyString
    type: CapacityForecastType
    forecasted_blocks: Annotated[list[ForecastedBlock], Field(min_length=1)]


class AdjustGroupCapacityForecast(OscpModel):
    """4.4.2: the FP asks the CP for another capacity for the given blocks."""

    group_id: NonEmptyString
    type: CapacityForecastType
    forecasted_blocks: Annotated[list[ForecastedBlock], Field(min_length=1)]


class GroupCapacityComplianceError(OscpModel):
    """4.4.3: the FP cannot comply with the forecast named by the X-Correlation-ID header."""

    message: NonEmptyString
    forecasted_blocks: list[ForecastedBlock] | None = None


class UpdateGroupMeasurements(OscpModel):
    """4.5.1: accumulated energy of a group. The text allows an empty list ("the total usage
    can be nothing") where the table says 1..*; an empty list is accepted, we never send one."""

    group_id: NonEmptyString
    measurements: list[EnergyMeasurement]


class UpdateAssetMeasurements(OscpModel):
    """4.5.2: measurements per Flexibility Resource; never sent without measurements."""

    group_id: NonEmptyString
    measurements: Annotated[list[AssetMeasurement], Field(min_length=1)]


class ErrorBody(OscpModel):
    """4.1.3.2: the optional body of an error response."""

    message: str | None = None


OscpMessage = (
    Register
    | Handshake
    | HandshakeAcknowledge
    | Heartbeat
    | UpdateGroupCapacityForecast
    | AdjustGroupCapacityForecast
    | GroupCapacityComplianceError
    | UpdateGroupMeasurements
    | UpdateAssetMeasurements
)
