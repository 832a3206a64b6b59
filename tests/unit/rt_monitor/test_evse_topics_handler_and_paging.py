"""The IOP EVSE topics, the EVSE handler (request → row, or dead letter) and API paging."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from prometheus_client import CollectorRegistry, Counter

from rt_monitor.evse_api import cut_page
from rt_monitor.evse_ingest import EvseIngest
from rt_monitor.evse_rows import (
    BootRow,
    ConnectorStatusRow,
    EvseRow,
    MeterValuesRow,
    StartRow,
    StopRow,
)
from tests.unit.rt_monitor.evse_times import RECEIVED, iso, ts
from wiseevp_common.bus import Delivery, InvalidMessage
from wiseevp_common.bus.iop import parse_iop
from wiseevp_common.clock import ManualClock
from wiseevp_common.messages.ocpp16 import (
    BootNotificationRequest,
    MeterValuesRequest,
    StartTransactionRequest,
    StatusNotificationRequest,
    StopTransactionRequest,
)
from wiseevp_common.topology import (
    ALL_IOP_TOPICS,
    EV_TOPICS,
    EVSE_TOPICS,
    DeadLetterReason,
    IopTopic,
    Queue,
    match_topic,
    mqtt_to_routing_key,
)

# -- topics ----------------------------------------------------------------------------------


def test_evse_topics_follow_the_design() -> None:
    names = ["bootnotification", "metervalues", "status", "starttransaction", "stoptransaction"]
    assert [t.template for t in EVSE_TOPICS] == [f"MQTT/EVSE/{{evse_id}}/{n}" for n in names]
    assert all(t.qos == 1 and not t.retained and t.payload_id_field is None for t in EVSE_TOPICS)
    assert (
        *EV_TOPICS,
        *EVSE_TOPICS,
        IopTopic.EVSE_CONNECTION,
        IopTopic.GRID_CAPACITY,
    ) == ALL_IOP_TOPICS
    assert [t.model for t in EVSE_TOPICS] == [
        BootNotificationRequest,
        MeterValuesRequest,
        StatusNotificationRequest,
        StartTransactionRequest,
        StopTransactionRequest,
    ]


def test_dotted_charge_point_ids_survive_the_mqtt_to_amqp_mapping() -> None:
    topic = IopTopic.EVSE_METERVALUES.topic(evse_id="ACME.CP.01")
    routing_key = mqtt_to_routing_key(topic)
    assert routing_key.count(".") == 3  # MQTT . EVSE . <id> . metervalues
    found = match_topic(routing_key)
    assert found is not None
    assert found[0] is IopTopic.EVSE_METERVALUES
    assert found[1] == {"evse_id": "ACME.CP.01"}
    # an EV topic and an EVSE topic never match each other, nor the other's queue binding
    assert match_topic("MQTT.EV.A-1.status")[0] is IopTopic.EV_STATUS  # type: ignore[index]
    assert match_topic("MQTT.EVSE.A-1.status")[0] is IopTopic.EVSE_STATUS  # type: ignore[index]
    # the RT monitor binds the station topics only: never the commands or their results
    keys = [b.routing_key for b in Queue.RT_MONITOR_EVSE.bindings]
    assert keys == [t.binding_key for t in EVSE_TOPICS]
    assert not any(k.endswith(".reservenow") or ".result." in k or k.endswith("#") for k in keys)


def delivery(routing_key: str, body: bytes) -> Delivery:
    return Delivery(body, "amq.topic", routing_key, {}, None, None, None, 1)


def test_edge_validation_needs_no_id_in_ocpp_payloads() -> None:
    body = b'{"connectorId": 1, "errorCode": "NoError", "status": "Available"}'
    message = parse_iop(
        delivery(IopTopic.EVSE_STATUS.routing_key(evse_id="CP.7"), body), EVSE_TOPICS
    )
    assert message.params == {"evse_id": "CP.7"}
    assert isinstance(message.payload, StatusNotificationRequest)
    with pytest.raises(InvalidMessage) as err:
        parse_iop(
            delivery(IopTopic.EVSE_STATUS.routing_key(evse_id="CP.7"), b'{"connectorId": 1}'),
            EVSE_TOPICS,
        )
    assert err.value.reason is DeadLetterReason.INVALID_PAYLOAD


# -- paging --------------------------------------------------------------------------------------


def test_a_page_never_ends_inside_a_timestamp() -> None:
    t10, t9, t8, t7 = ts(10), ts(9), ts(8), ts(7)
    rows = [t10, t9, t9, t9, t8, t7]  # timestamps, newest first (limit + 1 fetched)

    def same(t: datetime) -> datetime:
        return t

    assert cut_page(rows[:3], 5, same) == [t10, t9, t9]  # everything fits
    assert cut_page(rows[:5], 4, same) == [t10, t9, t9, t9]  # row 5 is another timestamp
    assert cut_page(rows[:4], 3, same) == [t10]  # the t9 rows would be split
    assert cut_page([t9, t9, t9], 2, same) == []  # one timestamp is larger than a page


# -- the handler ----------------------------------------------------------------------------------


class Collect:
    def __init__(self) -> None:
        self.items: list[EvseRow] = []

    async def submit(self, item: EvseRow) -> None:
        self.items.append(item)


def ingest() -> tuple[EvseIngest, Collect]:
    sink = Collect()
    counter = Counter("received", "test", ["topic"], registry=CollectorRegistry())
    return EvseIngest(sink, ManualClock(RECEIVED), counter), sink


@pytest.mark.parametrize(
    ("topic", "body", "kind"),
    [
        (
            IopTopic.EVSE_BOOTNOTIFICATION,
            {"chargePointVendor": "V", "chargePointModel": "M"},
            BootRow,
        ),
        (
            IopTopic.EVSE_STATUS,
            {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
            ConnectorStatusRow,
        ),
        (
            IopTopic.EVSE_METERVALUES,
            {
                "connectorId": 1,
                "meterValue": [{"timestamp": iso(0), "sampledValue": [{"value": "1"}]}],
            },
            MeterValuesRow,
        ),
        (
            IopTopic.EVSE_STARTTRANSACTION,
            {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": iso(0)},
            StartRow,
        ),
        (
            IopTopic.EVSE_STOPTRANSACTION,
            {"meterStop": 5, "timestamp": iso(1), "transactionId": 3},
            StopRow,
        ),
    ],
)
async def test_each_topic_becomes_its_row_kind(
    topic: object, body: dict[str, object], kind: type
) -> None:
    handler, sink = ingest()
    routing_key = topic.routing_key(evse_id="ACME.CP.1")  # type: ignore[attr-defined]
    await handler.handle(parse_iop(delivery(routing_key, json.dumps(body).encode()), EVSE_TOPICS))
    (row,) = sink.items
    assert isinstance(row, kind)
    assert row.evse_id == "ACME.CP.1"
    assert row.received_at == RECEIVED


async def test_an_unstorable_message_is_dead_lettered_as_invalid() -> None:
    handler, sink = ingest()
    body = b'{"connectorId": -1, "errorCode": "NoError", "status": "Available"}'
    message = parse_iop(delivery(IopTopic.EVSE_STATUS.routing_key(evse_id="A"), body), EVSE_TOPICS)
    with pytest.raises(InvalidMessage) as err:
        await handler.handle(message)
    assert err.value.reason is DeadLetterReason.INVALID_PAYLOAD
    assert "connectorId" in err.value.detail
    assert sink.items == []
