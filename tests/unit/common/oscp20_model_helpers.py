"""What the OSCP 2.0 model tests (test_oscp20_datatypes.py, test_oscp20_messages.py) share:
two times, a valid ForecastedBlock, EnergyMeasurement and InstantaneousMeasurement as JSON, and
parsers of a message or datatype from JSON."""

from __future__ import annotations

import json
from typing import Any

from wiseevp_common.messages.oscp20 import (
    AssetMeasurement,
    ForecastedBlock,
    Heartbeat,
    InstantaneousMeasurement,
    RequiredBehaviour,
)

T = "2026-03-01T06:00:00Z"
T2 = "2026-03-01T06:15:00Z"
BLOCK: dict[str, Any] = {
    "capacity": 16,
    "phase": "ALL",
    "unit": "A",
    "start_time": T,
    "end_time": T2,
}
ENERGY: dict[str, Any] = {
    "value": 1234.5,
    "phase": "ALL",
    "unit": "WH",
    "direction": "IMPORT",
    "measure_time": T,
}
INSTANT: dict[str, Any] = {"value": 7.5, "phase": "ONE", "unit": "A", "measure_time": T}


def heartbeat(offline_mode_at: Any) -> Heartbeat:
    return Heartbeat.model_validate_json(json.dumps({"offline_mode_at": offline_mode_at}))


def block(**changes: Any) -> ForecastedBlock:
    return ForecastedBlock.model_validate_json(json.dumps({**BLOCK, **changes}))


def instant(value: Any) -> InstantaneousMeasurement:
    return InstantaneousMeasurement.model_validate_json(json.dumps({**INSTANT, "value": value}))


def behaviour(raw: str) -> RequiredBehaviour:
    return RequiredBehaviour.model_validate_json(raw)


def asset(**measurements: Any) -> AssetMeasurement:
    body = {"asset_id": "evse-1", "asset_category": "CHARGING", **measurements}
    return AssetMeasurement.model_validate_json(json.dumps(body))
