"""The OSCP 2.0 messages (chapter 4): unknown fields, cardinalities, required and NUL-free
strings, and the wire round trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from tests.unit.common.oscp20_model_helpers import (
    BLOCK,
    ENERGY,
    INSTANT,
    T2,
    T,
    asset,
    behaviour,
    heartbeat,
)
from wiseevp_common.messages.oscp20 import (
    AdjustGroupCapacityForecast,
    GroupCapacityComplianceError,
    Handshake,
    HandshakeAcknowledge,
    Heartbeat,
    Register,
    UpdateAssetMeasurements,
    UpdateGroupCapacityForecast,
    UpdateGroupMeasurements,
    VersionUrl,
)
from wiseevp_common.messages.oscp20.base import OscpModel

# -- unknown fields and cardinalities ---------------------------------------------------------

VALID: dict[type[OscpModel], dict[str, Any]] = {
    Register: {
        "token": "abc",
        "version_url": [{"version": "2.0", "base_url": "https://example.com/oscp/cp/2.0"}],
    },
    Handshake: {"required_behaviour": {"heartbeat_interval": 30}},
    HandshakeAcknowledge: {"required_behaviour": {"measurement_configuration": ["CONTINUOUS"]}},
    Heartbeat: {"offline_mode_at": T},
    UpdateGroupCapacityForecast: {
        "group_id": "g1",
        "type": "CONSUMPTION",
        "forecasted_blocks": [BLOCK],
    },
    AdjustGroupCapacityForecast: {
        "group_id": "g1",
        "type": "CONSUMPTION",
        "forecasted_blocks": [BLOCK],
    },
    GroupCapacityComplianceError: {"message": "cannot comply", "forecasted_blocks": [BLOCK]},
    UpdateGroupMeasurements: {"group_id": "g1", "measurements": [ENERGY]},
    UpdateAssetMeasurements: {
        "group_id": "g1",
        "measurements": [
            {"asset_id": "a", "asset_category": "STORAGE", "instantaneous_measurement": INSTANT}
        ],
    },
}


@pytest.mark.parametrize("model", list(VALID), ids=lambda m: m.__name__)
def test_unknown_fields_are_refused(model: type[OscpModel]) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model.model_validate_json(json.dumps({**VALID[model], "extra": 1}))


def test_unknown_fields_are_refused_in_nested_datatypes() -> None:
    forecast = VALID[UpdateGroupCapacityForecast]
    nested = {**forecast, "forecasted_blocks": [{**BLOCK, "Capacity": 1}]}
    with pytest.raises(ValidationError, match="Extra inputs"):
        UpdateGroupCapacityForecast.model_validate_json(json.dumps(nested))
    with pytest.raises(ValidationError, match="Extra inputs"):
        behaviour('{"heartbeat_interval": 5, "heartbeatInterval": 5}')


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (UpdateGroupCapacityForecast, "forecasted_blocks"),
        (AdjustGroupCapacityForecast, "forecasted_blocks"),
        (Register, "version_url"),
        (UpdateAssetMeasurements, "measurements"),
    ],
)
def test_one_or_more(model: type[OscpModel], field: str) -> None:
    with pytest.raises(ValidationError, match="at least 1 item"):
        model.model_validate_json(json.dumps({**VALID[model], field: []}))
    with pytest.raises(ValidationError, match=field):
        model.model_validate_json(json.dumps({k: v for k, v in VALID[model].items() if k != field}))


def test_zero_or_more() -> None:
    assert GroupCapacityComplianceError.model_validate_json('{"message": "m"}')
    assert GroupCapacityComplianceError.model_validate_json(
        '{"message": "m", "forecasted_blocks": []}'
    )
    group = UpdateGroupMeasurements.model_validate_json('{"group_id": "g", "measurements": []}')
    assert group.measurements == []


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Register, "token"),
        (UpdateGroupCapacityForecast, "group_id"),
        (GroupCapacityComplianceError, "message"),
        (UpdateAssetMeasurements, "group_id"),
    ],
)
def test_required_strings_are_not_empty(model: type[OscpModel], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        model.model_validate_json(json.dumps({**VALID[model], field: ""}))


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Register, "token"),
        (UpdateGroupCapacityForecast, "group_id"),
        (GroupCapacityComplianceError, "message"),
        (UpdateGroupMeasurements, "group_id"),
    ],
)
def test_strings_refuse_the_nul_character(model: type[OscpModel], field: str) -> None:
    """A NUL can be written in JSON (\\u0000) but not stored: refused at the edge (400)."""
    body = {**VALID[model], field: "a\u0000b"}
    with pytest.raises(ValidationError, match="NUL character"):
        model.model_validate_json(json.dumps(body))
    assert model.model_validate_json(json.dumps({**VALID[model], field: "a\u0001b"}))


def test_urls_and_nested_strings_refuse_the_nul_character() -> None:
    with pytest.raises(ValidationError, match="NUL character"):
        VersionUrl(version="2.0", base_url="https://exa\x00mple.com")
    with pytest.raises(ValidationError, match="NUL character"):
        VersionUrl(version="2.\x000", base_url="https://example.com")
    with pytest.raises(ValidationError, match="NUL character"):
        asset(asset_id="\x00", energy_measurement=ENERGY)


def test_forecast_type_is_one_of_the_five() -> None:
    forecast = VALID[UpdateGroupCapacityForecast]
    for kind in ("CONSUMPTION", "GENERATION", "FALLBACK_CONSUMPTION", "FALLBACK_GENERATION"):
        assert UpdateGroupCapacityForecast.model_validate_json(
            json.dumps({**forecast, "type": kind})
        )
    with pytest.raises(ValidationError, match="type"):
        UpdateGroupCapacityForecast.model_validate_json(json.dumps({**forecast, "type": "MAX"}))


# -- round trip -------------------------------------------------------------------------------


@pytest.mark.parametrize("model", list(VALID), ids=lambda m: m.__name__)
def test_round_trip(model: type[OscpModel]) -> None:
    parsed = model.model_validate_json(json.dumps(VALID[model]))
    wire = parsed.to_json()
    assert isinstance(wire, bytes)
    again = model.model_validate_json(wire)
    assert again == parsed
    assert again.to_json() == wire
    assert b"null" not in wire  # absent optionals are omitted


def test_round_trip_keeps_values_exactly() -> None:
    forecast = UpdateGroupCapacityForecast.model_validate_json(
        json.dumps(
            {
                "group_id": "g1",
                "type": "FALLBACK_GENERATION",
                "forecasted_blocks": [
                    {**BLOCK, "capacity": -7.12345678, "unit": "KW", "phase": "THREE"},
                    {
                        **BLOCK,
                        "capacity": 0,
                        "start_time": T2,
                        "end_time": "2026-03-01T07:30:00+01:00",
                    },
                ],
            }
        )
    )
    again = UpdateGroupCapacityForecast.model_validate_json(forecast.to_json())
    assert [b.capacity for b in again.forecasted_blocks] == [Decimal("-7.12345678"), Decimal(0)]
    assert again.forecasted_blocks[1].end_time == datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
    assert json.loads(again.to_json())["forecasted_blocks"][1]["end_time"] == (
        "2026-03-01T06:30:00.000Z"
    )


def test_models_are_frozen() -> None:
    parsed = heartbeat(T)
    with pytest.raises(ValidationError):
        parsed.offline_mode_at = datetime(2026, 1, 1, tzinfo=UTC)  # type: ignore[misc]
