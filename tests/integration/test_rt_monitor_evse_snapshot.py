"""``POST /api/v1/evses/snapshot`` of the RT monitor against the real PostgreSQL, over real
HTTP: rows written by the monitor's own store, the route served by its own app."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest
from prometheus_client import CollectorRegistry

from oscp_fp.snapshots import EvseSnapshot, RtMonitorSnapshots
from rt_monitor.evse_api import EvseApi
from rt_monitor.evse_rows import (
    EvseRow,
    boot_row,
    connector_status_row,
    meter_values_row,
    start_row,
)
from rt_monitor.evse_snapshot import _LATEST_SAMPLES, LOCATIONS, MEASURANDS
from rt_monitor.schema import SCHEMA
from rt_monitor.service import MIGRATIONS
from rt_monitor.store import Store, as_connection
from tests.support.env import POSTGRES_URL
from wiseevp_common.http import HttpServer, build_app
from wiseevp_common.messages.ocpp16 import (
    BootNotificationRequest,
    MeterValuesRequest,
    StartTransactionRequest,
    StatusNotificationRequest,
)
from wiseevp_common.storage.component import PostgresPool
from wiseevp_common.storage.migrations import migrate_database

pytestmark = [pytest.mark.integration]

T0 = datetime(2026, 5, 1, 10, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iso(minutes: float) -> str:
    return at(minutes).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Monitor:
    """The monitor's store and snapshot route on a fresh database."""

    def __init__(self, db: PostgresPool, url: str) -> None:
        self.db = db
        self.url = url

    async def write(self, *rows: EvseRow) -> None:
        for row in rows:  # one batch per message, as the ingest path may do
            await Store(self.db).write([row])

    async def post(self, body: bytes | dict[str, Any] | None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.url}/api/v1/evses/snapshot", data=data) as resp,
        ):
            return resp.status, await resp.json()

    async def snapshot(self, *evse_ids: str) -> list[dict[str, Any]]:
        status, body = await self.post({"evse_ids": list(evse_ids)})
        assert status == 200, body
        return list(body["evses"])


@pytest.fixture
async def monitor(fresh_db: asyncpg.Connection) -> AsyncIterator[Monitor]:
    await migrate_database(POSTGRES_URL, SCHEMA, MIGRATIONS)
    db = PostgresPool(POSTGRES_URL)
    await db.start()
    app = build_app(CollectorRegistry(), {}, EvseApi(db, 100).routes())
    server = HttpServer(app, "127.0.0.1", 0)
    await server.start()
    try:
        yield Monitor(db, f"http://127.0.0.1:{server.port}")
    finally:
        await server.stop()
        await db.stop()


def boot(evse_id: str) -> EvseRow:
    request = BootNotificationRequest.model_validate(
        {"chargePointVendor": "Emotion", "chargePointModel": "Spotlink EVO"}
    )
    return boot_row(evse_id, request, at(-60))


def status(evse_id: str, connector: int, value: str, minutes: float = -30) -> EvseRow:
    request = StatusNotificationRequest.model_validate(
        {
            "connectorId": connector,
            "errorCode": "NoError",
            "status": value,
            "timestamp": iso(minutes),
        }
    )
    return connector_status_row(evse_id, request, at(minutes))


def start(evse_id: str, connector: int, meter_start: int, minutes: float) -> EvseRow:
    request = StartTransactionRequest.model_validate(
        {
            "connectorId": connector,
            "idTag": "04A1B2C3",
            "meterStart": meter_start,
            "timestamp": iso(minutes),
        }
    )
    return start_row(evse_id, request, at(minutes))


def meter(
    evse_id: str,
    connector: int,
    minutes: float,
    *samples: dict[str, str],
    transaction_id: int | None = None,
) -> EvseRow:
    payload: dict[str, Any] = {
        "connectorId": connector,
        "meterValue": [{"timestamp": iso(minutes), "sampledValue": list(samples)}],
    }
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    return meter_values_row(evse_id, MeterValuesRequest.model_validate(payload), at(minutes))


def energy(value: str, **fields: str) -> dict[str, str]:
    return {"value": value, "measurand": "Energy.Active.Import.Register", **fields}


def power(value: str, **fields: str) -> dict[str, str]:
    return {"value": value, "measurand": "Power.Active.Import", **fields}


async def test_per_connector_registers_are_summed_and_idle_power_counts_zero(
    monitor: Monitor,
) -> None:
    cp = "SNAP.CP.01"  # dots, as OCPP ids may have
    await monitor.write(
        boot(cp),
        status(cp, 0, "Available"),
        status(cp, 1, "Available", -40),
        status(cp, 2, "Available"),
        # connector 2: a session last month — a stale register, still valid; its last power
        # reading belongs to a finished session and must not count
        meter(cp, 2, -60 * 24 * 3, energy("500"), power("3000")),
        start(cp, 1, 1000, 0),
        status(cp, 1, "Charging", 0),
        meter(cp, 1, 1, energy("1200"), power("7000"), transaction_id=42),
        meter(cp, 1, 2, energy("1.4", unit="kWh"), power("7.2", unit="kW"), transaction_id=42),
    )
    [item] = await monitor.snapshot(cp)
    assert item == {
        "evse_id": cp,
        "known": True,
        "energy_import_wh": 1900.0,
        "energy_export_wh": None,
        "energy_measured_at": iso(2),
        "power_w": 7200.0,
        "power_measured_at": iso(2),
        "charging": True,
        "transactions": [
            {
                "transaction_id": 42,
                "connector_id": 1,
                "started_at": iso(0),
                "meter_start_wh": 1000,
                "meter_wh": 1400.0,
                "meter_measured_at": iso(2),
            }
        ],
    }


async def test_connector_zero_is_the_charge_point_meter(monitor: Monitor) -> None:
    cp = "SNAP.CP.02"
    await monitor.write(
        status(cp, 1, "SuspendedEV"),
        meter(cp, 1, 5, energy("3000"), power("0")),
        meter(
            cp,
            0,
            4,
            energy("100000"),
            {"value": "50", "measurand": "Energy.Active.Export.Register"},
            power("11000", context="Sample.Clock"),
        ),
    )
    [item] = await monitor.snapshot(cp)
    assert item["known"] is True  # known from any message, no boot needed
    assert item["energy_import_wh"] == 100000.0
    assert item["energy_export_wh"] == 50.0
    assert item["energy_measured_at"] == iso(4)
    assert item["power_w"] == 11000.0
    assert item["charging"] is True  # SuspendedEV: a car is plugged in and may draw again
    assert item["transactions"] == []


async def test_phases_locations_and_unusable_samples(monitor: Monitor) -> None:
    cp = "SNAP.CP.03"
    await monitor.write(
        status(cp, 1, "Charging"),
        meter(
            cp,
            1,
            1,
            energy("100", phase="L1"),
            energy("200", phase="L2"),
            energy("0.3", phase="L3", unit="kWh"),
            energy("999", phase="N"),  # not a line: ignored
            energy("5000", location="Inlet"),  # Outlet is preferred
            power("1000", phase="L1-N"),
            power("1100", phase="L2-N"),
            power("1200", phase="L3-N"),
        ),
        # a later signed reading has no number: the last numeric one stands
        meter(cp, 1, 2, energy("c2lnbmVk", format="SignedData"), power("abc", format="SignedData")),
        # an EV-side reading is not the charge point's meter
        meter(cp, 1, 3, energy("77777", location="EV")),
    )
    [item] = await monitor.snapshot(cp)
    assert item["energy_import_wh"] == 600.0
    assert item["energy_measured_at"] == iso(1)
    assert item["power_w"] == 3300.0
    assert item["charging"] is True


async def test_unknown_repeated_and_silent_ids_in_request_order(monitor: Monitor) -> None:
    await monitor.write(boot("SNAP.BOOTED"))
    items = await monitor.snapshot("NOBODY", "SNAP.BOOTED", "NOBODY")
    assert [(i["evse_id"], i["known"]) for i in items] == [
        ("NOBODY", False),
        ("SNAP.BOOTED", True),
        ("NOBODY", False),
    ]
    for item in items:
        assert item["energy_import_wh"] is None
        assert item["energy_measured_at"] is None
        assert item["power_w"] is None
        assert item["power_measured_at"] is None
        assert item["charging"] is False
        assert item["transactions"] == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "Invalid JSON"),
        (b"{not json", "Invalid JSON"),
        ({}, "evse_ids: Field required"),
        ({"evse_ids": []}, "evse_ids: List should have at least 1 item"),
        ({"evse_ids": ["A"] * 5001}, "evse_ids: List should have at most 5000 items"),
        ({"evse_ids": [1]}, "evse_ids.0: Input should be a valid string"),
        ({"evse_ids": [""]}, "evse_ids.0: String should have at least 1 character"),
        ({"evse_ids": "A"}, "evse_ids: Input should be a valid array"),
        ({"evse_ids": ["A"], "more": 1}, "more: Extra inputs are not permitted"),
    ],
)
async def test_bad_requests_are_400_with_a_message(
    monitor: Monitor, body: Any, message: str
) -> None:
    status_code, answer = await monitor.post(body)
    assert status_code == 400
    assert message in answer["message"]


async def test_a_thousand_charge_points_in_one_request(monitor: Monitor) -> None:
    """1,000 charge points, 2 connectors each, three months of 15-minute samples (monthly
    partitions): the snapshot stays an index probe per connector, not a scan."""
    evses = [f"PERF.{n:04d}" for n in range(1000)]
    now = datetime(2026, 5, 20, tzinfo=UTC)
    async with monitor.db.pool.acquire() as conn:
        await Store(monitor.db).evse.meter_partitions.ensure(
            as_connection(conn),
            [now - timedelta(days=d) for d in range(0, 80, 10)],
        )
        await conn.execute(
            f"INSERT INTO {SCHEMA}.evse (evse_id, first_seen, last_seen) "
            "SELECT e, $2, $2 FROM unnest($1::text[]) AS e",
            evses,
            now,
        )
        await conn.execute(
            f"INSERT INTO {SCHEMA}.evse_connector (evse_id, connector_id, ts, "
            "timestamp_reported, status, error_code, received_at) "
            "SELECT e, c, $2, true, CASE WHEN c = 1 THEN 'Charging' ELSE 'Available' END, "
            "'NoError', $2 FROM unnest($1::text[]) AS e, generate_series(1, 2) AS c",
            evses,
            now,
        )
        # connector 1: every 15 minutes for 3 days, daily before; connector 2: hourly for 5
        # days, 60 days ago — its latest sample sits behind thousands of connector 1's
        await conn.execute(
            f"""INSERT INTO {SCHEMA}.evse_meter_value (evse_id, connector_id, ts, measurand,
                location, context, format, unit, value, value_num, received_at)
            SELECT e, c, t, m::{SCHEMA}.ocpp_measurand, 'Outlet', 'Sample.Periodic', 'Raw',
                   CASE WHEN m LIKE 'Energy%' THEN 'Wh' ELSE 'W' END::{SCHEMA}.ocpp_unit,
                   '1', 1, t
            FROM unnest($1::text[]) AS e, generate_series(1, 2) AS c,
                 unnest($3::text[]) AS m,
                 generate_series($2::timestamptz - interval '75 days', $2, interval '15 min') AS t
            WHERE (c = 1 AND t > $2 - interval '3 days')
               OR (c = 1 AND extract(hour FROM t) = 0 AND extract(minute FROM t) = 0)
               OR (c = 2 AND t BETWEEN $2 - interval '65 days' AND $2 - interval '60 days'
                   AND extract(minute FROM t) = 0)""",
            evses,
            now,
            ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import"],
        )
        await conn.execute(f"ANALYZE {SCHEMA}.evse_meter_value")
        plan = await conn.fetchval(
            "EXPLAIN (FORMAT JSON) " + _LATEST_SAMPLES,
            evses,
            [1] * 1000,
            list(MEASURANDS),
            list(LOCATIONS),
        )
    assert "_evse_id_connector_id_measurand_ts_idx" in plan  # the partitions of 0003
    assert "Seq Scan" not in plan
    await monitor.snapshot(*evses)  # warm up
    started = time.perf_counter()
    items = await monitor.snapshot(*evses)
    elapsed = time.perf_counter() - started
    print(f"\nsnapshot of 1,000 charge points: {elapsed * 1000:.1f} ms")  # noqa: T201
    assert [i["evse_id"] for i in items] == evses
    assert all(i["energy_import_wh"] == 2.0 and i["power_w"] == 1.0 for i in items)
    assert elapsed < 2.0  # generous: tens of ms expected, seconds would mean a scan


async def test_the_gateway_client_reads_the_route(monitor: Monitor) -> None:
    """The OSCP gateway's client and models against the real route: the contract holds."""
    cp = "SNAP.CP.GW"
    await monitor.write(
        status(cp, 1, "Charging", 0),
        start(cp, 1, 1000, 0),
        meter(cp, 1, 1, energy("1.25", unit="kWh"), power("7000"), transaction_id=7),
    )
    async with aiohttp.ClientSession() as session:
        snapshots = await RtMonitorSnapshots(monitor.url, session).fetch([cp, "NOBODY"])
    gateway_view, nobody = snapshots
    assert nobody == EvseSnapshot(evse_id="NOBODY", known=False)
    assert gateway_view.energy_import_wh == 1250.0
    assert gateway_view.power_w == 7000.0
    [tx] = gateway_view.transactions
    assert (tx.transaction_id, tx.meter_start_wh, tx.meter_wh) == (7, 1000, 1250.0)
    assert tx.meter_measured_at == at(1)
