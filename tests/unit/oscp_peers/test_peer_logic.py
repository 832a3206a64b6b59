"""The pure parts of the CP and CO peer services: the Optimum, granted adjustments, the
forecast plan, the settings, and what the inbox stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from oscp_co.optimizer import optimum, optimum_capacity
from oscp_cp.capacity_provider import capped, granted
from oscp_cp.forecast_plan import PlanError, load_plan, plan_forecasts
from oscp_cp.settings import CpSettings
from wiseevp_common.messages.oscp20 import (
    AdjustGroupCapacityForecast,
    CapacityForecastType,
    ForecastedBlock,
    ForecastedBlockUnit,
    MeasurementConfiguration,
    PhaseIndicator,
    Register,
    RequiredBehaviour,
    UpdateGroupCapacityForecast,
    VersionUrl,
)
from wiseevp_oscp.inbox import stored_body

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def blocks(*capacities: str) -> list[ForecastedBlock]:
    return [
        ForecastedBlock(
            capacity=Decimal(c),
            phase=PhaseIndicator.ALL,
            unit=ForecastedBlockUnit.A,
            start_time=T0 + timedelta(minutes=15 * i),
            end_time=T0 + timedelta(minutes=15 * (i + 1)),
        )
        for i, c in enumerate(capacities)
    ]


@pytest.mark.parametrize(
    ("capacity", "fraction", "expected"),
    [
        ("32", "0.8", "25.6"),
        ("10.12345678", "0.8", "8.09876542"),
        ("0.00000005", "0.5", "0.00000002"),  # half to even
        ("0.00000015", "0.5", "0.00000008"),
        ("16", "1.5", "16"),  # never above the consumption capacity
        ("16", "0", "0"),
        ("0", "0.8", "0"),
    ],
)
def test_optimum_capacity(capacity: str, fraction: str, expected: str) -> None:
    value = optimum_capacity(Decimal(capacity), Decimal(fraction))
    assert value == Decimal(expected)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int) and -exponent <= 8


def test_optimum_keeps_group_and_blocks() -> None:
    consumption = UpdateGroupCapacityForecast(
        group_id="g", type=CapacityForecastType.CONSUMPTION, forecasted_blocks=blocks("32", "16")
    )
    result = optimum(consumption, Decimal("0.8"))
    assert result.type is CapacityForecastType.OPTIMUM and result.group_id == "g"
    assert [b.capacity for b in result.forecasted_blocks] == [Decimal("25.6"), Decimal("12.8")]
    assert [b.start_time for b in result.forecasted_blocks] == [T0, T0 + timedelta(minutes=15)]
    assert b'"capacity":25.6' in result.model_dump_json().encode()
    with pytest.raises(ValueError, match="CONSUMPTION"):
        optimum(
            consumption.model_copy(update={"type": CapacityForecastType.GENERATION}), Decimal(1)
        )


def test_granted_adjustment_is_capped_keeping_the_sign() -> None:
    assert capped(Decimal(32), Decimal(20)) == 20
    assert capped(Decimal(-32), Decimal(20)) == -20
    assert capped(Decimal(32), None) == 32
    request = AdjustGroupCapacityForecast(
        group_id="g", type=CapacityForecastType.CONSUMPTION, forecasted_blocks=blocks("32", "5")
    )
    answer = granted(request, Decimal(20))
    assert answer.group_id == "g" and answer.type is CapacityForecastType.CONSUMPTION
    assert [b.capacity for b in answer.forecasted_blocks] == [20, 5]
    assert [b.end_time for b in answer.forecasted_blocks] == [
        b.end_time for b in request.forecasted_blocks
    ]


def test_plan_gives_one_forecast_per_group_and_type(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(
        "site-1:\n"
        "  - {minutes: 15, consumption: 32, fallback_consumption: 8, generation: -10}\n"
        "  - {minutes: 30, consumption: 16.5, unit: KW, phase: ONE}\n"
        "site-2:\n"
        "  - {minutes: 5, fallback_generation: -1}\n"
    )
    now = T0 + timedelta(microseconds=123_456)
    forecasts = plan_forecasts(load_plan(path), now)
    got = {(f.group_id, f.type): f.forecasted_blocks for f in forecasts}
    assert list(got) == [
        ("site-1", CapacityForecastType.CONSUMPTION),
        ("site-1", CapacityForecastType.FALLBACK_CONSUMPTION),
        ("site-1", CapacityForecastType.GENERATION),
        ("site-2", CapacityForecastType.FALLBACK_GENERATION),
    ]
    first, second = got["site-1", CapacityForecastType.CONSUMPTION]
    assert (first.start_time, first.end_time) == (T0, T0 + timedelta(minutes=15))
    assert (second.start_time, second.end_time) == (
        T0 + timedelta(minutes=15),
        T0 + timedelta(minutes=45),
    )
    assert (second.capacity, second.unit, second.phase) == (
        Decimal("16.5"),
        ForecastedBlockUnit.KW,
        PhaseIndicator.ONE,
    )
    assert (first.unit, first.phase) == (ForecastedBlockUnit.A, PhaseIndicator.ALL)
    assert len(got["site-1", CapacityForecastType.FALLBACK_CONSUMPTION]) == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("site-1: [{minutes: 0, consumption: 1}]", "greater than 0"),
        ("site-1: [{minutes: 5, consumtion: 1}]", "Extra inputs"),
        ("site-1: []", "at least 1"),
        ("site-1: [{minutes: 5, consumption: 0.123456789}]", "8 decimal places"),
        ("site-1: [{minutes: 5", "not valid YAML"),
        ("{}", "no group"),
    ],
)
def test_invalid_plans_are_refused_naming_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    with pytest.raises(PlanError, match=problem):
        load_plan(path)
    with pytest.raises(PlanError, match="cannot read"):
        load_plan(tmp_path / "missing.yaml")


def test_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WISEEVP_MEASUREMENT_CONFIGURATION", "CONTINUOUS, INTERMITTENT")
    settings = CpSettings(http_port=8123, admin_token="t", heartbeat_interval_s=0)
    assert settings.public_url == "http://127.0.0.1:8123"
    assert settings.required_behaviour() == RequiredBehaviour(
        measurement_configuration=[
            MeasurementConfiguration.CONTINUOUS,
            MeasurementConfiguration.INTERMITTENT,
        ]
    )
    monkeypatch.setenv("WISEEVP_MEASUREMENT_CONFIGURATION", "")
    settings = CpSettings(oscp_public_url="https://cp.example/", admin_token="t")
    assert settings.public_url == "https://cp.example"
    assert settings.required_behaviour() == RequiredBehaviour(
        heartbeat_interval=60, measurement_configuration=[]
    )
    with pytest.raises(ValueError, match="WISEEVP_HTTP_PORT is 0"):
        CpSettings(http_port=0, admin_token="t")
    with pytest.raises(ValueError, match="admin_token"):
        CpSettings(http_port=1)


def test_the_inbox_never_stores_a_register_token() -> None:
    register = Register(
        token="secret-token", version_url=[VersionUrl(version="2.0", base_url="http://fp/2.0")]
    )
    body = stored_body(register)
    assert body is not None and "secret-token" not in body and '"token":"***"' in body
    assert stored_body(None) is None
