"""Simulator and station configuration, and the station file (YAML or JSON).

A station file lists station specs; a spec with ``prefix`` and ``count`` expands to ``count``
stations ``<prefix>-0001`` …, one with ``id`` is a single station. ``defaults`` apply to every
spec (a spec's own keys win)::

    defaults: {connectors: 2, password: secret}
    stations:
      - {prefix: TERNI, count: 4, vendor: Spotlink, model: Spotlink EVO}
      - {prefix: GHENT, count: 3, vendor: Schneider Electric, model: EVLink,
         feature_profiles: [Core, RemoteTrigger]}          # no SmartCharging: NotSupported
      - {id: CREV.V2G.01, model: FastV2G, v2g: true, current_type: DC, max_power_w: 50000}
      - {id: CREV-02, quirks: [reject_profiles]}
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from pydantic import ConfigDict, TypeAdapter, ValidationError


class FeatureProfile(StrEnum):
    CORE = "Core"
    FIRMWARE_MANAGEMENT = "FirmwareManagement"
    LOCAL_AUTH_LIST_MANAGEMENT = "LocalAuthListManagement"
    RESERVATION = "Reservation"
    SMART_CHARGING = "SmartCharging"
    REMOTE_TRIGGER = "RemoteTrigger"


DEFAULT_FEATURE_PROFILES = (
    FeatureProfile.CORE,
    FeatureProfile.SMART_CHARGING,
    FeatureProfile.RESERVATION,
    FeatureProfile.REMOTE_TRIGGER,
)


class Quirk(StrEnum):
    """Ways real stations deviate, selectable per station."""

    REJECT_PROFILES = "reject_profiles"  # SetChargingProfile is answered Rejected
    IGNORE_PROFILES = "ignore_profiles"  # SetChargingProfile Accepted, but power is not limited
    AMPS_ONLY = "amps_only"  # only chargingRateUnit A is accepted (W profiles: Rejected)


class CurrentType(StrEnum):
    AC = "AC"
    DC = "DC"


class ConfigError(ValueError):
    """A configuration that cannot run, with a message for the user."""


@dataclass(frozen=True)
class StationConfig:
    """One charge point. ``max_power_w`` is per connector (default: AC voltage x phases x
    ``max_current_a``; DC 50 kW)."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    id: str
    connectors: int = 2
    vendor: str = "WiseEVP"
    model: str = "SimCharger"
    firmware_version: str = "cp-sim-0.1"
    serial_number: str | None = None
    password: str | None = None
    feature_profiles: tuple[FeatureProfile, ...] = DEFAULT_FEATURE_PROFILES
    quirks: frozenset[Quirk] = frozenset()
    v2g: bool = False
    current_type: CurrentType = CurrentType.AC
    max_current_a: float = 32.0
    max_power_w: float | None = None
    voltage: float = 230.0
    number_phases: int = 3
    max_current_key: str = "MaxChargingCurrent"
    vendor_id: str = "WiseEVP"
    meter_interval_s: int = 60
    heartbeat_interval_s: int = 300
    boot_on_reconnect: bool = False

    def __post_init__(self) -> None:
        if not self.id or any(c in self.id for c in "/?#") or len(self.id) > 48:
            raise ConfigError(f"invalid charge point id {self.id!r}")
        if self.connectors < 1:
            raise ConfigError(f"{self.id}: at least one connector")
        if self.max_current_a <= 0 or self.voltage <= 0 or self.number_phases not in (1, 3):
            raise ConfigError(f"{self.id}: max_current_a, voltage > 0 and 1 or 3 phases")
        if FeatureProfile.CORE not in self.feature_profiles:
            raise ConfigError(f"{self.id}: the Core feature profile is mandatory")

    @property
    def dc(self) -> bool:
        return self.current_type is CurrentType.DC

    @property
    def watts_per_amp(self) -> float:
        return self.voltage * self.number_phases

    @property
    def connector_max_w(self) -> float:
        if self.max_power_w is not None:
            return self.max_power_w
        return 50_000.0 if self.dc else self.max_current_a * self.watts_per_amp

    def supports(self, profile: FeatureProfile) -> bool:
        return profile in self.feature_profiles

    def has(self, quirk: Quirk) -> bool:
        return quirk in self.quirks


@dataclass(frozen=True)
class SimulatorConfig:
    """The whole run. Durations and intervals are clock (simulated) seconds, except
    ``response_timeout_s`` (real seconds: a network timeout)."""

    url: str
    stations: tuple[StationConfig, ...]
    seed: int = 1
    random_arrivals: bool = True
    mean_arrival_gap_s: float = 4 * 3600.0
    ev_v2g_share: float = 0.5
    duration_s: float | None = None
    ca_file: str | None = None
    insecure: bool = False
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 60.0
    response_timeout_s: float = 30.0
    validate_schemas: bool = True  # JSON-schema check of own CALLs and their responses
    drain_timeout_s: float = 2.0
    status_port: int | None = None

    def __post_init__(self) -> None:
        if not self.url.startswith(("ws://", "wss://")):
            raise ConfigError(f"the central system URL must be ws:// or wss://, got {self.url!r}")
        ids = [s.id for s in self.stations]
        if len(set(ids)) != len(ids):
            raise ConfigError("station ids must be unique")


def uniform_stations(count: int, prefix: str = "SIM", **fields: Any) -> tuple[StationConfig, ...]:
    """``count`` identical stations ``<prefix>-0001`` … (``fields``: any StationConfig field)."""
    return tuple(_validated({**fields, "id": f"{prefix}-{i:04d}"}) for i in range(1, count + 1))


def stations_from_specs(
    specs: Iterable[Mapping[str, Any]], defaults: Mapping[str, Any] | None = None
) -> tuple[StationConfig, ...]:
    """Expand station specs (see the module docstring) into station configs."""
    stations: list[StationConfig] = []
    for spec in specs:
        merged = {**(defaults or {}), **spec}
        prefix, count = merged.pop("prefix", None), merged.pop("count", None)
        start = int(merged.pop("start", 1))
        if prefix is None:
            stations.append(_validated(merged))
            continue
        if "id" in merged or not isinstance(count, int) or count < 1:
            raise ConfigError(f"a spec with prefix needs a positive count and no id: {spec}")
        stations.extend(
            _validated({**merged, "id": f"{prefix}-{i:04d}"}) for i in range(start, start + count)
        )
    return tuple(stations)


def load_station_file(
    path: str | Path, overrides: Mapping[str, Any] | None = None
) -> tuple[StationConfig, ...]:
    """Read a station file (``.yaml``/``.yml`` needs PyYAML; anything else is JSON).
    ``overrides`` (e.g. a CLI password) apply where the file does not set the key."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml  # noqa: PLC0415 - optional dependency, only for YAML station files
        except ImportError as exc:  # pragma: no cover - pyyaml is installed in the workspace
            raise ConfigError("YAML station files need PyYAML; use JSON instead") from exc
        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if isinstance(data, list):
        data = {"stations": data}
    if not isinstance(data, dict) or not isinstance(data.get("stations"), list):
        raise ConfigError(f"{path}: expected a 'stations' list")
    unknown = set(data) - {"defaults", "stations"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level keys {sorted(unknown)}")
    defaults = {**(overrides or {}), **(data.get("defaults") or {})}
    return stations_from_specs(data["stations"], defaults)


def with_password(
    stations: Iterable[StationConfig], password: str | None
) -> tuple[StationConfig, ...]:
    """Give ``password`` to the stations that have none."""
    return tuple(
        s if s.password is not None or password is None else replace(s, password=password)
        for s in stations
    )


@functools.cache
def _adapter() -> TypeAdapter[StationConfig]:
    return TypeAdapter(StationConfig)


def _validated(data: Mapping[str, Any]) -> StationConfig:
    data = dict(data)
    profiles = data.get("feature_profiles")
    if isinstance(profiles, str):
        data["feature_profiles"] = [p.strip() for p in profiles.split(",") if p.strip()]
    try:
        return _adapter().validate_python(data)
    except ValidationError as exc:
        raise ConfigError(f"station {data.get('id', '?')}: {exc}") from exc
