"""OSCP 2.0 enumerations (chapter 5); values are case sensitive."""

from __future__ import annotations

from enum import StrEnum


class MeasurementConfiguration(StrEnum):
    CONTINUOUS = "CONTINUOUS"
    """The accumulated measurements are never reset."""
    INTERMITTENT = "INTERMITTENT"
    """The accumulation is reset at certain points in time (when a charging session starts)."""


class CapacityForecastType(StrEnum):
    CONSUMPTION = "CONSUMPTION"
    GENERATION = "GENERATION"
    FALLBACK_CONSUMPTION = "FALLBACK_CONSUMPTION"
    FALLBACK_GENERATION = "FALLBACK_GENERATION"
    OPTIMUM = "OPTIMUM"


class ForecastedBlockUnit(StrEnum):
    A = "A"
    """Ampere per phase (current)."""
    W = "W"
    KW = "KW"
    WH = "WH"
    KWH = "KWH"


class PhaseIndicator(StrEnum):
    UNKNOWN = "UNKNOWN"
    ONE = "ONE"
    TWO = "TWO"
    THREE = "THREE"
    ALL = "ALL"


class AssetCategory(StrEnum):
    CHARGING = "CHARGING"
    CONSUMPTION = "CONSUMPTION"
    GENERATION = "GENERATION"
    STORAGE = "STORAGE"


class EnergyFlowDirection(StrEnum):
    NET = "NET"
    IMPORT = "IMPORT"
    EXPORT = "EXPORT"


class EnergyMeasurementUnit(StrEnum):
    WH = "WH"
    KWH = "KWH"


class EnergyType(StrEnum):
    FLEXIBLE = "FLEXIBLE"
    NONFLEXIBLE = "NONFLEXIBLE"
    TOTAL = "TOTAL"


class InstantaneousMeasurementUnit(StrEnum):
    A = "A"
    W = "W"
    KW = "KW"
    WH = "WH"
    """Watt-hours: the State Of Charge of a battery."""
