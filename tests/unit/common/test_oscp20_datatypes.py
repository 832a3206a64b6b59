"""The OSCP 2.0 datatypes: the primitive types of table 1 (datetime, decimal, URL) and the
datatypes of chapter 5 (RequiredBehaviour, AssetMeasurement, ForecastedBlock)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from tests.unit.common.oscp20_model_helpers import (
    ENERGY,
    INSTANT,
    T2,
    T,
    asset,
    behaviour,
    block,
    heartbeat,
    instant,
)
from wiseevp_common.messages.oscp20 import (
    EnergyMeasurement,
    Handshake,
    HandshakeAcknowledge,
    Heartbeat,
    InstantaneousMeasurement,
    MeasurementConfiguration,
    VersionUrl,
)

# -- datetime (1.9.1, table 1) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T06:00:00Z", datetime(2026, 3, 1, 6, tzinfo=UTC)),
        ("2026-03-01t06:00:00z", datetime(2026, 3, 1, 6, tzinfo=UTC)),
        ("2026-03-01T07:00:00+01:00", datetime(2026, 3, 1, 6, tzinfo=UTC)),
        ("2026-03-01T01:30:00-04:30", datetime(2026, 3, 1, 6, tzinfo=UTC)),
        ("2026-03-01T06:00:00.1Z", datetime(2026, 3, 1, 6, 0, 0, 100_000, tzinfo=UTC)),
        ("2026-03-01T06:00:00.123+00:00", datetime(2026, 3, 1, 6, 0, 0, 123_000, tzinfo=UTC)),
    ],
)
def test_datetime_accepts_rfc3339_with_an_offset(text: str, expected: datetime) -> None:
    parsed = heartbeat(text).offline_mode_at
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-01T06:00:00",  # no offset
        "2026-03-01T06:00:00.123",  # no offset, with fraction
        "2026-03-01 06:00:00Z",  # no T
        "2026-03-01T06:00Z",  # no seconds
        "2026-03-01",
        "2026-03-01T06:00:00+0100",  # offset without colon
        "2026-13-01T06:00:00Z",
        "2026-03-01T06:00:00.1234Z",  # 4 fraction digits
        "2026-03-01T06:00:00.123456+01:00",
        "",
        "now",
        1_800_000_000,  # a Unix time is not an RFC 3339 string
        1.8e9,
        True,
        None,
    ],
)
def test_datetime_refuses_anything_else(value: Any) -> None:
    with pytest.raises(ValidationError, match="offline_mode_at"):
        heartbeat(value)


def test_datetime_fraction_limit_names_the_rule() -> None:
    with pytest.raises(ValidationError, match="at most 3 fractional second digits"):
        heartbeat("2026-03-01T06:00:00.0000Z")


def test_datetime_is_written_as_utc_milliseconds_z() -> None:
    message = heartbeat("2026-03-01T07:00:00.5+01:00")
    assert json.loads(message.to_json()) == {"offline_mode_at": "2026-03-01T06:00:00.500Z"}


def test_datetime_from_python_must_be_aware() -> None:
    assert Heartbeat(offline_mode_at=datetime(2026, 3, 1, 7, tzinfo=timezone(timedelta(hours=1))))
    with pytest.raises(ValidationError):
        Heartbeat(offline_mode_at=datetime(2026, 3, 1, 6))  # naive


# -- decimal (table 1: ≤ 8 decimal places, a JSON number) -------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", Decimal(0)),
        ("-16", Decimal(-16)),
        ("7.12345678", Decimal("7.12345678")),
        ("0.00000001", Decimal("0.00000001")),
        ("12345678901234567890", Decimal(12345678901234567890)),
        ("1e3", Decimal(1000)),
    ],
)
def test_decimal_accepts_numbers_with_at_most_8_places(raw: str, expected: Decimal) -> None:
    parsed = InstantaneousMeasurement.model_validate_json(
        json.dumps({**INSTANT, "value": 0}).replace('"value": 0', f'"value": {raw}')
    )
    assert parsed.value == expected


@pytest.mark.parametrize("value", [1.123456789, 0.000000001, 1e-9])
def test_decimal_refuses_more_than_8_places(value: float) -> None:
    with pytest.raises(ValidationError, match="at most 8 decimal places"):
        instant(value)


@pytest.mark.parametrize("value", ["7.5", "7", "", True, False, None, [7], {"v": 7}])
def test_decimal_refuses_strings_bools_and_others(value: Any) -> None:
    with pytest.raises(ValidationError, match="value"):
        instant(value)


def test_decimal_refuses_non_finite() -> None:
    for raw in ("1e400", "-1e400"):
        with pytest.raises(ValidationError):
            InstantaneousMeasurement.model_validate_json(
                json.dumps(INSTANT).replace('"value": 7.5', f'"value": {raw}')
            )


def test_decimal_is_written_as_a_json_number() -> None:
    assert json.loads(instant(7.25).to_json())["value"] == 7.25
    written = json.loads(instant(16).to_json())["value"]
    assert written == 16 and isinstance(written, int | float) and not isinstance(written, bool)
    assert b'"value":"' not in instant(16).to_json()
    assert json.loads(block(capacity=0.00000001).to_json())["capacity"] == 1e-8


# -- URL (5.1) --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/oscp/fp/2.0",
        "http://127.0.0.1:8080",
        "https://" + "a" * (255 - len("https://")),
    ],
)
def test_url_accepts_protocol_without_trailing_slash(url: str) -> None:
    assert VersionUrl(version="2.0", base_url=url).base_url == url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://example.com/oscp/", "must not end with a slash"),
        ("https://example.com/", "must not end with a slash"),
        ("example.com/oscp", "must start with a protocol"),
        ("//example.com/oscp", "must start with a protocol"),
        ("https:///oscp", "must start with a protocol"),
        ("https://exa mple.com", "white space"),
        ("https://" + "a" * (256 - len("https://")), "at most 255 characters"),
        ("", "at least 1 character"),
    ],
)
def test_url_refusals(url: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        VersionUrl(version="2.0", base_url=url)


def test_version_url_needs_a_version() -> None:
    with pytest.raises(ValidationError, match="version"):
        VersionUrl(version="", base_url="https://example.com")


# -- RequiredBehaviour (5.2) ------------------------------------------------------------------


def test_required_behaviour_needs_at_least_one_field() -> None:
    with pytest.raises(ValidationError, match="at least one of heartbeat_interval"):
        behaviour("{}")
    with pytest.raises(ValidationError, match="at least one"):
        behaviour('{"heartbeat_interval": null}')


def test_required_behaviour_accepts_an_empty_measurement_configuration() -> None:
    parsed = behaviour('{"measurement_configuration": []}')
    assert parsed.measurement_configuration == []
    assert parsed.heartbeat_interval is None
    assert json.loads(parsed.to_json()) == {"measurement_configuration": []}


def test_required_behaviour_full() -> None:
    parsed = behaviour(
        '{"heartbeat_interval": 60, "measurement_configuration": ["CONTINUOUS", "INTERMITTENT"]}'
    )
    assert parsed.heartbeat_interval == 60
    assert parsed.measurement_configuration == list(MeasurementConfiguration)


@pytest.mark.parametrize("interval", ["1", "2147483647"])
def test_heartbeat_interval_bounds_accepted(interval: str) -> None:
    assert behaviour(f'{{"heartbeat_interval": {interval}}}').heartbeat_interval == int(interval)


@pytest.mark.parametrize("interval", ["0", "-1", "2147483648", "1.0", "1.5", '"5"', "true"])
def test_heartbeat_interval_is_a_positive_integer_only(interval: str) -> None:
    with pytest.raises(ValidationError, match="heartbeat_interval"):
        behaviour(f'{{"heartbeat_interval": {interval}}}')


def test_measurement_configuration_values_are_case_sensitive() -> None:
    with pytest.raises(ValidationError, match="measurement_configuration"):
        behaviour('{"measurement_configuration": ["continuous"]}')


def test_handshake_required_behaviour_is_optional() -> None:
    assert Handshake.model_validate_json("{}").required_behaviour is None
    assert HandshakeAcknowledge.model_validate_json("{}").required_behaviour is None
    with pytest.raises(ValidationError, match="at least one"):
        Handshake.model_validate_json('{"required_behaviour": {}}')


# -- AssetMeasurement (5.6) -------------------------------------------------------------------


def test_asset_measurement_energy_or_instantaneous() -> None:
    assert asset(energy_measurement=ENERGY).energy_measurement is not None
    assert asset(instantaneous_measurement=INSTANT).instantaneous_measurement is not None


def test_asset_measurement_needs_exactly_one() -> None:
    with pytest.raises(ValidationError, match="either energy_measurement or instantaneous"):
        asset()
    with pytest.raises(ValidationError, match="not both"):
        asset(energy_measurement=ENERGY, instantaneous_measurement=INSTANT)
    with pytest.raises(ValidationError, match="either"):
        asset(energy_measurement=None)


def test_energy_measurement_optionals() -> None:
    parsed = EnergyMeasurement.model_validate_json(json.dumps(ENERGY))
    assert parsed.energy_type is None and parsed.initial_measure_time is None
    full = {**ENERGY, "energy_type": "FLEXIBLE", "initial_measure_time": T}
    assert EnergyMeasurement.model_validate_json(json.dumps(full)).initial_measure_time
    with pytest.raises(ValidationError, match="unit"):
        EnergyMeasurement.model_validate_json(json.dumps({**ENERGY, "unit": "W"}))


# -- ForecastedBlock (5.4) --------------------------------------------------------------------


def test_forecasted_block_end_after_start() -> None:
    assert block().end_time - block().start_time == timedelta(minutes=15)
    with pytest.raises(ValidationError, match="end_time must be after start_time"):
        block(end_time=T)
    with pytest.raises(ValidationError, match="end_time must be after start_time"):
        block(start_time=T2, end_time=T)


def test_forecasted_block_compares_instants_across_offsets() -> None:
    # 07:10+01:00 is 06:10Z: after the start, although it reads later than 06:15Z
    assert block(end_time="2026-03-01T07:10:00+01:00").end_time.minute == 10
    with pytest.raises(ValidationError, match="end_time must be after"):
        block(end_time="2026-03-01T06:59:00+01:00")


@pytest.mark.parametrize(
    ("field", "value"),
    [("unit", "MW"), ("unit", "kw"), ("phase", "FOUR"), ("phase", None), ("capacity", "16")],
)
def test_forecasted_block_enums_and_types(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=field):
        block(**{field: value})
