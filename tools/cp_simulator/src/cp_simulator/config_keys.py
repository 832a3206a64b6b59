"""The station's configuration keys (OCPP 1.6 §9), as GetConfiguration/ChangeConfiguration see
them, plus the vendor max-current key that really caps the charging power."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ocpp.v16.enums import ConfigurationStatus

from .config import FeatureProfile, Quirk, StationConfig
from .meter import CORE_MEASURANDS, SUPPORTED_MEASURANDS, V2G_MEASURANDS

MAX_MEASURANDS = 10


def _is_int(value: str) -> bool:
    return value.strip().isdigit()


def _is_bool(value: str) -> bool:
    return value.strip().lower() in ("true", "false")


def _is_amps(value: str) -> bool:
    try:
        return float(value) >= 0
    except ValueError:
        return False


def _is_measurands(value: str) -> bool:
    names = [v.strip() for v in value.split(",") if v.strip()]
    return len(names) <= MAX_MEASURANDS and all(n in SUPPORTED_MEASURANDS for n in names)


@dataclass
class Key:
    value: str
    readonly: bool = False
    valid: Callable[[str], bool] = lambda _: True


class ConfigurationStore:
    """Key → value; typed accessors for the keys the simulator acts on."""

    def __init__(self, station: StationConfig) -> None:
        measurands = [*CORE_MEASURANDS, *(V2G_MEASURANDS if station.v2g else ())]
        units = "Current" if station.has(Quirk.AMPS_ONLY) else "Current,Power"
        self.max_current_key = station.max_current_key
        rw_int, rw_bool = (False, _is_int), (False, _is_bool)
        spec: dict[str, tuple[str, bool, Callable[[str], bool]]] = {
            "HeartbeatInterval": (str(station.heartbeat_interval_s), *rw_int),
            "MeterValueSampleInterval": (str(station.meter_interval_s), *rw_int),
            "MeterValuesSampledData": (",".join(measurands), False, _is_measurands),
            "MeterValuesSampledDataMaxLength": (str(MAX_MEASURANDS), True, _is_int),
            "StopTxnSampledData": ("Energy.Active.Import.Register", False, _is_measurands),
            "StopTxnSampledDataMaxLength": (str(MAX_MEASURANDS), True, _is_int),
            "MeterValuesAlignedData": ("", False, _is_measurands),
            "StopTxnAlignedData": ("", False, _is_measurands),
            "ClockAlignedDataInterval": ("0", *rw_int),
            "NumberOfConnectors": (str(station.connectors), True, _is_int),
            "SupportedFeatureProfiles": (",".join(station.feature_profiles), True, _is_bool),
            "AuthorizeRemoteTxRequests": ("false", *rw_bool),
            "LocalAuthorizeOffline": ("true", *rw_bool),
            "LocalPreAuthorize": ("false", *rw_bool),
            "AllowOfflineTxForUnknownId": ("true", *rw_bool),
            "AuthorizationCacheEnabled": ("false", *rw_bool),
            "StopTransactionOnEVSideDisconnect": ("true", *rw_bool),
            "StopTransactionOnInvalidId": ("true", *rw_bool),
            "UnlockConnectorOnEVSideDisconnect": ("true", *rw_bool),
            "ConnectionTimeOut": ("60", *rw_int),
            "ResetRetries": ("1", *rw_int),
            "TransactionMessageAttempts": ("3", *rw_int),
            "TransactionMessageRetryInterval": ("60", *rw_int),
            "WebSocketPingInterval": ("0", *rw_int),
            "GetConfigurationMaxKeys": ("64", True, _is_int),
            "ConnectorPhaseRotation": ("0.RST", False, lambda _: True),
        }
        if station.supports(FeatureProfile.SMART_CHARGING):
            spec |= {
                "ChargeProfileMaxStackLevel": ("10", True, _is_int),
                "ChargingScheduleAllowedChargingRateUnit": (units, True, _is_bool),
                "ChargingScheduleMaxPeriods": ("48", True, _is_int),
                "MaxChargingProfilesInstalled": ("16", True, _is_int),
                "ConnectorSwitch3to1PhaseSupported": ("false", True, _is_bool),
            }
        if station.supports(FeatureProfile.RESERVATION):
            spec["ReserveConnectorZeroSupported"] = ("false", True, _is_bool)
        spec[station.max_current_key] = (f"{station.max_current_a:g}", False, _is_amps)
        self._keys = {
            name: Key(value, readonly, valid) for name, (value, readonly, valid) in spec.items()
        }

    def get(self, key: str) -> str:
        return self._keys[key].value

    def set(self, key: str, value: str) -> None:
        """Set without checks (the station's own updates, e.g. the boot interval)."""
        self._keys[key].value = value

    def change(self, key: str, value: str) -> ConfigurationStatus:
        """ChangeConfiguration: NotSupported (unknown key), Rejected (read-only or bad value)."""
        entry = self._keys.get(key)
        if entry is None:
            return ConfigurationStatus.not_supported
        if entry.readonly or not entry.valid(value):
            return ConfigurationStatus.rejected
        entry.value = value.strip()
        return ConfigurationStatus.accepted

    def describe(self, keys: Iterable[str] | None) -> tuple[list[dict[str, object]], list[str]]:
        """GetConfiguration: the known keys asked for (all when ``None``) and the unknown ones."""
        names = list(self._keys) if not keys else list(keys)
        known = [
            {"key": n, "readonly": self._keys[n].readonly, "value": self._keys[n].value}
            for n in names
            if n in self._keys
        ]
        return known, [n for n in names if n not in self._keys]

    def _int(self, key: str) -> int:
        return int(self.get(key))

    def _bool(self, key: str) -> bool:
        return self.get(key).lower() == "true"

    @property
    def heartbeat_interval_s(self) -> int:
        return self._int("HeartbeatInterval")

    @property
    def meter_interval_s(self) -> int:
        return self._int("MeterValueSampleInterval")

    @property
    def sampled_measurands(self) -> list[str]:
        return [m.strip() for m in self.get("MeterValuesSampledData").split(",") if m.strip()]

    @property
    def stop_measurands(self) -> list[str]:
        return [m.strip() for m in self.get("StopTxnSampledData").split(",") if m.strip()]

    @property
    def max_current_a(self) -> float:
        return float(self.get(self.max_current_key))

    @property
    def authorize_remote_tx(self) -> bool:
        return self._bool("AuthorizeRemoteTxRequests")

    @property
    def local_authorize_offline(self) -> bool:
        return self._bool("LocalAuthorizeOffline")

    @property
    def stop_on_invalid_id(self) -> bool:
        return self._bool("StopTransactionOnInvalidId")

    @property
    def transaction_attempts(self) -> int:
        return max(1, self._int("TransactionMessageAttempts"))

    @property
    def transaction_retry_interval_s(self) -> int:
        return self._int("TransactionMessageRetryInterval")
