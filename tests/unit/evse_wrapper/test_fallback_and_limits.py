"""Smart-charging fallback maths, the rate limit, passwords and the handshake parsing."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from websockets.datastructures import Headers

from evse_wrapper.fallback import fallback_keys, limit_now, setting_value
from evse_wrapper.handshake import basic_credentials, station_id_from_path
from evse_wrapper.passwords import hash_password, verify_password
from evse_wrapper.rate_limit import TokenBucket

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def profile(unit: str, periods: list[dict[str, Any]], **schedule: Any) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": schedule.pop("kind", "Absolute"),
            "chargingSchedule": {
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": periods,
                **schedule,
            },
        },
    }


def test_ampere_limit_is_taken_as_is() -> None:
    limit = limit_now(
        profile("A", [{"startPeriod": 0, "limit": 16}]), NOW, voltage=230, default_phases=3
    )
    assert limit.amperes == 16


def test_watt_limit_becomes_amperes_per_phase() -> None:
    request = profile("W", [{"startPeriod": 0, "limit": 11040}])
    assert limit_now(request, NOW, voltage=230, default_phases=3).amperes == 16
    single = profile("W", [{"startPeriod": 0, "limit": 3680, "numberPhases": 1}])
    assert limit_now(single, NOW, voltage=230, default_phases=3).amperes == 16


def test_the_period_in_force_now_is_used() -> None:
    request = profile(
        "A",
        [{"startPeriod": 0, "limit": 32}, {"startPeriod": 3600, "limit": 10}],
        startSchedule="2026-01-01T10:30:00Z",
    )
    assert limit_now(request, NOW, voltage=230, default_phases=3).amperes == 10
    recurring = profile(
        "A",
        [{"startPeriod": 0, "limit": 32}, {"startPeriod": 43200, "limit": 6}],
        startSchedule="2025-12-01T00:00:00Z",
        kind="Recurring",
    )
    recurring["csChargingProfiles"]["recurrencyKind"] = "Daily"
    assert limit_now(recurring, NOW, voltage=230, default_phases=3).amperes == 6


def test_v2g_limit_cannot_be_a_max_current() -> None:
    limit = limit_now(
        profile("W", [{"startPeriod": 0, "limit": -5000}]), NOW, voltage=230, default_phases=3
    )
    assert limit.amperes is None
    assert limit.cause is not None and "V2G" in limit.cause


def test_fallback_keys_prefer_what_the_station_has_and_may_write() -> None:
    candidates = ["MaxChargingCurrent", "MaxCurrent"]
    config = [
        {"key": "MaxChargingCurrent", "readonly": True, "value": "32"},
        {"key": "MaxCurrent", "readonly": False, "value": "32"},
    ]
    assert fallback_keys(config, candidates) == ["MaxCurrent"]
    assert fallback_keys(None, candidates) == candidates
    assert fallback_keys([], candidates) == []


def test_setting_value_never_exceeds_the_limit() -> None:
    assert setting_value(15.99) == "15"
    assert setting_value(-1) == "0"


def test_token_bucket() -> None:
    t = [0.0]
    bucket = TokenBucket(rate=2, burst=3, monotonic=lambda: t[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    assert bucket.retry_after() > 0
    t[0] = 0.5
    assert bucket.take() is True
    assert bucket.take() is False


def test_passwords_are_hashed_and_verified() -> None:
    stored = hash_password("s3cret")
    assert "s3cret" not in stored and stored.startswith("scrypt$")
    assert verify_password("s3cret", stored)
    assert not verify_password("wrong", stored)
    assert not verify_password("s3cret", "garbage")


def test_station_id_from_path() -> None:
    assert station_id_from_path("/ocpp/CP01", "/ocpp") == "CP01"
    assert station_id_from_path("/ocpp/CP%2E01?x=1", "/ocpp") == "CP.01"
    assert station_id_from_path("/ocpp/a/b", "/ocpp") is None
    assert station_id_from_path("/ocpp/", "/ocpp") is None
    assert station_id_from_path("/other/CP01", "/ocpp") is None
    assert station_id_from_path("/ocpp/" + "x" * 49, "/ocpp") is None


def test_basic_credentials() -> None:
    token = base64.b64encode(b"CP01:pa:ss").decode()
    assert basic_credentials(Headers({"Authorization": f"Basic {token}"})) == ("CP01", "pa:ss")
    assert basic_credentials(Headers({"Authorization": "Bearer x"})) is None
    assert basic_credentials(Headers({"Authorization": "Basic !!"})) is None
    assert basic_credentials(Headers()) is None
