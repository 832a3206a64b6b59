"""Every exchange, queue, routing key, MQTT topic and RPC endpoint of wiseevp, in one place.

Handlers never spell a topic or queue name: they use these constants. The AsyncAPI document
(``docs/asyncapi.yaml``) is generated from this module.

MQTT topics map onto the ``amq.topic`` exchange: RabbitMQ's MQTT plugin turns ``/`` into ``.``
(``MQTT/EV/x/status`` ⇄ routing key ``MQTT.EV.x.status``) and does not escape dots inside a
level, so identifiers are percent-encoded (:func:`encode_level`) before they enter a topic.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar
from urllib.parse import quote, unquote

from pydantic import BaseModel

from .messages.evse import EvseConnection
from .messages.grid import GroupCapacity
from .messages.iop import EvCharacteristics, EvPublicStatus, EvStatus
from .messages.ocpp16 import (
    BootNotificationRequest,
    MeterValuesRequest,
    StartTransactionRequest,
    StatusNotificationRequest,
    StopTransactionRequest,
)

M = TypeVar("M", bound=BaseModel)
Req = TypeVar("Req", bound=BaseModel)
Resp = TypeVar("Resp", bound=BaseModel)


class Exchange(StrEnum):
    MQTT = "amq.topic"
    """Where RabbitMQ's MQTT plugin publishes (and reads) MQTT messages."""
    DEAD_LETTER = "wiseevp.dead-letter"
    """Topic exchange for malformed or repeatedly failing messages (routing key: source queue)."""


_SAFE = string.ascii_letters + string.digits + "_-~"


def encode_level(value: str) -> str:
    """Percent-encode an identifier for use as one MQTT topic level / routing-key word.

    Everything but ``[A-Za-z0-9_~-]`` is encoded, so ``CP.01/a`` becomes ``CP%2E01%2Fa``:
    dots cannot split an AMQP word, slashes cannot split an MQTT level, wildcards cannot leak.
    """
    if not value:
        raise ValueError("identifier must not be empty")
    # quote() never encodes "." (an unreserved URL character), so it is done here
    return quote(value, safe=_SAFE).replace(".", "%2E")


def decode_level(value: str) -> str:
    return unquote(value)


def mqtt_to_routing_key(topic: str) -> str:
    """The routing key RabbitMQ's MQTT plugin gives an MQTT topic."""
    return topic.replace("/", ".")


def routing_key_to_mqtt(routing_key: str) -> str:
    return routing_key.replace(".", "/")


@dataclass(frozen=True)
class MqttTopic(Generic[M]):
    """An IOP topic template such as ``MQTT/EV/{ev_id}/status`` and the payload it carries."""

    template: str
    model: type[M]
    qos: int
    retained: bool
    description: str
    payload_id_field: str | None = None
    """Payload field that must equal the topic's first parameter (checked at the edge)."""
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = []
        for level in self.template.split("/"):
            m = re.fullmatch(r"\{(\w+)\}", level)
            parts.append(f"(?P<{m.group(1)}>[^./]+)" if m else re.escape(level))
        object.__setattr__(self, "_regex", re.compile(r"[./]".join(parts)))

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(re.findall(r"\{(\w+)\}", self.template))

    def topic(self, **params: str) -> str:
        """The concrete MQTT topic, parameters percent-encoded."""
        return self.template.format(**{k: encode_level(v) for k, v in params.items()})

    def routing_key(self, **params: str) -> str:
        return mqtt_to_routing_key(self.topic(**params))

    @property
    def mqtt_filter(self) -> str:
        """MQTT subscription filter for every instance, e.g. ``MQTT/EV/+/status``."""
        return re.sub(r"\{\w+\}", "+", self.template)

    @property
    def binding_key(self) -> str:
        """AMQP binding key for every instance, e.g. ``MQTT.EV.*.status``."""
        return mqtt_to_routing_key(re.sub(r"\{\w+\}", "*", self.template))

    def match(self, topic_or_routing_key: str) -> dict[str, str] | None:
        """Decoded parameters if the topic (MQTT or AMQP form) is an instance of this one."""
        m = self._regex.fullmatch(topic_or_routing_key)
        if m is None:
            return None
        return {k: decode_level(v) for k, v in m.groupdict().items()}


class IopTopic:
    """IOP topics (design 3.2.1.2 and 3.2.2.1)."""

    EV_CHARACTERISTICS = MqttTopic(
        "MQTT/EV/{ev_id}/characteristics",
        EvCharacteristics,
        qos=1,
        retained=True,
        payload_id_field="id",
        description="EV characteristics, published by the EV wrapper on connect "
        "(auto-registration).",
    )
    EV_STATUS = MqttTopic(
        "MQTT/EV/{ev_id}/status",
        EvStatus,
        qos=1,
        retained=True,
        payload_id_field="id",
        description="EV status, published periodically; the wrapper's MQTT last will sets nocomm.",
    )
    EV_PUBLIC = MqttTopic(
        "MQTT/EV/{ev_id}/public",
        EvPublicStatus,
        qos=1,
        retained=True,
        payload_id_field="id",
        description="EV status without privacy-sensitive fields (EVP_037), for other grid tools.",
    )

    # EVSE topics (design 3.2.1.2.1): OCPP 1.6 JSON requests republished by the EVSE wrapper.
    # The evse_id is the OCPP charge point identity; the payloads do not carry it.
    EVSE_BOOTNOTIFICATION = MqttTopic(
        "MQTT/EVSE/{evse_id}/bootnotification",
        BootNotificationRequest,
        qos=1,
        retained=False,
        description="OCPP 1.6 BootNotification.req of a charge point (auto-registration).",
    )
    EVSE_METERVALUES = MqttTopic(
        "MQTT/EVSE/{evse_id}/metervalues",
        MeterValuesRequest,
        qos=1,
        retained=False,
        description="OCPP 1.6 MeterValues.req: sampled energy meter and sensor values.",
    )
    EVSE_STATUS = MqttTopic(
        "MQTT/EVSE/{evse_id}/status",
        StatusNotificationRequest,
        qos=1,
        retained=False,
        description="OCPP 1.6 StatusNotification.req: status change or error of a connector.",
    )
    EVSE_STARTTRANSACTION = MqttTopic(
        "MQTT/EVSE/{evse_id}/starttransaction",
        StartTransactionRequest,
        qos=1,
        retained=False,
        description="OCPP 1.6 StartTransaction.req: a charging session has started.",
    )
    EVSE_STOPTRANSACTION = MqttTopic(
        "MQTT/EVSE/{evse_id}/stoptransaction",
        StopTransactionRequest,
        qos=1,
        retained=False,
        description="OCPP 1.6 StopTransaction.req: a charging session has stopped.",
    )
    EVSE_CONNECTION = MqttTopic(
        "MQTT/EVSE/{evse_id}/connection",
        EvseConnection,
        qos=1,
        retained=False,
        description="Communication status of a charge point (online/offline), published by the "
        "EVSE wrapper on every change (the current status of every station is also stored by "
        "the wrapper: `python -m evse_wrapper stations`).",
    )

    GRID_CAPACITY = MqttTopic(
        "MQTT/GRID/{group_id}/capacity",
        GroupCapacity,
        qos=1,
        retained=True,
        payload_id_field="group_id",
        description="Grid limits of a group (regulation area) in force now and ahead, published "
        "by the OSCP gateway on every change: the grid operator's capacities, or their fallback "
        "while it is offline, and the Optimum. The scheduler uses them as P*.",
    )


EV_TOPICS: tuple[MqttTopic[Any], ...] = (
    IopTopic.EV_CHARACTERISTICS,
    IopTopic.EV_STATUS,
    IopTopic.EV_PUBLIC,
)
EVSE_TOPICS: tuple[MqttTopic[Any], ...] = (
    IopTopic.EVSE_BOOTNOTIFICATION,
    IopTopic.EVSE_METERVALUES,
    IopTopic.EVSE_STATUS,
    IopTopic.EVSE_STARTTRANSACTION,
    IopTopic.EVSE_STOPTRANSACTION,
)
ALL_IOP_TOPICS: tuple[MqttTopic[Any], ...] = (
    *EV_TOPICS,
    *EVSE_TOPICS,
    IopTopic.EVSE_CONNECTION,
    IopTopic.GRID_CAPACITY,
)

EV_BINDING = "MQTT.EV.#"
EVSE_BINDING = "MQTT.EVSE.#"


def match_topic(
    topic_or_routing_key: str, topics: tuple[MqttTopic[Any], ...] = ALL_IOP_TOPICS
) -> tuple[MqttTopic[Any], dict[str, str]] | None:
    """Find which IOP topic a concrete topic/routing key is, with its decoded parameters."""
    for candidate in topics:
        params = candidate.match(topic_or_routing_key)
        if params is not None:
            return candidate, params
    return None


@dataclass(frozen=True)
class Binding:
    exchange: Exchange
    routing_key: str


@dataclass(frozen=True)
class QueueSpec:
    """A durable quorum queue with its bindings; failures go to :attr:`Exchange.DEAD_LETTER`."""

    name: str
    bindings: tuple[Binding, ...]
    description: str
    dead_letter: bool = True
    single_active_consumer: bool = False
    """Only one consumer (of any instance) gets messages at a time, in queue order; another
    takes over when it goes away (for queues whose order matters across replicas)."""


class Queue:
    RT_MONITOR_EV = QueueSpec(
        "wiseevp.rt_monitor.ev",
        (Binding(Exchange.MQTT, EV_BINDING),),
        "EV topics stored by the RT monitor.",
    )
    RT_MONITOR_EVSE = QueueSpec(
        "wiseevp.rt_monitor.evse",
        tuple(Binding(Exchange.MQTT, t.binding_key) for t in EVSE_TOPICS),
        "EVSE topics stored by the RT monitor (not the commands and results that share the "
        "MQTT/EVSE/ prefix).",
    )
    DEAD_LETTER = QueueSpec(
        "wiseevp.dead-letter",
        (Binding(Exchange.DEAD_LETTER, "#"),),
        "Every dead-lettered message, with its reason in headers (x-wiseevp-*).",
        dead_letter=False,
    )


@dataclass(frozen=True)
class RpcEndpoint(Generic[Req, Resp]):
    """An RPC served on ``queue`` (design 3.1.5.2): ``reply_to`` + ``correlation_id``."""

    queue: str
    request: type[Req]
    response: type[Resp]
    description: str


class DeadLetterHeader(StrEnum):
    """Headers a dead-lettered message carries."""

    REASON = "x-wiseevp-reason"
    ERROR = "x-wiseevp-error"
    SERVICE = "x-wiseevp-service"
    QUEUE = "x-wiseevp-queue"
    EXCHANGE = "x-wiseevp-original-exchange"
    ROUTING_KEY = "x-wiseevp-original-routing-key"
    ATTEMPTS = "x-wiseevp-attempts"
    FAILED_AT = "x-wiseevp-failed-at"


class DeadLetterReason(StrEnum):
    INVALID_PAYLOAD = "invalid-payload"
    UNKNOWN_TOPIC = "unknown-topic"
    PROCESSING_FAILED = "processing-failed"


class RpcHeader(StrEnum):
    STATUS = "x-wiseevp-rpc-status"
    """``ok`` or ``error``; an error reply's body is a
    :class:`~wiseevp_common.bus.rpc.RpcErrorBody`."""
