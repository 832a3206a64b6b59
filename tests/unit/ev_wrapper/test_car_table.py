"""The Ghent car table contract: a row → characteristics and status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ev_wrapper.sources.car_table import (
    ALL_CARS,
    COLUMNS,
    CarRowError,
    car_from_row,
    notified_car,
    quote_table,
    select_all_sql,
    select_one_sql,
    status_value,
)
from wiseevp_common.messages.iop import (
    Connector,
    ConnectorType,
    EvCharacteristics,
    EvStatus,
    EvStatusValue,
)

REPORTED = datetime(2026, 5, 1, 7, 45, 12, tzinfo=UTC)
ROW: dict[str, Any] = {
    "car_id": "00007",
    "name": "Renault ZOE Q90 41 kWh",
    "connector_type": "mennekes",
    "connector_power_kw": Decimal("43.000"),
    "capacity_kwh": 41.0,
    "reported_at": REPORTED,
    "plugged": True,
    "charging": True,
    "soc_pct": 64.5,
    "range_km": 180.0,
    "longitude": 3.7174,
    "latitude": 51.0543,
    "odometer_km": 23456.7,
}
SQL_FILE = Path(__file__).parents[3] / "deploy" / "sites" / "ghent" / "car_table.sql"


def test_row_maps_to_characteristics_and_status() -> None:
    snapshot = car_from_row(ROW, "PARTAGO")
    assert snapshot.ev_id == "PARTAGO-00007"
    assert snapshot.characteristics == EvCharacteristics(
        id="PARTAGO-00007",
        name="Renault ZOE Q90 41 kWh",
        connector=Connector(type=ConnectorType.MENNEKES, power=Decimal(43)),
        capacity=41,
    )
    assert snapshot.status == EvStatus(
        id="PARTAGO-00007",
        timestamp=REPORTED,
        status=EvStatusValue.CHARGING,
        soc=64.5,
        autonomy=180,
        coordinates=(3.7174, 51.0543),
        travelled_distance=23456.7,
    )


def test_a_car_that_never_reported_has_no_status() -> None:
    snapshot = car_from_row(ROW | {"reported_at": None, "soc_pct": None}, "PARTAGO")
    assert snapshot.status is None
    assert snapshot.characteristics.id == "PARTAGO-00007"


def test_unknown_values_are_left_out_of_the_status() -> None:
    row = ROW | {"soc_pct": None, "range_km": None, "longitude": None, "latitude": None}
    status = car_from_row(row | {"odometer_km": None}, "PARTAGO").status
    assert status is not None
    assert status.to_json() == (
        b'{"id":"PARTAGO-00007","timestamp":"2026-05-01T07:45:12.000Z","status":"charging"}'
    )


def test_timestamps_are_kept_as_instants() -> None:
    cest = timezone(timedelta(hours=2))
    status = car_from_row(ROW | {"reported_at": REPORTED.astimezone(cest)}, "P").status
    assert status is not None and status.timestamp == REPORTED
    # a ``timestamp`` (without time zone) column is read as UTC
    naive = car_from_row(ROW | {"reported_at": REPORTED.replace(tzinfo=None)}, "P").status
    assert naive is not None and naive.timestamp == REPORTED


@pytest.mark.parametrize(
    ("plugged", "charging", "expected"),
    [
        (True, True, EvStatusValue.CHARGING),
        (None, True, EvStatusValue.CHARGING),  # energy flows: it is plugged, whatever it says
        (True, False, EvStatusValue.CONNECTED),
        (True, None, EvStatusValue.CONNECTED),
        (False, False, EvStatusValue.DISCONNECTED),
        (None, None, EvStatusValue.DISCONNECTED),
    ],
)
def test_status_value_from_plug_and_charge(
    plugged: bool | None, charging: bool | None, expected: EvStatusValue
) -> None:
    assert status_value(plugged, charging) is expected
    status = car_from_row(ROW | {"plugged": plugged, "charging": charging}, "P").status
    assert status is not None and status.status is expected


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"car_id": "7 7"}, "car_id"),
        ({"car_id": None}, "car_id"),
        ({"connector_type": "schuko"}, "connector_type"),
        ({"connector_power_kw": Decimal(0)}, "connector_power_kw"),
        ({"capacity_kwh": -1.0}, "capacity_kwh"),
        ({"name": ""}, "name"),
        ({"soc_pct": 101.0}, "soc_pct"),
        ({"range_km": -3.0}, "range_km"),
        ({"odometer_km": float("nan")}, "odometer_km"),
        ({"latitude": 95.0}, "longitude/latitude"),
        ({"latitude": None}, "both set or both NULL"),
        ({"reported_at": "yesterday"}, "reported_at"),
    ],
)
def test_rows_breaking_the_contract_are_refused_naming_the_column(
    changes: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(CarRowError) as info:
        car_from_row(ROW | changes, "PARTAGO")
    assert fragment in str(info.value)


def test_notification_payloads() -> None:
    assert notified_car("00007") == "00007"
    assert notified_car(ALL_CARS) == ALL_CARS
    for bad in ("", "7 7", "x" * 65, "a'; DROP TABLE x; --"):
        assert notified_car(bad) is None


def test_table_names_are_quoted_and_checked() -> None:
    assert quote_table("fleet.cars") == '"fleet"."cars"'
    assert quote_table("cars") == '"cars"'
    for bad in ('fleet"; DROP TABLE x; --', "a.b.c", "Fleet.Cars", ""):
        with pytest.raises(ValueError, match="invalid table name"):
            quote_table(bad)
    assert select_one_sql("fleet.cars").endswith('FROM "fleet"."cars" WHERE car_id = $1')
    assert select_all_sql("fleet.cars").startswith("SELECT car_id, name, connector_type")


def test_the_shipped_sql_defines_every_contract_column_and_the_trigger() -> None:
    sql = SQL_FILE.read_text()
    for column in COLUMNS:
        assert f"\n    {column} " in sql, column
    assert "pg_notify(channel, OLD.car_id)" in sql and "pg_notify(channel, NEW.car_id)" in sql
    assert "notify_car_change('car_status')" in sql  # the default WISEEVP_SOURCE_POSTGRES_CHANNEL
