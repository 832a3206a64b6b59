"""Payloads about charge points that OCPP itself does not define."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from .types import IsoTimestamp, wire_json


class CommunicationStatus(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class EvseConnection(BaseModel):
    """Communication status of a charge point, as the EVSE wrapper sees it.

    ``online`` from the accepted WebSocket connection on; ``offline`` when the socket closes,
    when no message arrived for the configured number of heartbeat intervals, or (MQTT last
    will of the wrapper's view) when the wrapper stops.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    status: CommunicationStatus
    since: IsoTimestamp = Field(description="When the station entered this status.")
    last_seen: IsoTimestamp | None = Field(
        default=None, alias="lastSeen", description="Last message received from the station."
    )
    reason: str | None = Field(
        default=None,
        max_length=200,
        description="Why it went offline (socket closed, heartbeat timeout, wrapper stopped).",
    )

    def to_json(self) -> bytes:
        return wire_json(self)
