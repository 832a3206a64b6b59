"""The WiseEVP OBD line protocol, version 1: what OBD devices and the wrapper say over TCP.

Pure: message models, parsing, encoding and the mapping of a reading to an IOP status. No I/O.

Framing: TCP, UTF-8, one JSON object per line, ``\\n``-terminated (a trailing ``\\r`` is
tolerated), at most :data:`MAX_LINE_BYTES` bytes a line. Every object has a ``type``. Unknown
fields are ignored, so optional fields can be added without a new version; a new required
field or a change of meaning makes a new version.

The device is the TCP client; the conversation is::

    device  → {"type": "hello", "protocol": 1, "device": "861230045123456"}
    wrapper ← {"type": "welcome", "protocol": 1, "ev": "EMOTION-00001", "poll_interval_s": 5.0}
              or {"type": "refused", "reason": "unknown device", "supported": [1]} and closes
    wrapper ← {"type": "query", "seq": 1}                         (every poll interval)
    device  → {"type": "reading", "seq": 1, "soc": 81.1, "autonomy_km": 100,
               "minutes_to_full": 35, "position": {"lat": 42.56, "lon": 12.64},
               "doors": "closed", "engine": "off", "odometer_km": 10000.5, "plugged": true}
              or {"type": "error", "seq": 1, "message": "CAN bus timeout"}

``seq`` increases by one per query on a connection; an answer must carry the ``seq`` of the
query it answers, before the next query is sent. The full specification (field table, status
derivation, error handling) is in ``services/ev_wrapper/README.md``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from wiseevp_common.messages.iop import EvStatus, EvStatusValue

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS: tuple[int, ...] = (1,)
MAX_LINE_BYTES = 4096
"""Longer lines are a framing error: the connection is dropped at once."""

DEVICE_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


class ProtocolError(ValueError):
    """A line that is not a valid message of this protocol (the text says why)."""


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, allow_inf_nan=False)


# -- device → wrapper -------------------------------------------------------------------------
class Hello(_Message):
    """First line of a connection: who the device is and which protocol version it speaks."""

    type: Literal["hello"] = "hello"
    protocol: int = Field(ge=1)
    device: str = Field(pattern=DEVICE_ID_PATTERN)


class Position(_Message):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Reading(_Message):
    """The answer to a query: what the OBD device read from the car."""

    type: Literal["reading"] = "reading"
    seq: int = Field(ge=1)
    soc: float = Field(ge=0, le=100, description="Battery state of charge, %")
    autonomy_km: float = Field(ge=0, le=5000, description="Residual autonomy, km")
    minutes_to_full: float | None = Field(
        ge=0, le=10_000, description="Minutes to a full battery; null when unknown"
    )
    position: Position | None = Field(description="GPS position; null without a fix")
    doors: Literal["open", "closed"]
    engine: Literal["on", "off"]
    odometer_km: float | None = Field(default=None, ge=0, description="If the car gives it")
    plugged: bool | None = Field(default=None, description="Charge cable in, if the car gives it")


class DeviceError(_Message):
    """The device got the query but could not read the car this time."""

    type: Literal["error"] = "error"
    seq: int = Field(ge=1)
    message: str = Field(max_length=500)


# -- wrapper → device -------------------------------------------------------------------------
class Welcome(_Message):
    type: Literal["welcome"] = "welcome"
    protocol: int
    ev: str
    poll_interval_s: float


class Refused(_Message):
    type: Literal["refused"] = "refused"
    reason: str
    supported: tuple[int, ...] = SUPPORTED_VERSIONS


class Query(_Message):
    type: Literal["query"] = "query"
    seq: int = Field(ge=1)


DeviceMessage = Hello | Reading | DeviceError
WrapperMessage = Welcome | Refused | Query

_DEVICE_MESSAGE: TypeAdapter[DeviceMessage] = TypeAdapter(
    Annotated[DeviceMessage, Field(discriminator="type")]
)
_WRAPPER_MESSAGE: TypeAdapter[WrapperMessage] = TypeAdapter(
    Annotated[WrapperMessage, Field(discriminator="type")]
)


def encode(message: _Message) -> bytes:
    """One line on the wire (``null`` optionals are left out)."""
    return message.model_dump_json(exclude_none=True).encode() + b"\n"


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:3]:
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def _strip(line: bytes) -> bytes:
    if len(line) > MAX_LINE_BYTES + 2:
        raise ProtocolError(f"line longer than {MAX_LINE_BYTES} bytes")
    stripped = line.rstrip(b"\r\n")
    if not stripped.strip():
        raise ProtocolError("empty line")
    return stripped


def parse_device_line(line: bytes) -> DeviceMessage:
    """A line a device sent, or :class:`ProtocolError` saying what is wrong with it."""
    try:
        return _DEVICE_MESSAGE.validate_json(_strip(line))
    except ValidationError as exc:
        raise ProtocolError(_explain(exc)) from None


def parse_wrapper_line(line: bytes) -> WrapperMessage:
    """A line the wrapper sent (used by devices, e.g. the simulated one)."""
    try:
        return _WRAPPER_MESSAGE.validate_json(_strip(line))
    except ValidationError as exc:
        raise ProtocolError(_explain(exc)) from None


def derive_status(reading: Reading) -> EvStatusValue:
    """``connected``/``charging``/``disconnected`` from what OBD tells (first rule that applies):

    1. engine on ⇒ ``disconnected`` (the car is being driven, it cannot be on a charger);
    2. ``plugged`` is false ⇒ ``disconnected`` (the car says so; minutes-to-full is then only
       an estimate);
    3. minutes to full > 0 ⇒ ``charging`` (engine off and the battery filling);
    4. ``plugged`` is true ⇒ ``connected`` (on the cable, not charging: full or paused);
    5. otherwise ⇒ ``disconnected`` (a device that does not report ``plugged`` cannot tell a
       full car on the cable from an unplugged one).
    """
    if reading.engine == "on" or reading.plugged is False:
        return EvStatusValue.DISCONNECTED
    if reading.minutes_to_full is not None and reading.minutes_to_full > 0:
        return EvStatusValue.CHARGING
    if reading.plugged:
        return EvStatusValue.CONNECTED
    return EvStatusValue.DISCONNECTED


def status_from_reading(ev_id: str, reading: Reading, received_at: datetime) -> EvStatus:
    """The IOP status of ``ev_id`` for a reading received at ``received_at`` (the wrapper's
    clock: devices send no time). Doors are not part of the IOP status and are not published."""
    return EvStatus(
        id=ev_id,
        timestamp=received_at,
        status=derive_status(reading),
        soc=reading.soc,
        autonomy=reading.autonomy_km,
        coordinates=None
        if reading.position is None
        else (reading.position.lon, reading.position.lat),
        travelled_distance=reading.odometer_km,
    )
