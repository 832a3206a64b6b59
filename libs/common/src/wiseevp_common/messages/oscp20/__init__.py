"""OSCP 2.0 payloads (chapter 4 messages, chapter 5 datatypes), one model per message.

Field names are the specification's (snake_case on the wire). Every model forbids unknown
fields, so a misspelt field is a 400, not silently dropped. The validation rules on capacity
forecasts (FR.01.05-FR.01.09, FR.02.04-FR.02.07) are in :mod:`.rules`.
"""

from .datatypes import (
    AssetMeasurement,
    EnergyMeasurement,
    ForecastedBlock,
    InstantaneousMeasurement,
    RequiredBehaviour,
    VersionUrl,
)
from .enums import (
    AssetCategory,
    CapacityForecastType,
    EnergyFlowDirection,
    EnergyMeasurementUnit,
    EnergyType,
    ForecastedBlockUnit,
    InstantaneousMeasurementUnit,
    MeasurementConfiguration,
    PhaseIndicator,
)
from .messages import (
    AdjustGroupCapacityForecast,
    ErrorBody,
    GroupCapacityComplianceError,
    Handshake,
    HandshakeAcknowledge,
    Heartbeat,
    OscpMessage,
    Register,
    UpdateAssetMeasurements,
    UpdateGroupCapacityForecast,
    UpdateGroupMeasurements,
)
from .types import OSCP_VERSION, Decimal8, OscpDateTime, OscpUrl

__all__ = [
    "OSCP_VERSION",
    "AdjustGroupCapacityForecast",
    "AssetCategory",
    "AssetMeasurement",
    "CapacityForecastType",
    "Decimal8",
    "EnergyFlowDirection",
    "EnergyMeasurement",
    "EnergyMeasurementUnit",
    "EnergyType",
    "ErrorBody",
    "ForecastedBlock",
    "ForecastedBlockUnit",
    "GroupCapacityComplianceError",
    "Handshake",
    "HandshakeAcknowledge",
    "Heartbeat",
    "InstantaneousMeasurement",
    "InstantaneousMeasurementUnit",
    "MeasurementConfiguration",
    "OscpDateTime",
    "OscpMessage",
    "OscpUrl",
    "PhaseIndicator",
    "Register",
    "RequiredBehaviour",
    "UpdateAssetMeasurements",
    "UpdateGroupCapacityForecast",
    "UpdateGroupMeasurements",
    "VersionUrl",
]
