"""The IOP topics of the EVSE wrapper that carry OCPP 1.6 JSON frames (design 3.2.1.2).

Three kinds, all under ``MQTT/EVSE/<evse id>/`` where ``<evse id>`` is the OCPP charge point
identity, percent-encoded (:func:`~wiseevp_common.topology.encode_level`):

- **Station messages** (wrapper → IOP): the OCPP request a charge point sent, exactly as
  received, on ``MQTT/EVSE/<id>/<topic>``. The five topics of design 3.2.1.2.1 are
  :data:`~wiseevp_common.topology.EVSE_TOPICS` (pydantic contracts, stored by the RT monitor);
  the other station-initiated actions follow the same pattern here.
- **Commands** (IOP → wrapper → station): the OCPP request to send, exactly as OCPP, on
  ``MQTT/EVSE/<id>/<topic>`` (design 3.2.1.2.2) or, to correlate the result, on
  ``MQTT/EVSE/<id>/<topic>/<request id>``.
- **Results** (wrapper → IOP): exactly one per command, on
  ``MQTT/EVSE/<id>/result/<topic>/<request id>``; the payload is an OCPP-J frame whose
  UniqueId is the request id: ``[3, "<request id>", {response}]`` (the station's CALLRESULT)
  or ``[4, "<request id>", "<errorCode>", "<description>", {details}]`` (the station's
  CALLERROR, or the wrapper's: invalid command, timeout, expired while offline, ...).

Payload schemas are the official OCPP 1.6 JSON schemas shipped with the ``ocpp`` package.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import unquote

from .topology import Binding, Exchange, QueueSpec, encode_level, mqtt_to_routing_key

EVSE_PREFIX = "MQTT/EVSE/{evse_id}"
RESULT_LEVEL = "result"
MAX_UNIQUE_ID_LENGTH = 36
"""OCPP-J: a UniqueId is at most 36 characters."""


class Direction(StrEnum):
    STATION = "station"
    """Initiated by the charge point; the wrapper republishes the request."""
    COMMAND = "command"
    """Initiated by the platform (scheduler, booking, operator); the wrapper sends it."""


class ResultReason(StrEnum):
    """``details.reason`` of a CALLERROR result the wrapper itself produced."""

    INVALID_COMMAND = "invalid-command"
    TIMEOUT = "timeout"
    EXPIRED = "expired-while-offline"
    QUEUE_FULL = "offline-queue-full"
    STATION_UNKNOWN = "station-unknown"
    NOT_SUPPORTED = "not-supported-by-station"
    PROFILE_NOT_APPLIED = "profile-not-applied"


@dataclass(frozen=True)
class OcppTopic:
    """One OCPP action on the IOP: its topic level, direction and official schema."""

    action: str
    level: str
    direction: Direction
    description: str
    qos: int = 1

    @property
    def template(self) -> str:
        return f"{EVSE_PREFIX}/{self.level}"

    @property
    def correlated_template(self) -> str:
        return f"{self.template}/{{request_id}}"

    @property
    def result_template(self) -> str:
        return f"{EVSE_PREFIX}/{RESULT_LEVEL}/{self.level}/{{request_id}}"

    def topic(self, evse_id: str, request_id: str | None = None) -> str:
        base = f"MQTT/EVSE/{encode_level(evse_id)}/{self.level}"
        return base if request_id is None else f"{base}/{encode_level(request_id)}"

    def routing_key(self, evse_id: str, request_id: str | None = None) -> str:
        return mqtt_to_routing_key(self.topic(evse_id, request_id))

    def result_topic(self, evse_id: str, request_id: str) -> str:
        return (
            f"MQTT/EVSE/{encode_level(evse_id)}/{RESULT_LEVEL}/{self.level}/"
            f"{encode_level(request_id)}"
        )

    def result_routing_key(self, evse_id: str, request_id: str) -> str:
        return mqtt_to_routing_key(self.result_topic(evse_id, request_id))

    @property
    def binding_keys(self) -> tuple[str, ...]:
        """AMQP bindings for every instance (commands: with and without a request id)."""
        base = f"MQTT.EVSE.*.{self.level}"
        return (base, f"{base}.*") if self.direction is Direction.COMMAND else (base,)

    def request_schema(self) -> dict[str, Any]:
        return ocpp16_schema(self.action)

    def response_schema(self) -> dict[str, Any]:
        return ocpp16_schema(f"{self.action}Response")


def _station(action: str, level: str, description: str) -> OcppTopic:
    return OcppTopic(action, level, Direction.STATION, description)


def _command(action: str, description: str, level: str | None = None) -> OcppTopic:
    return OcppTopic(action, level or action.lower(), Direction.COMMAND, description)


class OcppIop:
    """Station-initiated actions beyond design 3.2.1.2.1's five, and every command."""

    HEARTBEAT = _station("Heartbeat", "heartbeat", "OCPP 1.6 Heartbeat.req of a charge point.")
    AUTHORIZE = _station(
        "Authorize", "authorize", "OCPP 1.6 Authorize.req: an idTag presented at a station."
    )
    DATA_TRANSFER = _station(
        "DataTransfer", "datatransfer", "OCPP 1.6 DataTransfer.req sent by a charge point."
    )
    DIAGNOSTICS_STATUS = _station(
        "DiagnosticsStatusNotification",
        "diagnosticsstatusnotification",
        "OCPP 1.6 DiagnosticsStatusNotification.req: progress of a diagnostics upload.",
    )
    FIRMWARE_STATUS = _station(
        "FirmwareStatusNotification",
        "firmwarestatusnotification",
        "OCPP 1.6 FirmwareStatusNotification.req: progress of a firmware update.",
    )

    RESERVE_NOW = _command("ReserveNow", "Reserve a connector for an idTag (design 3.2.1.2.2).")
    CANCEL_RESERVATION = _command("CancelReservation", "Cancel a reservation (design 3.2.1.2.2).")
    SET_CHARGING_PROFILE = _command(
        "SetChargingProfile",
        "Set a charging profile (design 3.2.1.2.2). Negative limits are the design's V2G "
        "extension: discharge at that rate. A station without SmartCharging, or one that "
        "rejects the profile, gets the wrapper's fallback (a max-current configuration key) "
        "and the result is a CALLERROR saying the profile was not applied.",
    )
    CLEAR_CHARGING_PROFILE = _command("ClearChargingProfile", "Clear charging profiles.")
    GET_COMPOSITE_SCHEDULE = _command(
        "GetCompositeSchedule", "Ask a station for its composite charging schedule."
    )
    CHANGE_AVAILABILITY = _command(
        "ChangeAvailability", "Make a connector or station operative/inoperative (EVP_044)."
    )
    CHANGE_CONFIGURATION = _command("ChangeConfiguration", "Change a configuration key.")
    GET_CONFIGURATION = _command("GetConfiguration", "Read configuration keys.")
    REMOTE_START = _command("RemoteStartTransaction", "Start a transaction remotely.")
    REMOTE_STOP = _command("RemoteStopTransaction", "Stop a transaction remotely.")
    RESET = _command("Reset", "Reset a station (Soft or Hard).")
    UNLOCK_CONNECTOR = _command("UnlockConnector", "Unlock a connector.")
    TRIGGER_MESSAGE = _command("TriggerMessage", "Ask a station to send a message now.")
    SEND_DATA_TRANSFER = _command(
        "DataTransfer",
        "DataTransfer.req sent to a station (its level differs from the station-initiated "
        "`datatransfer` so that the two directions never share a topic).",
        level="senddatatransfer",
    )


STATION_TOPICS: tuple[OcppTopic, ...] = tuple(
    t
    for t in vars(OcppIop).values()
    if isinstance(t, OcppTopic) and t.direction is Direction.STATION
)
COMMAND_TOPICS: tuple[OcppTopic, ...] = tuple(
    t
    for t in vars(OcppIop).values()
    if isinstance(t, OcppTopic) and t.direction is Direction.COMMAND
)
COMMAND_BY_LEVEL: dict[str, OcppTopic] = {t.level: t for t in COMMAND_TOPICS}

_COMMAND_KEY = re.compile(r"MQTT\.EVSE\.(?P<evse>[^.]+)\.(?P<level>[^.]+)(?:\.(?P<rid>[^.]+))?")


@dataclass(frozen=True)
class CommandAddress:
    """Where a command was published: station, action, optional caller request id."""

    evse_id: str
    topic: OcppTopic
    request_id: str | None


def parse_command_key(routing_key: str) -> CommandAddress | None:
    """``MQTT.EVSE.CP%2E1.reservenow.r-1`` → (``CP.1``, ReserveNow, ``r-1``); None if no
    command topic matches."""
    m = _COMMAND_KEY.fullmatch(routing_key)
    if m is None:
        return None
    topic = COMMAND_BY_LEVEL.get(m.group("level"))
    if topic is None:
        return None
    rid = m.group("rid")
    return CommandAddress(unquote(m.group("evse")), topic, unquote(rid) if rid else None)


EVSE_WRAPPER_COMMANDS = QueueSpec(
    "wiseevp.evse_wrapper.commands",
    tuple(Binding(Exchange.MQTT, key) for t in COMMAND_TOPICS for key in t.binding_keys),
    "Commands for charge points (reservenow, setchargingprofile, ...), sent by the EVSE "
    "wrapper; each gets one result on MQTT/EVSE/<id>/result/<topic>/<request id>. Single "
    "active consumer: with several wrapper instances, commands are still stored (and sent) in "
    "the order they were published.",
    single_active_consumer=True,
)

_RESULT_KEY = re.compile(
    rf"MQTT\.EVSE\.(?P<evse>[^.]+)\.{RESULT_LEVEL}\.(?P<level>[^.]+)\.(?P<rid>[^.]+)"
)


def parse_result_key(routing_key: str) -> CommandAddress | None:
    """``MQTT.EVSE.CP%2E1.result.setchargingprofile.r-1`` → (``CP.1``, SetChargingProfile,
    ``r-1``); None if it is not the result of a command."""
    m = _RESULT_KEY.fullmatch(routing_key)
    if m is None:
        return None
    topic = COMMAND_BY_LEVEL.get(m.group("level"))
    if topic is None:
        return None
    return CommandAddress(unquote(m.group("evse")), topic, unquote(m.group("rid")))


OSCP_FP_PROFILE_RESULTS = QueueSpec(
    "wiseevp.oscp_fp.profile-results",
    (
        Binding(
            Exchange.MQTT,
            f"MQTT.EVSE.*.{RESULT_LEVEL}.{OcppIop.SET_CHARGING_PROFILE.level}.*",
        ),
    ),
    "Results of SetChargingProfile commands, read by the OSCP gateway to know whether every "
    "EVSE of a group applied the cap it was sent (else: GroupCapacityComplianceError).",
)


@cache
def ocpp16_schema(name: str) -> dict[str, Any]:
    """An official OCPP 1.6 JSON schema shipped with the ``ocpp`` package
    (``BootNotification``, ``BootNotificationResponse``, ...)."""
    text = resources.files("ocpp.v16").joinpath("schemas", f"{name}.json").read_text("utf-8-sig")
    schema: dict[str, Any] = json.loads(text)
    return schema
