"""Which wiseevp queues receive an IOP topic: AMQP topic-binding matching over the topology."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import topology
from ..ocpp_topology import EVSE_WRAPPER_COMMANDS, OSCP_FP_PROFILE_RESULTS
from ..topology import Exchange, MqttTopic, QueueSpec, mqtt_to_routing_key


def topology_queues() -> tuple[QueueSpec, ...]:
    """Every queue of :class:`~wiseevp_common.topology.Queue`, in declaration order, then the
    EVSE wrapper's command queue and the OSCP gateway's queue of command results."""
    queues = tuple(v for v in vars(topology.Queue).values() if isinstance(v, QueueSpec))
    return (*queues, EVSE_WRAPPER_COMMANDS, OSCP_FP_PROFILE_RESULTS)


def routing_key_template(topic: MqttTopic[Any]) -> str:
    """``MQTT/EV/{ev_id}/status`` → ``MQTT.EV.{ev_id}.status``."""
    return mqtt_to_routing_key(topic.template)


def binding_matches(pattern: str, routing_key: str) -> bool:
    """Whether AMQP topic binding ``pattern`` (``*``, ``#``) matches every instance of
    ``routing_key``, whose ``*`` words stand for any (percent-encoded) identifier."""
    return _match_words(pattern.split("."), routing_key.split("."))


def _match_words(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match_words(rest, words[i:]) for i in range(len(words) + 1))
    if not words:
        return False
    if head == "*" or head == words[0]:
        return _match_words(rest, words[1:])
    return False


def queues_of(topic: MqttTopic[Any], queues: Iterable[QueueSpec]) -> list[str]:
    """Names of the queues that receive every message of ``topic`` (bound to ``amq.topic``)."""
    return [
        queue.name
        for queue in queues
        if any(
            b.exchange is Exchange.MQTT and binding_matches(b.routing_key, topic.binding_key)
            for b in queue.bindings
        )
    ]
