from __future__ import annotations

import pytest

from wiseevp_common.topology import (
    ALL_IOP_TOPICS,
    IopTopic,
    Queue,
    decode_level,
    encode_level,
    match_topic,
    mqtt_to_routing_key,
)


@pytest.mark.parametrize(
    "raw", ["CP.01", "a/b", "x+y#z", "100%", "ZOE 22", "métro", "PARTAGO-00001", "a.b.c"]
)
def test_encoded_level_round_trips_and_cannot_split_topics(raw: str) -> None:
    encoded = encode_level(raw)
    assert decode_level(encoded) == raw
    for forbidden in "./+#* ":
        assert forbidden not in encoded


def test_plain_ev_ids_are_unchanged() -> None:
    assert encode_level("PARTAGO-00001") == "PARTAGO-00001"
    with pytest.raises(ValueError):
        encode_level("")


def test_topic_forms() -> None:
    t = IopTopic.EV_STATUS
    assert t.topic(ev_id="PARTAGO-00001") == "MQTT/EV/PARTAGO-00001/status"
    assert t.routing_key(ev_id="PARTAGO-00001") == "MQTT.EV.PARTAGO-00001.status"
    assert t.mqtt_filter == "MQTT/EV/+/status"
    assert t.binding_key == "MQTT.EV.*.status"
    assert t.parameters == ("ev_id",)


def test_dotted_id_survives_the_mqtt_to_amqp_mapping() -> None:
    topic = IopTopic.EV_STATUS.topic(ev_id="ORG.X-1")
    routing_key = mqtt_to_routing_key(topic)
    assert routing_key.count(".") == 3  # MQTT . EV . <id> . status
    found = match_topic(routing_key)
    assert found is not None
    assert found[0] is IopTopic.EV_STATUS
    assert found[1] == {"ev_id": "ORG.X-1"}


def test_match_topic_tells_topics_apart_and_rejects_unknown() -> None:
    assert match_topic("MQTT.EV.A-1.characteristics")[0] is IopTopic.EV_CHARACTERISTICS  # type: ignore[index]
    assert match_topic("MQTT/EV/A-1/public")[0] is IopTopic.EV_PUBLIC  # type: ignore[index]
    assert match_topic("MQTT.EV.A-1.unknown") is None
    assert match_topic("MQTT.EV.A-1.status.extra") is None


def test_every_topic_is_unique_and_qos1() -> None:
    templates = [t.template for t in ALL_IOP_TOPICS]
    assert len(templates) == len(set(templates))
    assert all(t.qos == 1 for t in ALL_IOP_TOPICS)


def test_service_queues_dead_letter_and_bind_to_mqtt_exchange() -> None:
    for spec in (Queue.RT_MONITOR_EV, Queue.RT_MONITOR_EVSE):
        assert spec.dead_letter
        assert spec.bindings[0].exchange.value == "amq.topic"
    assert not Queue.DEAD_LETTER.dead_letter
