"""OCPP 1.6 requests → RT monitor rows: registry, connector status, meter values, transactions."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from rt_monitor.evse_rows import (
    BOOT_COLUMNS,
    CONNECTOR_STATUS_COLUMNS,
    SAMPLE_COLUMNS,
    BootRow,
    ConnectorStatusRow,
    EvseRow,
    StartRow,
    TxHint,
    TxKey,
    UnstorableMessage,
    boot_row,
    connector_status_row,
    decimal_value,
    latest_boot_per_evse,
    latest_per_connector,
    meter_values_row,
    seen_rows,
    start_row,
    stop_row,
    without_repeats,
)
from tests.unit.rt_monitor.evse_times import RECEIVED, T0, iso, ts
from wiseevp_common.messages.ocpp16 import (
    BootNotificationRequest,
    MeterValuesRequest,
    StartTransactionRequest,
    StatusNotificationRequest,
    StopTransactionRequest,
    ValueFormat,
)

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
