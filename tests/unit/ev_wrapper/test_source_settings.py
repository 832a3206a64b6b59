"""Settings of the real-world sources and the factory that picks one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from ev_wrapper.settings import EvWrapperSettings
from ev_wrapper.sources.factory import make_source
from ev_wrapper.sources.http_ingest import HttpIngestSource
from ev_wrapper.sources.obd import ObdSource
from ev_wrapper.sources.postgres_cars import PostgresCarSource
from ev_wrapper.sources.simulated import SimulatedFleetSource
from wiseevp_common.clock import SystemClock
from wiseevp_common.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in list(os.environ):
        if var.startswith("WISEEVP_"):
            monkeypatch.delenv(var)


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "cars.yaml"
    car = {"id": "EMOTION-1", "name": "ZOE", "connector": {"type": "mennekes", "power": 22}}
    path.write_text(yaml.safe_dump({"version": 1, "cars": [car | {"capacity": 41}]}))
    return path


def test_obd_needs_an_existing_inventory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WISEEVP_SOURCE", "obd")
    with pytest.raises(SettingsError) as info:
        load_settings(EvWrapperSettings)
    assert "WISEEVP_OBD_INVENTORY" in str(info.value) and "required" in str(info.value)
    monkeypatch.setenv("WISEEVP_OBD_INVENTORY", str(tmp_path / "missing.yaml"))
    with pytest.raises(SettingsError, match="WISEEVP_OBD_INVENTORY"):
        load_settings(EvWrapperSettings)


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("WISEEVP_SOURCE_POSTGRES_URL", "mysql://x/db"),
        ("WISEEVP_POSTGRES_URL", "mysql://x/db"),  # the shared setting keeps its own check
        ("WISEEVP_SOURCE_POSTGRES_TABLE", "cars; DROP TABLE cars"),
        ("WISEEVP_SOURCE_POSTGRES_CHANNEL", "Car-Status"),
        ("WISEEVP_OBD_POLL_INTERVAL_S", "0"),
        ("WISEEVP_OBD_MAX_ERRORS", "0"),
        ("WISEEVP_SOURCE", "carrier_pigeon"),
    ],
)
def test_invalid_source_settings_fail_fast(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError, match=var):
        load_settings(EvWrapperSettings)


def test_ingest_token_is_kept_out_of_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WISEEVP_INGEST_TOKEN", "s3cr3t-t0ken")
    settings = load_settings(EvWrapperSettings)
    assert settings.ingest_token.get_secret_value() == "s3cr3t-t0ken"
    assert "s3cr3t-t0ken" not in repr(settings) and "s3cr3t-t0ken" not in str(settings)


def test_factory_builds_each_source(monkeypatch: pytest.MonkeyPatch, inventory: Path) -> None:
    clock = SystemClock()
    expected = {
        "simulated": SimulatedFleetSource,
        "obd": ObdSource,
        "postgres": PostgresCarSource,
        "http": HttpIngestSource,
    }
    for name, cls in expected.items():
        settings = EvWrapperSettings(source=name, organisation="EMOTION", obd_inventory=inventory)
        source = make_source(settings, clock)
        assert isinstance(source, cls)
        assert source.name == name
    http = make_source(EvWrapperSettings(source="http"), clock)
    assert {r.method for r in getattr(http, "routes", [])} == {"PUT", "POST"}


def test_factory_refuses_an_inventory_of_another_organisation(inventory: Path) -> None:
    settings = EvWrapperSettings(source="obd", organisation="PARTAGO", obd_inventory=inventory)
    with pytest.raises(SettingsError) as info:
        make_source(settings, SystemClock())
    assert "not of organisation PARTAGO" in str(info.value)
    assert info.value.code == 2
