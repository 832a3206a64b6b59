"""The EV payloads of design 3.2.2.1, exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from wiseevp_common.messages.iop import (
    ConnectorType,
    EvCharacteristics,
    EvStatus,
    EvStatusValue,
)

DESIGN_CHARACTERISTICS = {
    "id": "PARTAGO-00001",
    "name": "Electric Vehicle X",
    "connector": {"type": "chademo", "power": "22"},
    "capacity": 41,
}
DESIGN_STATUS = {
    "id": "PARTAGO-00001",
    "timestamp": "2018-01-01T00:00:00.000Z",
    "status": "charging",
    "soc": 81.1,
    "autonomy": 100,
    "coordinates": [0.9, 47.0],
    "travelledDistance": 10000,
}


def test_design_examples_round_trip_exactly() -> None:
    c = EvCharacteristics.model_validate(DESIGN_CHARACTERISTICS)
    assert json.loads(c.to_json()) == DESIGN_CHARACTERISTICS
    s = EvStatus.model_validate(DESIGN_STATUS)
    assert json.loads(s.to_json()) == DESIGN_STATUS


def test_connector_power_accepts_numbers_and_writes_a_string() -> None:
    c = EvCharacteristics.model_validate(
        {**DESIGN_CHARACTERISTICS, "connector": {"type": "ccs", "power": 7.4}}
    )
    assert json.loads(c.to_json())["connector"]["power"] == "7.4"


def test_connector_types_are_table_4() -> None:
    assert {t.value for t in ConnectorType} == {
        "chademo",
        "combo",
        "tesla",
        "mennekes",
        "j1772",
        "ccs",
    }
    with pytest.raises(ValidationError):
        EvCharacteristics.model_validate(
            {**DESIGN_CHARACTERISTICS, "connector": {"type": "type2", "power": "22"}}
        )


def test_timestamp_written_in_utc_with_milliseconds() -> None:
    s = EvStatus.model_validate({**DESIGN_STATUS, "timestamp": "2018-01-01T02:00:00.123456+02:00"})
    assert json.loads(s.to_json())["timestamp"] == "2018-01-01T00:00:00.123Z"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timestamp", "2018-01-01T00:00:00"),  # naive
        ("status", "parked"),
        ("soc", 100.5),
        ("soc", -1),
        ("coordinates", [200, 47]),
        ("coordinates", [0.9, 95]),
        ("coordinates", [0.9]),
        ("travelledDistance", -5),
        ("id", "no_dash"),
        ("id", "ORG-"),
    ],
)
def test_invalid_status_rejected(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        EvStatus.model_validate({**DESIGN_STATUS, field: value})


def test_unknown_fields_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        EvStatus.model_validate({**DESIGN_STATUS, "doors": "open"})


def test_nocomm_needs_no_measurements() -> None:
    s = EvStatus(
        id="ORG-1", timestamp=datetime(2026, 1, 1, tzinfo=UTC), status=EvStatusValue.NOCOMM
    )
    assert json.loads(s.to_json()) == {
        "id": "ORG-1",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "status": "nocomm",
    }


def test_control_characters_in_name_rejected_at_the_edge() -> None:
    """PostgreSQL cannot store NUL; such a payload must be dead-lettered, not retried."""
    for bad in ("Zoe\x00", "line\nbreak"):
        with pytest.raises(ValidationError):
            EvCharacteristics.model_validate({**DESIGN_CHARACTERISTICS, "name": bad})
