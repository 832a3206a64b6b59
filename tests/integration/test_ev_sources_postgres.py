"""The EV wrapper's PostgreSQL source (Ghent) against a real database: LISTEN/NOTIFY on the
car table, reconnects, and a real ``ev_wrapper`` process publishing to MQTT."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from prometheus_client import CollectorRegistry

from ev_wrapper.sources.postgres_cars import APPLICATION_NAME, PostgresCarSource
from tests.support.ev_source_harness import T0, mqtt_statuses, next_status, running, until
from tests.support.processes import ServiceProcess
from tests.support.recording_sink import RecordingSink
from wiseevp_common.messages.iop import EvStatusValue
from wiseevp_common.storage.postgres import database_name, with_database

pytestmark = [pytest.mark.integration]

CAR_TABLE_SQL = Path(__file__).parents[2] / "deploy" / "sites" / "ghent" / "car_table.sql"
INSERT_CAR = """
INSERT INTO fleet.cars (car_id, name, connector_type, connector_power_kw, capacity_kwh,
                        reported_at, plugged, charging, soc_pct, range_km, longitude, latitude,
                        odometer_km)
VALUES ($1, $2, 'mennekes', 22, 41, $3, $4, $5, $6, 180, 3.7174, 51.0543, 23456.7)
"""


async def create_car_table(conn: asyncpg.Connection) -> None:
    await conn.execute(CAR_TABLE_SQL.read_text())


def pg_source(url: str, org: str, **options: Any) -> PostgresCarSource:
    return PostgresCarSource(
        url,
        table="fleet.cars",
        channel="car_status",
        organisation=org,
        reconnect_max_s=options.pop("reconnect_max_s", 1.0),
        probe_s=options.pop("probe_s", 30.0),
        registry=CollectorRegistry(),
    )


async def test_postgres_reads_every_car_then_follows_notifications(
    fresh_db: asyncpg.Connection, test_database: str, org: str
) -> None:
    await create_car_table(fresh_db)
    await fresh_db.execute(INSERT_CAR, "00001", "ZOE one", T0, True, True, 40.0)
    await fresh_db.execute(INSERT_CAR, "00002", "ZOE two", None, None, None, None)
    source, sink = pg_source(test_database, org), RecordingSink()
    one, two, three = (f"{org}-0000{n}" for n in (1, 2, 3))
    async with running(source, sink):
        await until(lambda: source.full_reads, lambda n: n == 1, "first full read")
        assert await source.healthy()
        assert [c.id for c in sink.seen_characteristics] == [one, two]
        assert [(s.id, s.status, s.soc) for s in sink.seen_statuses] == [
            (one, EvStatusValue.CHARGING, 40.0)
        ]  # car two never reported: no status

        # a new car
        await fresh_db.execute(INSERT_CAR, "00003", "Nissan e-NV200", T0, False, False, 90.0)
        await until(lambda: sink.statuses_of(three), lambda s: len(s) == 1, "new car's status")
        assert sink.characteristics_of(three)[0].name == "Nissan e-NV200"
        assert sink.statuses_of(three)[0].status is EvStatusValue.DISCONNECTED

        # a status update
        later = T0 + timedelta(minutes=3)
        await fresh_db.execute(
            "UPDATE fleet.cars SET reported_at = $2, charging = false, soc_pct = 80 "
            "WHERE car_id = $1",
            "00001",
            later,
        )
        await until(lambda: sink.statuses_of(one), lambda s: len(s) == 2, "updated status")
        update = sink.statuses_of(one)[-1]
        assert (update.timestamp, update.status, update.soc) == (
            later,
            EvStatusValue.CONNECTED,
            80,
        )

        # a rename changes the characteristics, not the status
        await fresh_db.execute("UPDATE fleet.cars SET name = 'ZOE uno' WHERE car_id = '00001'")
        await until(lambda: sink.characteristics_of(one), lambda c: len(c) == 2, "renamed car")
        assert sink.characteristics_of(one)[-1].name == "ZOE uno"
        assert len(sink.statuses_of(one)) == 2

        # a notification that names no car is ignored, and the source keeps going
        await fresh_db.execute("SELECT pg_notify('car_status', 'not a car id!')")
        await until(lambda: source.metrics.value("malformed"), lambda n: n == 1, "bad payload")

        # a deleted car is lost
        await fresh_db.execute("DELETE FROM fleet.cars WHERE car_id = '00003'")
        await until(lambda: sink.seen_lost, lambda lost: lost == [three], "deleted car lost")

        # a truncated table: every car is lost
        await fresh_db.execute("TRUNCATE fleet.cars")
        await until(lambda: sorted(sink.seen_lost), lambda lost: lost == [one, two, three], "all")
        assert source.connections == 1


async def test_postgres_reconnects_after_its_backend_is_killed_and_rereads_everything(
    fresh_db: asyncpg.Connection, test_database: str, org: str
) -> None:
    await create_car_table(fresh_db)
    await fresh_db.execute(INSERT_CAR, "00001", "ZOE one", T0, True, True, 40.0)
    await fresh_db.execute(INSERT_CAR, "00002", "ZOE two", T0, False, False, 70.0)
    source, sink = pg_source(test_database, org), RecordingSink()
    one, two = f"{org}-00001", f"{org}-00002"
    async with running(source, sink):
        await until(lambda: source.full_reads, lambda n: n == 1, "first full read")
        first_pid = source.backend_pid
        assert first_pid is not None
        # changes nobody is notified of (triggers off for this session): only a re-read sees them
        async with fresh_db.transaction():
            await fresh_db.execute("SET LOCAL session_replication_role = replica")
            await fresh_db.execute(
                "UPDATE fleet.cars SET reported_at = $1, soc_pct = 42 WHERE car_id = '00001'",
                T0 + timedelta(minutes=10),
            )
            await fresh_db.execute("DELETE FROM fleet.cars WHERE car_id = '00002'")
        await asyncio.sleep(0.3)  # real time for a notification that must not come
        assert len(sink.statuses_of(one)) == 1 and sink.seen_lost == []

        killed = await fresh_db.fetchval("SELECT pg_terminate_backend($1)", first_pid)
        assert killed is True
        await until(lambda: sink.statuses_of(one), lambda s: len(s) == 2, "re-read status")
        assert sink.statuses_of(one)[-1].soc == 42
        assert sink.seen_lost == [two]
        assert source.connections == 2 and source.backend_pid not in (None, first_pid)
        assert source.metrics.value("connection_lost") == 1

        # and it listens again
        await fresh_db.execute("UPDATE fleet.cars SET soc_pct = 43 WHERE car_id = '00001'")
        await until(lambda: sink.statuses_of(one), lambda s: len(s) == 3, "notified again")


async def test_postgres_source_waits_for_its_database_with_backoff(
    test_database: str, org: str
) -> None:
    """A database that does not exist yet: the source retries until it does, then reads it."""
    name = f"{database_name(test_database)}_ghent_{uuid.uuid4().hex[:8]}"
    url = with_database(test_database, name)
    admin = await asyncpg.connect(test_database)
    source, sink = pg_source(url, org, reconnect_max_s=0.5), RecordingSink()
    try:
        async with running(source, sink):
            await until(lambda: source.metrics.value("connect_failed"), lambda n: n >= 2, "retries")
            assert not await source.healthy()
            await admin.execute(f'CREATE DATABASE "{name}"')
            conn = await asyncpg.connect(url)
            try:
                await create_car_table(conn)
                await conn.execute(INSERT_CAR, "00009", "late ZOE", T0, True, False, 99.0)
            finally:
                await conn.close()
            await until(lambda: sink.statuses_of(f"{org}-00009"), bool, "status", timeout=15)
            assert sink.statuses_of(f"{org}-00009")[0].status is EvStatusValue.CONNECTED
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_postgres_wrapper_process_publishes_car_statuses_to_mqtt(
    fresh_db: asyncpg.Connection, test_database: str, org: str
) -> None:
    await create_car_table(fresh_db)
    await fresh_db.execute(INSERT_CAR, "00001", "ZOE one", T0, True, True, 40.0)
    ev_id = f"{org}-00001"
    wrapper = ServiceProcess(
        "ev_wrapper",
        WISEEVP_SOURCE="postgres",
        WISEEVP_ORGANISATION=org,
        WISEEVP_SOURCE_POSTGRES_URL=test_database,
        WISEEVP_STALE_AFTER_S="86400",  # statuses are dated when the car reported them
    )
    async with mqtt_statuses(ev_id) as statuses:
        await wrapper.started()
        try:
            first = await next_status(statuses, lambda s: s["status"] != "nocomm", "at start")
            assert first == {
                "id": ev_id,
                "timestamp": "2026-05-01T08:00:00.000Z",
                "status": "charging",
                "soc": 40.0,
                "autonomy": 180.0,
                "coordinates": [3.7174, 51.0543],
                "travelledDistance": 23456.7,
            }
            await fresh_db.execute(
                "UPDATE fleet.cars SET reported_at = $1, charging = false, soc_pct = 81 "
                "WHERE car_id = '00001'",
                T0 + timedelta(minutes=5),
            )
            update = await next_status(statuses, lambda s: s["soc"] == 81, "after the update")
            assert update["status"] == "connected"

            # kill the wrapper's database connection; a change made meanwhile still arrives
            async with fresh_db.transaction():
                await fresh_db.execute("SET LOCAL session_replication_role = replica")
                await fresh_db.execute(
                    "UPDATE fleet.cars SET reported_at = $1, soc_pct = 82 WHERE car_id = '00001'",
                    T0 + timedelta(minutes=6),
                )
            killed = await fresh_db.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = $1 AND datname = current_database()",
                APPLICATION_NAME,
            )
            assert killed == 1
            reread = await next_status(statuses, lambda s: s["soc"] == 82, "after reconnecting")
            assert reread["timestamp"] == "2026-05-01T08:06:00.000Z"
        finally:
            assert await wrapper.stop() == 0, wrapper.logs()
