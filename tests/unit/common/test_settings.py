from __future__ import annotations

import pytest

from wiseevp_common.settings import ServiceSettings, SettingsError, load_settings


def test_local_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("WISEEVP_AMQP_URL", "WISEEVP_POSTGRES_URL", "WISEEVP_MQTT_PORT"):
        monkeypatch.delenv(var, raising=False)
    s = load_settings(ServiceSettings)
    assert str(s.amqp_url) == "amqp://guest:guest@127.0.0.1:5672/"
    assert str(s.postgres_url) == "postgresql://postgres@127.0.0.1:5432/wiseevp"
    assert s.mqtt_port == 1884


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WISEEVP_MQTT_PORT", "1883")
    monkeypatch.setenv("WISEEVP_CLOCK", "simulated")
    s = load_settings(ServiceSettings)
    assert s.mqtt_port == 1883
    assert s.clock == "simulated"


@pytest.mark.parametrize(
    ("var", "value", "fragment"),
    [
        ("WISEEVP_AMQP_URL", "http://x/", "amqp:// or amqps://"),
        ("WISEEVP_POSTGRES_URL", "mysql://x/db", "postgresql://"),
        ("WISEEVP_MQTT_PORT", "70000", "less than or equal"),
        ("WISEEVP_CLOCK_START", "2026-01-01T00:00:00", "UTC offset"),
        ("WISEEVP_CLOCK", "sundial", "'system' or 'simulated'"),
    ],
)
def test_invalid_setting_fails_fast_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as info:
        load_settings(ServiceSettings)
    message = str(info.value)
    assert var in message
    assert fragment in message
    assert info.value.code == 2


def test_rejected_secrets_are_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WISEEVP_AMQP_URL", "http://user:hunter2@broker/")
    monkeypatch.setenv("WISEEVP_MQTT_PORT", "not-a-port")
    with pytest.raises(SettingsError) as info:
        load_settings(ServiceSettings)
    message = str(info.value)
    assert "hunter2" not in message
    assert "http://***@broker/" in message
    assert "'not-a-port'" in message  # harmless values are still shown
