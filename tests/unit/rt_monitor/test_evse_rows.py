"""OCPP 1.6 requests → RT monitor rows; transaction matching; EVSE topics; paging; handler."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, Counter

from rt_monitor.evse_api import cut_page
from rt_monitor.evse_ingest import EvseIngest
from rt_monitor.evse_rows import (
    BOOT_COLUMNS,
    CONNECTOR_STATUS_COLUMNS,
    SAMPLE_COLUMNS,
    BootRow,
    ConnectorStatusRow,
    EvseRow,
    MeterValuesRow,
    OpenTx,
    PendingStop,
    StartRow,
    StopRow,
    TxHint,
    TxKey,
    UnstorableMessage,
    boot_row,
    connector_status_row,
    decimal_value,
    latest_boot_per_evse,
    latest_per_connector,
    meter_values_row,
    plan_links,
    seen_rows,
    start_row,
    stop_row,
    without_repeats,
)
from wiseevp_common.bus import Delivery, InvalidMessage
from wiseevp_common.bus.iop import parse_iop
from wiseevp_common.clock import ManualClock
from wiseevp_common.messages.ocpp16 import (
    BootNotificationRequest,
    MeterValuesRequest,
    StartTransactionRequest,
    StatusNotificationRequest,
    StopTransactionRequest,
    ValueFormat,
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

T0 = datetime(2026, 5, 1, 10, tzinfo=UTC)
RECEIVED = T0 + timedelta(hours=1)


def ts(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iso(minutes: float) -> str:
    return ts(minutes).isoformat().replace("+00:00", "Z")


# -- topics ----------------------------------------------------------------------------------


def test_evse_topics_follow_the_design() -> None:
    names = ["bootnotification", "metervalues", "status", "starttransaction", "stoptransaction"]
    assert [t.template for t in EVSE_TOPICS] == [f"MQTT/EVSE/{{evse_id}}/{n}" for n in names]
    assert all(t.qos == 1 and not t.retained and t.payload_id_field is None for t in EVSE_TOPICS)
    assert ALL_IOP_TOPICS == EV_TOPICS + EVSE_TOPICS
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
    assert Queue.RT_MONITOR_EVSE.bindings[0].routing_key == "MQTT.EVSE.#"


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


# -- registry and status -----------------------------------------------------------------------


def test_boot_row_columns() -> None:
    boot = BootNotificationRequest.model_validate_json(
        b'{"chargePointVendor": "Emotion", "chargePointModel": "EVO",'
        b' "firmwareVersion": "1.2", "meterSerialNumber": "M1"}'
    )
    row = boot_row("CP.1", boot, RECEIVED)
    assert dict(zip(BOOT_COLUMNS, row.values, strict=True)) == {
        "evse_id": "CP.1",
        "charge_point_vendor": "Emotion",
        "charge_point_model": "EVO",
        "charge_point_serial_number": None,
        "charge_box_serial_number": None,
        "firmware_version": "1.2",
        "iccid": None,
        "imsi": None,
        "meter_type": None,
        "meter_serial_number": "M1",
        "last_boot_at": RECEIVED,
        "first_seen": RECEIVED,
        "last_seen": RECEIVED,
    }


def status(connector: int, body: dict[str, object]) -> StatusNotificationRequest:
    return StatusNotificationRequest.model_validate_json(
        json.dumps({"connectorId": connector, "errorCode": "NoError", **body})
    )


def test_status_row_uses_the_reported_time_or_the_receipt_time() -> None:
    reported = connector_status_row(
        "CP.1", status(2, {"status": "Faulted", "timestamp": iso(0), "info": "x"}), RECEIVED
    )
    assert dict(zip(CONNECTOR_STATUS_COLUMNS, reported.values, strict=True)) == {
        "evse_id": "CP.1",
        "connector_id": 2,
        "ts": T0,
        "timestamp_reported": True,
        "status": "Faulted",
        "error_code": "NoError",
        "info": "x",
        "vendor_id": None,
        "vendor_error_code": None,
        "received_at": RECEIVED,
    }
    assumed = connector_status_row("CP.1", status(0, {"status": "Available"}), RECEIVED)
    assert (assumed.ts, assumed.timestamp_reported) == (RECEIVED, False)


def test_latest_per_connector_keeps_the_newest_of_each_connector() -> None:
    rows = [
        connector_status_row("A", status(1, {"status": s, "timestamp": iso(m)}), RECEIVED)
        for s, m in [("Charging", 5), ("Preparing", 1), ("Finishing", 9)]
    ]
    rows.append(connector_status_row("A", status(2, {"status": "Available"}), RECEIVED))
    rows.append(
        connector_status_row("B", status(1, {"status": "Faulted", "timestamp": iso(0)}), RECEIVED)
    )
    latest = {(r.evse_id, r.connector_id): r.status for r in latest_per_connector(rows)}
    assert latest == {("A", 1): "Finishing", ("A", 2): "Available", ("B", 1): "Faulted"}


def test_seen_rows_and_latest_boot() -> None:
    boot = BootNotificationRequest(charge_point_vendor="V", charge_point_model="M")
    newer = BootNotificationRequest(charge_point_vendor="V", charge_point_model="M2")
    rows: list[EvseRow] = [
        boot_row("B", newer, RECEIVED + timedelta(seconds=3)),
        boot_row("B", boot, RECEIVED),
        connector_status_row(
            "A", status(1, {"status": "Available"}), RECEIVED + timedelta(seconds=1)
        ),
        connector_status_row("A", status(1, {"status": "Available"}), RECEIVED),
    ]
    assert seen_rows(rows) == [
        ("A", RECEIVED, RECEIVED + timedelta(seconds=1)),
        ("B", RECEIVED, RECEIVED + timedelta(seconds=3)),
    ]
    boots = [r for r in rows if isinstance(r, BootRow)]
    assert [r.fields[1] for r in latest_boot_per_evse(boots)] == ["M2"]


# -- meter values ------------------------------------------------------------------------------


def test_meter_values_give_one_row_per_sample_with_ocpp_defaults() -> None:
    request = MeterValuesRequest.model_validate_json(
        json.dumps(
            {
                "connectorId": 2,
                "transactionId": 17,
                "meterValue": [
                    {
                        "timestamp": iso(1),
                        "sampledValue": [
                            {"value": "1500"},
                            {
                                "value": "7.20",
                                "measurand": "Power.Active.Import",
                                "unit": "kW",
                                "phase": "L2",
                                "location": "Inlet",
                                "context": "Sample.Clock",
                            },
                            {"value": "31", "measurand": "Temperature"},
                        ],
                    },
                    {
                        "timestamp": iso(0),
                        "sampledValue": [{"value": "AbCd==", "format": "SignedData"}],
                    },
                ],
            }
        )
    )
    row = meter_values_row("CP.1", request, RECEIVED)
    assert row.hint == TxHint("CP.1", 2, 17, ts(0))  # the earliest sample
    got = [dict(zip(SAMPLE_COLUMNS, s.values, strict=True)) for s in row.samples]
    common = {"evse_id": "CP.1", "connector_id": 2, "transaction_id": 17, "received_at": RECEIVED}
    assert got == [
        {
            **common,
            "ts": ts(1),
            "measurand": "Energy.Active.Import.Register",
            "phase": None,
            "location": "Outlet",
            "context": "Sample.Periodic",
            "format": "Raw",
            "unit": "Wh",  # the default unit of an energy measurand
            "value": "1500",
            "value_num": 1500.0,
        },
        {
            **common,
            "ts": ts(1),
            "measurand": "Power.Active.Import",
            "phase": "L2",
            "location": "Inlet",
            "context": "Sample.Clock",
            "format": "Raw",
            "unit": "kW",
            "value": "7.20",
            "value_num": 7.2,
        },
        {
            **common,
            "ts": ts(1),
            "measurand": "Temperature",
            "phase": None,
            "location": "Outlet",
            "context": "Sample.Periodic",
            "format": "Raw",
            "unit": None,  # no default unit for other measurands
            "value": "31",
            "value_num": 31.0,
        },
        {
            **common,
            "ts": ts(0),
            "measurand": "Energy.Active.Import.Register",
            "phase": None,
            "location": "Outlet",
            "context": "Sample.Periodic",
            "format": "SignedData",
            "unit": "Wh",
            "value": "AbCd==",
            "value_num": None,
        },
    ]


def test_meter_values_without_transaction_or_on_connector_0_give_no_hint() -> None:
    body = {"meterValue": [{"timestamp": iso(0), "sampledValue": [{"value": "1"}]}]}
    no_tx = MeterValuesRequest.model_validate_json(json.dumps({"connectorId": 1, **body}))
    main = MeterValuesRequest.model_validate_json(
        json.dumps({"connectorId": 0, "transactionId": 3, **body})
    )
    assert meter_values_row("A", no_tx, RECEIVED).hint is None
    assert meter_values_row("A", main, RECEIVED).hint is None


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12.0), ("-0.5", -0.5), ("+3.", 3.0), (".25", 0.25), ("1e3", 1000.0), (" 7 ", 7.0)],
)
def test_decimal_values(text: str, number: float) -> None:
    assert decimal_value(text, ValueFormat.RAW) == number


@pytest.mark.parametrize("text", ["", "nan", "inf", "1e999", "0x10", "1,5", "12kWh", "١٢"])
def test_non_decimal_values_have_no_number(text: str) -> None:
    assert decimal_value(text, ValueFormat.RAW) is None
    assert decimal_value("12", ValueFormat.SIGNED_DATA) is None


# -- transactions ------------------------------------------------------------------------------


def test_start_and_stop_rows() -> None:
    start = StartTransactionRequest.model_validate_json(
        json.dumps(
            {
                "connectorId": 1,
                "idTag": "TAG",
                "meterStart": 3_000_000_000,
                "reservationId": 4,
                "timestamp": "2026-05-01T12:00:00+02:00",
            }
        )
    )
    row = start_row("CP.1", start, RECEIVED)
    assert row == StartRow(TxKey("CP.1", T0, 1, "TAG"), 3_000_000_000, 4, RECEIVED)
    stop = StopTransactionRequest.model_validate_json(
        json.dumps(
            {
                "meterStop": 3_000_010_000,
                "timestamp": iso(60),
                "transactionId": 9,
                "transactionData": [
                    {
                        "timestamp": iso(60),
                        "sampledValue": [{"value": "3000010000", "context": "Transaction.End"}],
                    }
                ],
            }
        )
    )
    stopped = stop_row("CP.1", stop, RECEIVED)
    assert (stopped.transaction_id, stopped.ts, stopped.meter_stop_wh) == (9, ts(60), 3_000_010_000)
    assert stopped.reason == "Local"  # OCPP: reason may be omitted only when it is Local
    assert stopped.id_tag is None
    (sample,) = stopped.samples
    assert (sample.connector_id, sample.transaction_id, sample.context) == (
        None,
        9,
        "Transaction.End",
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: connector_status_row("A", status(-1, {"status": "Available"}), RECEIVED),
            "connectorId",
        ),
        (
            lambda: connector_status_row("A", status(2**31, {"status": "Available"}), RECEIVED),
            "connectorId",
        ),
        (
            lambda: connector_status_row(
                "A", status(1, {"status": "Available", "info": "a\x00"}), RECEIVED
            ),
            "NUL",
        ),
        (
            lambda: connector_status_row("A\x00", status(1, {"status": "Available"}), RECEIVED),
            "NUL",
        ),
        (
            lambda: start_row(
                "A",
                StartTransactionRequest.model_validate_json(
                    json.dumps(
                        {"connectorId": 0, "idTag": "T", "meterStart": 0, "timestamp": iso(0)}
                    )
                ),
                RECEIVED,
            ),
            "connectorId",
        ),
        (
            lambda: stop_row(
                "A",
                StopTransactionRequest.model_validate_json(
                    json.dumps({"meterStop": 2**63, "timestamp": iso(0), "transactionId": 1})
                ),
                RECEIVED,
            ),
            "meterStop",
        ),
        (
            lambda: meter_values_row(
                "A",
                MeterValuesRequest.model_validate_json(
                    json.dumps(
                        {
                            "connectorId": 1,
                            "transactionId": 2**31,
                            "meterValue": [{"timestamp": iso(0), "sampledValue": [{"value": "1"}]}],
                        }
                    )
                ),
                RECEIVED,
            ),
            "transactionId",
        ),
    ],
)
def test_schema_valid_but_unstorable_messages_are_refused(make: object, message: str) -> None:
    with pytest.raises(UnstorableMessage, match=message):
        make()  # type: ignore[operator]


A1 = TxKey("A", ts(0), 1, "TAG1")
A2 = TxKey("A", ts(5), 2, "TAG2")


def test_a_meter_value_links_the_latest_open_start_of_its_connector() -> None:
    plan = plan_links(
        [OpenTx(A1, None), OpenTx(A2, None)],
        [(TxHint("A", 1, 101, ts(10)), A1), (TxHint("A", 2, 102, ts(10)), A2)],
        [],
    )
    assert plan.links == {A1: 101, A2: 102}
    assert plan.closes == {}


def test_a_hint_does_not_relink_or_steal_an_id() -> None:
    # A1 already has its id; A2's hint carries the id A1 holds (a stale or bogus sample)
    plan = plan_links(
        [OpenTx(A1, 101), OpenTx(A2, None)],
        [(TxHint("A", 1, 999, ts(10)), A1), (TxHint("A", 2, 101, ts(10)), A2)],
        [],
    )
    assert plan.links == {}
    # the latest start on the connector is closed (not open): nothing to link
    assert plan_links([OpenTx(A1, None)], [(TxHint("A", 2, 5, ts(10)), A2)], []).links == {}
    assert plan_links([OpenTx(A1, None)], [(TxHint("A", 1, 5, ts(10)), None)], []).links == {}


def test_a_stop_closes_the_transaction_holding_its_id() -> None:
    stop = PendingStop("A", 101, ts(30), None)
    plan = plan_links([OpenTx(A1, 101), OpenTx(A2, None)], [], [stop])
    assert plan.closes == {A1: stop}
    assert plan.links == {}


def test_a_stop_in_the_same_batch_as_the_hint_closes_the_linked_transaction() -> None:
    stop = PendingStop("A", 102, ts(30), None)
    plan = plan_links(
        [OpenTx(A1, None), OpenTx(A2, None)], [(TxHint("A", 2, 102, ts(10)), A2)], [stop]
    )
    assert plan.links == {A2: 102}
    assert plan.closes == {A2: stop}


def test_a_stop_with_an_unknown_id_takes_the_only_unlinked_start_before_it() -> None:
    stop = PendingStop("A", 7, ts(30), "OTHER")  # the stop's idTag may differ from the start's
    plan = plan_links([OpenTx(A1, None)], [], [stop])
    assert plan.links == {A1: 7}
    assert plan.closes == {A1: stop}
    # a start after the stop is not a candidate
    assert plan_links([OpenTx(A2, None)], [], [PendingStop("A", 7, ts(1), None)]).closes == {}
    # an open transaction of another evse is not a candidate
    assert plan_links([OpenTx(A1, None)], [], [PendingStop("B", 7, ts(30), None)]).closes == {}


def test_among_several_unlinked_starts_the_id_tag_decides_or_the_stop_waits() -> None:
    by_tag = PendingStop("A", 7, ts(30), "TAG2")
    assert plan_links([OpenTx(A1, None), OpenTx(A2, None)], [], [by_tag]).closes == {A2: by_tag}
    ambiguous = PendingStop("A", 7, ts(30), None)
    plan = plan_links([OpenTx(A1, None), OpenTx(A2, None)], [], [ambiguous])
    assert plan.closes == {}
    assert plan.links == {}


def test_a_stop_whose_id_belongs_to_a_later_transaction_is_left_alone() -> None:
    stop = PendingStop("A", 102, ts(1), None)  # before A2 (ts 5) started, which holds 102
    assert plan_links([OpenTx(A1, None), OpenTx(A2, 102)], [], [stop]).closes == {}


def test_two_stops_close_two_transactions_in_time_order() -> None:
    first = PendingStop("A", 7, ts(3), None)  # only A1 had started: A1
    second = PendingStop("A", 8, ts(30), None)  # then only A2 is left
    plan = plan_links([OpenTx(A1, None), OpenTx(A2, None)], [], [second, first])
    assert plan.closes == {A1: first, A2: second}
    assert plan.links == {A1: 7, A2: 8}


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


def test_a_repeated_status_without_timestamp_is_dropped_from_the_batch() -> None:
    def no_ts(connector: int, value: str, seconds: int) -> ConnectorStatusRow:
        return connector_status_row(
            "A", status(connector, {"status": value}), RECEIVED + timedelta(seconds=seconds)
        )

    timed = connector_status_row(
        "A", status(1, {"status": "Charging", "timestamp": iso(0)}), RECEIVED
    )
    rows = [
        no_ts(1, "Charging", 0),
        no_ts(1, "Charging", 1),  # a redelivery of the first: dropped
        no_ts(2, "Charging", 1),  # another connector
        no_ts(1, "Finishing", 2),
        no_ts(1, "Charging", 3),  # Charging again after Finishing: a real change
        timed,
        timed,  # reported timestamps: the table's key deduplicates them
    ]
    kept = without_repeats(rows)
    assert [(r.connector_id, r.status, r.received_at - RECEIVED) for r in kept] == [
        (1, "Charging", timedelta(0)),
        (1, "Charging", timedelta(0)),
        (1, "Charging", timedelta(0)),
        (2, "Charging", timedelta(seconds=1)),
        (1, "Finishing", timedelta(seconds=2)),
        (1, "Charging", timedelta(seconds=3)),
    ]
    assert kept.count(timed) == 2
