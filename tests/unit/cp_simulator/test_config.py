"""Station specs and files, configuration keys, meter value payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ocpp.v16.enums import ConfigurationStatus, ReadingContext

from cp_simulator.config import (
    ConfigError,
    FeatureProfile,
    Quirk,
    SimulatorConfig,
    load_station_file,
    stations_from_specs,
    uniform_stations,
    with_password,
)
from cp_simulator.config_keys import ConfigurationStore
from cp_simulator.meter import Reading, meter_value

SITE_YAML = """
defaults: {connectors: 2, password: site-secret}
stations:
  - {prefix: TERNI, count: 2, vendor: Spotlink, model: Spotlink EVO}
  - {prefix: GHENT, count: 1, model: EVLink, feature_profiles: "Core,RemoteTrigger"}
  - {id: CREV.V2G.01, model: FastV2G, v2g: true, current_type: DC, max_power_w: 50000,
     quirks: [reject_profiles], password: own}
"""


def test_station_file_expands_groups_and_applies_defaults(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(SITE_YAML)
    stations = load_station_file(path)
    assert [s.id for s in stations] == ["TERNI-0001", "TERNI-0002", "GHENT-0001", "CREV.V2G.01"]
    terni, ghent, crev = stations[0], stations[2], stations[3]
    assert (terni.vendor, terni.model, terni.password) == (
        "Spotlink",
        "Spotlink EVO",
        "site-secret",
    )
    assert not ghent.supports(FeatureProfile.SMART_CHARGING)
    assert crev.v2g and crev.dc and crev.connector_max_w == 50000
    assert crev.has(Quirk.REJECT_PROFILES) and crev.password == "own"


def test_json_station_file_and_password_for_stations_without_one(tmp_path: Path) -> None:
    path = tmp_path / "site.json"
    path.write_text(json.dumps([{"id": "A"}, {"id": "B", "password": "b"}]))
    stations = with_password(load_station_file(path), "cli")
    assert [s.password for s in stations] == ["cli", "b"]


@pytest.mark.parametrize(
    "spec",
    [
        {"id": "A", "colour": "red"},  # unknown key
        {"id": "A/B"},  # not usable in a URL path segment
        {"id": "A", "connectors": 0},
        {"id": "A", "feature_profiles": ["SmartCharging"]},  # Core is mandatory
        {"id": "A", "quirks": ["explode"]},
        {"prefix": "P"},  # prefix without count
    ],
)
def test_bad_station_specs_are_refused_with_a_message(spec: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        stations_from_specs([spec])


def test_simulator_config_checks_url_and_unique_ids() -> None:
    stations = uniform_stations(3, "SIM")
    assert [s.id for s in stations] == ["SIM-0001", "SIM-0002", "SIM-0003"]
    with pytest.raises(ConfigError):
        SimulatorConfig(url="http://cs", stations=stations)
    with pytest.raises(ConfigError):
        SimulatorConfig(url="ws://cs", stations=stations + stations[:1])


def test_configuration_keys_change_and_describe() -> None:
    (station,) = uniform_stations(1, "K", max_current_key="VendorMaxAmps", max_current_a=16)
    keys = ConfigurationStore(station)
    assert keys.max_current_a == 16
    assert keys.change("VendorMaxAmps", "10") is ConfigurationStatus.accepted
    assert keys.max_current_a == 10
    assert keys.change("HeartbeatInterval", "abc") is ConfigurationStatus.rejected
    assert keys.change("NumberOfConnectors", "4") is ConfigurationStatus.rejected  # read-only
    assert keys.change("NoSuchKey", "1") is ConfigurationStatus.not_supported
    assert keys.change("MeterValuesSampledData", "Voltage,SoC") is ConfigurationStatus.accepted
    assert keys.sampled_measurands == ["Voltage", "SoC"]
    known, unknown = keys.describe(["SupportedFeatureProfiles", "Nope"])
    assert known == [
        {
            "key": "SupportedFeatureProfiles",
            "readonly": True,
            "value": "Core,SmartCharging,Reservation,RemoteTrigger",
        }
    ]
    assert unknown == ["Nope"]
    all_keys, _ = keys.describe(None)
    assert {"HeartbeatInterval", "MeterValueSampleInterval", "VendorMaxAmps"} <= {
        k["key"] for k in all_keys
    }


def test_meter_value_reports_import_or_export_by_the_sign_of_power() -> None:
    at = datetime(2026, 3, 2, 8, tzinfo=UTC)
    measurands = [
        "Energy.Active.Import.Register",
        "Energy.Active.Export.Register",
        "Power.Active.Import",
        "Power.Active.Export",
        "Current.Import",
        "SoC",
    ]
    reading = Reading(at, -6900.0, 1234.4, 567.6, -6900.0, 55.5, 230.0, 3)
    value = meter_value(reading, measurands, ReadingContext.sample_periodic)
    assert value["timestamp"] == "2026-03-02T08:00:00Z"
    got = {s["measurand"]: (s["value"], s["unit"]) for s in value["sampledValue"]}  # type: ignore[attr-defined]
    assert got == {
        "Energy.Active.Import.Register": ("1234", "Wh"),
        "Energy.Active.Export.Register": ("568", "Wh"),
        "Power.Active.Import": ("0.0", "W"),
        "Power.Active.Export": ("6900.0", "W"),
        "Current.Import": ("0.0", "A"),
        "SoC": ("55.5", "Percent"),
    }
