"""The OBD line protocol: parsing what devices send, encoding what the wrapper sends, and the
mapping of a reading to the IOP status."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ev_wrapper.sources.obd_protocol import (
    MAX_LINE_BYTES,
    DeviceError,
    Hello,
    Position,
    ProtocolError,
    Query,
    Reading,
    Refused,
    Welcome,
    derive_status,
    encode,
    parse_device_line,
    parse_wrapper_line,
    status_from_reading,
)
from wiseevp_common.messages.iop import EvStatus, EvStatusValue

T0 = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)

READING: dict[str, Any] = {
    "type": "reading",
    "seq": 7,
    "soc": 81.1,
    "autonomy_km": 100,
    "minutes_to_full": 35,
    "position": {"lat": 42.5636, "lon": 12.6467},
    "doors": "closed",
    "engine": "off",
    "odometer_km": 10000.5,
    "plugged": True,
}


def line(obj: object) -> bytes:
    return json.dumps(obj).encode() + b"\n"


def reading(**changes: Any) -> Reading:
    message = parse_device_line(line(READING | changes))
    assert isinstance(message, Reading)
    return message


def test_hello_reading_and_error_parse() -> None:
    hello = parse_device_line(b'{"type": "hello", "protocol": 1, "device": "861230045123456"}\r\n')
    assert hello == Hello(protocol=1, device="861230045123456")
    assert parse_device_line(line(READING)) == Reading(
        seq=7,
        soc=81.1,
        autonomy_km=100,
        minutes_to_full=35,
        position=Position(lat=42.5636, lon=12.6467),
        doors="closed",
        engine="off",
        odometer_km=10000.5,
        plugged=True,
    )
    error = parse_device_line(line({"type": "error", "seq": 3, "message": "CAN bus timeout"}))
    assert error == DeviceError(seq=3, message="CAN bus timeout")


def test_optional_fields_may_be_absent_or_null_and_unknown_fields_are_ignored() -> None:
    minimal = {k: v for k, v in READING.items() if k not in ("odometer_km", "plugged")}
    parsed = parse_device_line(
        line(minimal | {"position": None, "minutes_to_full": None, "tyre_pressure": 2.4})
    )
    assert isinstance(parsed, Reading)
    assert parsed.position is None and parsed.minutes_to_full is None
    assert parsed.odometer_km is None and parsed.plugged is None


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"not json\n", "Invalid JSON"),
        (b"[1, 2]\n", "object"),
        (b"\xff\xfe\n", "Invalid JSON"),
        (b"\n", "empty line"),
        (b"   \r\n", "empty line"),
        (line({"type": "selfdestruct"}), "does not match"),
        (line({"protocol": 1, "device": "x"}), "type"),
        (line(READING | {"soc": 100.5}), "soc"),
        (line(READING | {"soc": "81"}), "soc"),  # strict: no strings for numbers
        (line(READING | {"seq": 0}), "seq"),
        (line(READING | {"doors": "ajar"}), "doors"),
        (line(READING | {"engine": True}), "engine"),
        (line(READING | {"position": {"lat": 91, "lon": 0}}), "lat"),
        (line(READING | {"autonomy_km": -1}), "autonomy_km"),
        (b'{"type": "reading", "seq": 1, "soc": NaN}\n', "soc"),
        (line({k: v for k, v in READING.items() if k != "engine"}), "engine"),
        (line({"type": "hello", "protocol": 1, "device": "has space"}), "device"),
        (b"x" * (MAX_LINE_BYTES + 10) + b"\n", "longer than"),
    ],
)
def test_malformed_lines_are_rejected_with_a_reason(raw: bytes, fragment: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_device_line(raw)
    assert fragment in str(info.value)


def test_wrapper_messages_encode_as_one_json_line_and_round_trip() -> None:
    for message in (
        Welcome(protocol=1, ev="EMOTION-00001", poll_interval_s=5.0),
        Refused(reason="unknown device 42"),
        Query(seq=12),
    ):
        data = encode(message)
        assert data.endswith(b"\n") and data.count(b"\n") == 1
        assert parse_wrapper_line(data) == message
    assert json.loads(encode(Query(seq=12))) == {"type": "query", "seq": 12}
    assert json.loads(encode(Refused(reason="x"))) == {
        "type": "refused",
        "reason": "x",
        "supported": [1],
    }


def test_encoding_leaves_out_unknown_values() -> None:
    sent = json.loads(encode(reading(position=None, plugged=None, minutes_to_full=None)))
    assert "position" not in sent and "plugged" not in sent and "minutes_to_full" not in sent


@pytest.mark.parametrize(
    ("engine", "minutes_to_full", "plugged", "expected"),
    [
        ("off", 35, None, EvStatusValue.CHARGING),  # filling, cable state unknown
        ("off", 35, True, EvStatusValue.CHARGING),
        ("off", 35, False, EvStatusValue.DISCONNECTED),  # the car says it is not plugged
        ("on", 35, True, EvStatusValue.DISCONNECTED),  # engine on: driving
        ("on", 0, None, EvStatusValue.DISCONNECTED),
        ("off", 0, True, EvStatusValue.CONNECTED),  # full, on the cable
        ("off", None, True, EvStatusValue.CONNECTED),
        ("off", 0, None, EvStatusValue.DISCONNECTED),  # cannot tell: not on a charger
        ("off", None, None, EvStatusValue.DISCONNECTED),
        ("off", 0.4, None, EvStatusValue.CHARGING),
    ],
)
def test_status_is_derived_from_engine_minutes_to_full_and_plug(
    engine: str, minutes_to_full: float | None, plugged: bool | None, expected: EvStatusValue
) -> None:
    r = reading(engine=engine, minutes_to_full=minutes_to_full, plugged=plugged)
    assert derive_status(r) is expected


def test_reading_maps_to_the_iop_status() -> None:
    status = status_from_reading("EMOTION-00001", reading(), T0)
    assert status == EvStatus(
        id="EMOTION-00001",
        timestamp=T0,
        status=EvStatusValue.CHARGING,
        soc=81.1,
        autonomy=100,
        coordinates=(12.6467, 42.5636),  # IOP order: longitude, latitude
        travelled_distance=10000.5,
    )
    wire = json.loads(status.to_json())
    assert "doors" not in wire  # not part of the IOP status
    assert wire["travelledDistance"] == 10000.5


def test_reading_without_fix_or_odometer_leaves_them_out() -> None:
    status = status_from_reading("EMOTION-00001", reading(position=None, odometer_km=None), T0)
    wire = json.loads(status.to_json())
    assert "coordinates" not in wire and "travelledDistance" not in wire
    assert wire["soc"] == 81.1
