"""Rules of the HTTP ingestion endpoint: token, body, ids, organisation, time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ev_wrapper.sources.ingest_validation import (
    IngestRejected,
    bearer_token_ok,
    parse_characteristics,
    parse_status,
)
from wiseevp_common.messages.iop import EvStatusValue

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
EV = "CREVILLENT-00002"
CHARACTERISTICS: dict[str, Any] = {
    "id": EV,
    "name": "Renault Kangoo Z.E.",
    "connector": {"type": "mennekes", "power": "7.4"},
    "capacity": 33,
}
STATUS: dict[str, Any] = {
    "id": EV,
    "timestamp": "2026-05-01T11:59:30.000Z",
    "status": "connected",
    "soc": 55.5,
    "autonomy": 95,
    "coordinates": [-0.6527, 38.2494],
    "travelledDistance": 12000,
}


def body(obj: object) -> bytes:
    return json.dumps(obj).encode()


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("Bearer s3cret", True),
        ("bearer s3cret", True),  # the scheme is case-insensitive
        ("Bearer  s3cret ", True),
        ("Bearer s3cret2", False),
        ("Bearer s3cre", False),
        ("Bearer ", False),
        ("Basic czNjcmV0", False),
        ("s3cret", False),
        (None, False),
    ],
)
def test_bearer_token(header: str | None, ok: bool) -> None:
    assert bearer_token_ok(header, "s3cret") is ok


def test_no_token_configured_means_no_authentication() -> None:
    assert bearer_token_ok(None, "")
    assert bearer_token_ok("Bearer anything", "")


def test_valid_characteristics_and_status_are_accepted() -> None:
    ev = parse_characteristics(EV, body(CHARACTERISTICS), "CREVILLENT")
    assert ev.id == EV and ev.capacity == 33 and str(ev.connector.power) == "7.4"
    status = parse_status(EV, body(STATUS), "CREVILLENT", NOW, 300)
    assert status.status is EvStatusValue.CONNECTED
    assert status.coordinates == (-0.6527, 38.2494)
    assert status.travelled_distance == 12000


def rejection(call: Any) -> IngestRejected:
    with pytest.raises(IngestRejected) as info:
        call()
    return info.value


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"", "invalid body"),
        (b"{not json", "Invalid JSON"),
        (b"[]", "invalid body"),
        (body(CHARACTERISTICS | {"capacity": -1}), "capacity"),
        (body(CHARACTERISTICS | {"connector": {"type": "schuko", "power": 3}}), "connector.type"),
        (body(CHARACTERISTICS | {"colour": "white"}), "colour"),  # the IOP contract is closed
        (body({k: v for k, v in CHARACTERISTICS.items() if k != "name"}), "name"),
    ],
)
def test_invalid_characteristics_are_400(raw: bytes, fragment: str) -> None:
    rejected = rejection(lambda: parse_characteristics(EV, raw, "CREVILLENT"))
    assert rejected.status == 400
    assert fragment in rejected.message


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"status": "flying"}, "status"),
        ({"soc": 120}, "soc"),
        ({"timestamp": "2026-05-01T11:59:30"}, "timestamp"),  # no time zone
        ({"coordinates": [0.1]}, "coordinates"),
        ({"travelledDistance": -5}, "travelledDistance"),
    ],
)
def test_invalid_statuses_are_400(changes: dict[str, Any], fragment: str) -> None:
    rejected = rejection(lambda: parse_status(EV, body(STATUS | changes), "CREVILLENT", NOW, 300))
    assert rejected.status == 400
    assert fragment in rejected.message


def test_body_id_must_be_the_path_id() -> None:
    rejected = rejection(
        lambda: parse_characteristics("CREVILLENT-00003", body(CHARACTERISTICS), "CREVILLENT")
    )
    assert rejected.status == 400 and "not the id in the path" in rejected.message
    rejected = rejection(lambda: parse_status("CREVILLENT-9", body(STATUS), "CREVILLENT", NOW, 0))
    assert rejected.status == 400


def test_evs_of_another_organisation_are_403() -> None:
    other = CHARACTERISTICS | {"id": "PARTAGO-00001"}
    rejected = rejection(lambda: parse_characteristics("PARTAGO-00001", body(other), "CREVILLENT"))
    assert rejected.status == 403 and "PARTAGO-00001" in rejected.message


def test_statuses_dated_too_far_ahead_are_400() -> None:
    ahead = (NOW + timedelta(minutes=6)).isoformat()
    rejected = rejection(
        lambda: parse_status(EV, body(STATUS | {"timestamp": ahead}), "CREVILLENT", NOW, 300)
    )
    assert rejected.status == 400 and "ahead" in rejected.message
    slightly = (NOW + timedelta(minutes=4)).isoformat()
    assert parse_status(EV, body(STATUS | {"timestamp": slightly}), "CREVILLENT", NOW, 300)
