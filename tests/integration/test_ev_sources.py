"""The EV wrapper's real-world sources against real parts: the OBD TCP server with simulated
devices (Terni), PostgreSQL LISTEN/NOTIFY on the car table (Ghent), the HTTP ingestion routes
(Crevillent); and for each, a real ``ev_wrapper`` process publishing to MQTT."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import aiomqtt
import asyncpg
import pytest
import yaml
from prometheus_client import CollectorRegistry

from ev_wrapper.obd_device_sim import SimulatedObdDevice
from ev_wrapper.sources.base import EvSource
from ev_wrapper.sources.http_ingest import HttpIngestSource
from ev_wrapper.sources.obd import ObdSource
from ev_wrapper.sources.obd_inventory import parse_inventory
from ev_wrapper.sources.obd_protocol import Position, Reading
from ev_wrapper.sources.postgres_cars import APPLICATION_NAME, PostgresCarSource
from tests.support.env import (
    MQTT_HOST,
    MQTT_PASSWORD,
    MQTT_PORT,
    MQTT_USERNAME,
    free_port,
)
from tests.support.processes import ServiceProcess
from tests.support.recording_sink import RecordingSink
from tests.support.waiting import wait_for_value
from wiseevp_common.clock import ManualClock
from wiseevp_common.http import HttpServer, build_app
from wiseevp_common.messages.iop import EvStatusValue
from wiseevp_common.storage.postgres import database_name
from wiseevp_common.topology import IopTopic

pytestmark = [pytest.mark.integration]

T = TypeVar("T")
T0 = datetime(2026, 5, 1, 8, tzinfo=UTC)
CAR_TABLE_SQL = Path(__file__).parents[2] / "deploy" / "sites" / "ghent" / "car_table.sql"


# -- helpers ----------------------------------------------------------------------------------
async def until(
    probe: Callable[[], T], done: Callable[[T], bool], what: str, timeout: float = 10
) -> T:
    """Wait for an outcome of real I/O (sockets, database) to show in ``probe()``."""

    async def value() -> T:
        return probe()

    return await wait_for_value(value, done, timeout=timeout, interval=0.02, what=what)


@contextlib.asynccontextmanager
async def running(source: EvSource, sink: RecordingSink) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(source.run(sink), name=f"source-{source.name}")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def device_session(device: SimulatedObdDevice) -> AsyncIterator[asyncio.Task[str]]:
    task = asyncio.create_task(device.session(), name=f"device-{device.device_id}")
    try:
        yield task
    finally:
        device.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await task


@contextlib.asynccontextmanager
async def mqtt_statuses(ev_id: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
    """Every status published for ``ev_id`` (the retained one first, if any)."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    async with aiomqtt.Client(
        MQTT_HOST,
        MQTT_PORT,
        username=MQTT_USERNAME,
        password=MQTT_PASSWORD,
        identifier=f"test-ev-sources-{uuid.uuid4().hex[:8]}",
    ) as client:
        await client.subscribe(IopTopic.EV_STATUS.topic(ev_id=ev_id), qos=1)

        async def pump() -> None:
            async for message in client.messages:
                assert isinstance(message.payload, bytes)
                queue.put_nowait(json.loads(message.payload))

        task = asyncio.create_task(pump())
        try:
            yield queue
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def next_status(
    queue: asyncio.Queue[dict[str, Any]],
    done: Callable[[dict[str, Any]], bool],
    what: str,
    timeout: float = 30,
) -> dict[str, Any]:
    seen: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                status = await queue.get()
                seen.append(status)
                if done(status):
                    return status
    except TimeoutError:
        raise AssertionError(f"no MQTT status {what} within {timeout} s; seen: {seen}") from None


# -- OBD (Terni) ------------------------------------------------------------------------------
INVENTORY = {
    "version": 1,
    "cars": [
        {
            "id": "EMOTION-00001",
            "device": "861230045123456",
            "name": "Renault ZOE 41 kWh",
            "connector": {"type": "mennekes", "power": 22},
            "capacity": 41,
        },
        {
            "id": "EMOTION-00002",
            "name": "Renault Kangoo Z.E.",
            "connector": {"type": "mennekes", "power": 7.4},
            "capacity": 33,
        },
    ],
}
DEVICE_1 = "861230045123456"


def fixed_answers(**changes: Any) -> Callable[[int], Reading]:
    def answer(seq: int) -> Reading:
        fields: dict[str, Any] = {
            "soc": 64.2,
            "autonomy_km": 150.0,
            "minutes_to_full": 42.0,
            "position": Position(lat=42.5636, lon=12.6467),
            "doors": "closed",
            "engine": "off",
            "odometer_km": 23000.5,
            "plugged": True,
        }
        return Reading(seq=seq, **(fields | changes))

    return answer


def obd_source(
    clock: ManualClock, *, answer_timeout_s: float = 5.0, max_errors: int = 3
) -> ObdSource:
    return ObdSource(
        parse_inventory(INVENTORY, "EMOTION"),
        clock,
        host="127.0.0.1",
        port=0,
        poll_interval_s=5.0,
        answer_timeout_s=answer_timeout_s,
        max_errors=max_errors,
        registry=CollectorRegistry(),
    )


async def test_obd_device_is_queried_every_poll_interval_of_the_clock() -> None:
    clock = ManualClock(T0)
    source, sink = obd_source(clock), RecordingSink()
    async with running(source, sink):
        port = await source.listening()
        assert await source.healthy()
        # every inventory car is registered at start, before any device connects
        assert [c.id for c in sink.seen_characteristics] == ["EMOTION-00001", "EMOTION-00002"]
        device = SimulatedObdDevice(DEVICE_1, fixed_answers(), port=port)
        async with device_session(device):
            await asyncio.wait_for(device.welcomed.wait(), 5)
            assert device.welcome is not None and device.welcome.ev == "EMOTION-00001"
            # the first query right after the welcome
            await until(lambda: len(sink.seen_statuses), lambda n: n == 1, "first status")
            first = sink.seen_statuses[0]
            assert first.id == "EMOTION-00001" and first.timestamp == T0
            assert first.status is EvStatusValue.CHARGING  # engine off, 42 min to full
            assert (first.soc, first.autonomy, first.travelled_distance) == (64.2, 150, 23000.5)
            assert first.coordinates == (12.6467, 42.5636)
            # the next one only when 5 s of the service clock have passed
            await until(lambda: clock.sleepers, lambda n: n == 1, "poller asleep on the clock")
            await clock.advance(4.9)
            assert clock.sleepers == 1 and device.queries == 1
            await clock.advance(0.1)
            await until(lambda: len(sink.seen_statuses), lambda n: n == 2, "second status")
            assert sink.seen_statuses[1].timestamp == T0 + timedelta(seconds=5)
            assert device.queries == 2
            assert source.metrics.value("reading") == 2
            assert sink.seen_lost == []


async def test_obd_device_disconnect_reports_the_car_lost() -> None:
    clock = ManualClock(T0)
    source, sink = obd_source(clock), RecordingSink()
    async with running(source, sink):
        device = SimulatedObdDevice(DEVICE_1, fixed_answers(), port=await source.listening())
        async with device_session(device):
            await until(lambda: len(sink.seen_statuses), lambda n: n == 1, "first status")
            device.close()
            await until(lambda: sink.seen_lost, lambda lost: lost == ["EMOTION-00001"], "lost")
            assert source.sessions == {}
            assert source.metrics.value("disconnect") == 1


async def test_obd_unanswered_query_reports_the_car_lost_and_closes_the_connection() -> None:
    clock = ManualClock(T0)
    source, sink = obd_source(clock, answer_timeout_s=0.3), RecordingSink()
    async with running(source, sink):
        device = SimulatedObdDevice(DEVICE_1, fixed_answers(), port=await source.listening())
        async with device_session(device) as session:
            await until(lambda: len(sink.seen_statuses), lambda n: n == 1, "first status")
            device.answering = False
            await until(lambda: clock.sleepers, lambda n: n == 1, "poller asleep on the clock")
            await clock.advance(5)
            await until(lambda: sink.seen_lost, lambda lost: lost == ["EMOTION-00001"], "lost")
            assert await asyncio.wait_for(session, 5) == "closed by the wrapper"
            assert device.queries == 2 and len(sink.seen_statuses) == 1
            assert source.metrics.value("timeout") == 1


async def test_obd_malformed_lines_are_counted_then_the_device_is_dropped() -> None:
    clock = ManualClock(T0)
    source, sink = obd_source(clock, max_errors=3), RecordingSink()
    async with running(source, sink):
        port = await source.listening()
        device = SimulatedObdDevice(DEVICE_1, fixed_answers(), port=port)
        async with device_session(device) as session:
            await until(lambda: len(sink.seen_statuses), lambda n: n == 1, "first status")
            await device.send_raw(b"this is not json\n")
            await device.send_raw(b'{"type": "reading", "seq": 99, "soc": 500}\n')
            await until(lambda: source.metrics.value("malformed"), lambda n: n == 2, "2 malformed")
            assert "EMOTION-00001" in source.sessions  # two in a row are tolerated
            # a good answer resets the count
            await until(lambda: clock.sleepers, lambda n: n == 1, "poller asleep on the clock")
            await clock.advance(5)
            await until(lambda: len(sink.seen_statuses), lambda n: n == 2, "second status")
            # an answer to a query that was never sent is malformed too
            await device.send_raw(b"\xff\xfe garbage\n")
            await device.send_raw(b"[]\n")
            assert "EMOTION-00001" in source.sessions
            await device.send_raw(
                json.dumps(fixed_answers()(77).model_dump(exclude_none=True)).encode() + b"\n"
            )
            await until(lambda: sink.seen_lost, lambda lost: lost == ["EMOTION-00001"], "dropped")
            assert await asyncio.wait_for(session, 5) == "closed by the wrapper"
            assert source.metrics.value("malformed") == 5
            assert source.metrics.value("dropped") == 1
        # the server is still serving: the device comes back
        again = SimulatedObdDevice(DEVICE_1, fixed_answers(soc=65.0), port=port)
        async with device_session(again):
            await until(lambda: len(sink.seen_statuses), lambda n: n == 3, "status after return")
            assert sink.seen_statuses[-1].soc == 65.0


async def test_obd_unknown_devices_bad_versions_and_garbage_hellos_are_refused() -> None:
    clock = ManualClock(T0)
    source, sink = obd_source(clock, answer_timeout_s=1.0), RecordingSink()
    async with running(source, sink):
        port = await source.listening()
        stranger = SimulatedObdDevice("999999999999999", fixed_answers(), port=port)
        assert await asyncio.wait_for(stranger.session(), 5) == (
            "refused: unknown device 999999999999999"
        )
        future = SimulatedObdDevice(DEVICE_1, fixed_answers(), port=port, protocol=2)
        reason = await asyncio.wait_for(future.session(), 5)
        assert reason == "refused: unsupported protocol version 2"
        assert future.refused is not None and future.refused.supported == (1,)
        # the EV id is not a device id when the inventory gives the car a device of its own
        impostor = SimulatedObdDevice("EMOTION-00001", fixed_answers(), port=port)
        assert (await asyncio.wait_for(impostor.session(), 5)).startswith("refused")

        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\n\r\n")
        refusal = json.loads(await asyncio.wait_for(reader.readline(), 5))
        assert refusal["type"] == "refused" and "malformed hello" in refusal["reason"]
        assert await asyncio.wait_for(reader.read(), 5) == b""  # and closed
        writer.close()

        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"x" * 10_000 + b"\n")  # longer than a line may be
        refusal = json.loads(await asyncio.wait_for(reader.readline(), 5))
        assert "longer than" in refusal["reason"]
        writer.close()

        _, silent = await asyncio.open_connection("127.0.0.1", port)  # says nothing at all
        await until(lambda: source.metrics.value("timeout"), lambda n: n == 1, "hello timeout")
        silent.close()

        assert source.metrics.value("refused") == 3 and source.metrics.value("malformed") == 2
        assert sink.seen_statuses == [] and sink.seen_lost == [] and source.sessions == {}


async def test_obd_reconnecting_device_replaces_its_old_connection() -> None:
    clock = ManualClock(T0)
    source, sink = obd_source(clock), RecordingSink()
    async with running(source, sink):
        port = await source.listening()
        old = SimulatedObdDevice(DEVICE_1, fixed_answers(soc=50.0), port=port)
        async with device_session(old) as old_session:
            await until(lambda: len(sink.seen_statuses), lambda n: n == 1, "old status")
            new = SimulatedObdDevice(DEVICE_1, fixed_answers(soc=51.0), port=port)
            async with device_session(new):
                assert await asyncio.wait_for(old_session, 5) == "closed by the wrapper"
                await until(lambda: len(sink.seen_statuses), lambda n: n == 2, "new status")
                assert [s.soc for s in sink.seen_statuses] == [50.0, 51.0]
                assert sink.seen_lost == []  # the car never went away
                assert source.sessions["EMOTION-00001"].peer != ""


async def test_obd_wrapper_process_publishes_simulated_device_readings_to_mqtt(
    org: str, tmp_path: Path
) -> None:
    inventory = tmp_path / "cars.yaml"
    cli = [sys.executable, "-m", "ev_wrapper.obd_device_sim"]
    fleet_args = ["--organisation", org, "--cars", "2", "--seed", "4"]
    made = await asyncio.create_subprocess_exec(
        *cli, "inventory", *fleet_args, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await made.communicate()
    assert made.returncode == 0
    inventory.write_bytes(out)
    assert [car["id"] for car in yaml.safe_load(out)["cars"]] == [f"{org}-00001", f"{org}-00002"]

    port = free_port()
    wrapper = ServiceProcess(
        "ev_wrapper",
        WISEEVP_SOURCE="obd",
        WISEEVP_ORGANISATION=org,
        WISEEVP_OBD_INVENTORY=str(inventory),
        WISEEVP_OBD_LISTEN_PORT=str(port),
        WISEEVP_OBD_POLL_INTERVAL_S="0.5",
        WISEEVP_OBD_ANSWER_TIMEOUT_S="2",
    )
    ev_id = f"{org}-00002"
    devices: asyncio.subprocess.Process | None = None
    async with mqtt_statuses(ev_id) as statuses:
        await wrapper.started()
        try:
            devices = await asyncio.create_subprocess_exec(
                *cli,
                "run",
                *fleet_args,
                "--port",
                str(port),
                "--speed",
                "60",
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            first = await next_status(
                statuses, lambda s: s["status"] != "nocomm", "from the device"
            )
            assert first["id"] == ev_id
            assert 0 <= first["soc"] <= 100 and first["autonomy"] >= 0
            assert first["travelledDistance"] > 0
            lon, lat = first["coordinates"]
            assert abs(lon - 12.6467) < 0.5 and abs(lat - 42.5636) < 0.5
            later = await next_status(
                statuses, lambda s: s["timestamp"] > first["timestamp"], "from the next query"
            )
            assert later["status"] in {"charging", "connected", "disconnected"}
            # the devices go away: the wrapper says the car is nocomm
            devices.kill()
            await devices.wait()
            await next_status(statuses, lambda s: s["status"] == "nocomm", "nocomm", timeout=15)
        finally:
            if devices is not None and devices.returncode is None:
                devices.kill()
                await devices.wait()
            assert await wrapper.stop() == 0, wrapper.logs()


# -- PostgreSQL (Ghent) -----------------------------------------------------------------------
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
    url = test_database.rsplit("/", 1)[0] + "/" + name
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


# -- HTTP (Crevillent) ------------------------------------------------------------------------
TOKEN = "phone-app-token-0123456789"


def characteristics_body(ev_id: str) -> dict[str, Any]:
    return {
        "id": ev_id,
        "name": "Renault Kangoo Z.E.",
        "connector": {"type": "mennekes", "power": "7.4"},
        "capacity": 33,
    }


def status_body(ev_id: str, at: datetime, **changes: Any) -> dict[str, Any]:
    return {
        "id": ev_id,
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "status": "charging",
        "soc": 55.5,
        "autonomy": 95,
        "coordinates": [-0.6527, 38.2494],
        "travelledDistance": 12000,
    } | changes


async def test_http_ingest_routes_validate_authenticate_and_accept() -> None:
    clock = ManualClock(T0)
    source = HttpIngestSource("CREVILLENT", TOKEN, clock, max_future_s=300)
    sink = RecordingSink()
    server = HttpServer(build_app(CollectorRegistry(), {}, source.routes), "127.0.0.1", 0)
    await server.start()
    base = f"http://127.0.0.1:{server.port}/api/v1/ingest/evs"
    ev = "CREVILLENT-00002"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        async with running(source, sink), aiohttp.ClientSession() as http:

            async def call(
                method: str, path: str, body: Any, headers: dict[str, str] | None = None
            ) -> tuple[int, Any]:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                async with http.request(
                    method,
                    f"{base}/{path}",
                    data=data,
                    headers=auth if headers is None else headers,
                ) as resp:
                    if resp.status == 401:
                        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
                    return resp.status, await resp.json()

            await asyncio.sleep(0)  # let the source start
            assert await source.healthy()
            chars = characteristics_body(ev)
            assert await call("PUT", f"{ev}/characteristics", chars, {}) == (
                401,
                {"message": "missing or wrong bearer token"},
            )
            wrong = {"Authorization": "Bearer phone-app-token-0123456788"}
            assert (await call("PUT", f"{ev}/characteristics", chars, wrong))[0] == 401

            status, body = await call("POST", f"{ev}/status", status_body(ev, T0))
            assert status == 409 and "PUT them before" in body["message"]

            status, body = await call("PUT", f"{ev}/characteristics", b"{oops")
            assert status == 400 and body["message"].startswith("invalid body")
            status, body = await call("PUT", f"{ev}/characteristics", chars | {"capacity": 0})
            assert status == 400 and "capacity" in body["message"]
            status, body = await call("PUT", "CREVILLENT-00003/characteristics", chars)
            assert status == 400 and "path" in body["message"]
            other = characteristics_body("PARTAGO-00001")
            status, body = await call("PUT", "PARTAGO-00001/characteristics", other)
            assert status == 403
            assert sink.seen_characteristics == []

            assert await call("PUT", f"{ev}/characteristics", chars) == (
                202,
                {"id": ev, "accepted": "characteristics"},
            )
            assert [c.capacity for c in sink.seen_characteristics] == [33]

            status, _ = await call(
                "POST", f"{ev}/status", status_body(ev, T0 - timedelta(seconds=5))
            )
            assert status == 202
            posted = sink.seen_statuses[-1]
            assert (posted.status, posted.soc, posted.coordinates) == (
                EvStatusValue.CHARGING,
                55.5,
                (-0.6527, 38.2494),
            )
            ahead = status_body(ev, T0 + timedelta(minutes=10))
            status, body = await call("POST", f"{ev}/status", ahead)
            assert status == 400 and "ahead" in body["message"]
            await clock.advance(600)  # the wrapper's clock catches up with the phone
            assert (await call("POST", f"{ev}/status", ahead))[0] == 202

            async with http.get(f"{base}/{ev}/status") as resp:
                assert resp.status == 405
                assert "message" in await resp.json()
            huge = b'{"id": "' + b"x" * (2 * 1024 * 1024) + b'"}'
            async with http.post(f"{base}/{ev}/status", data=huge, headers=auth) as resp:
                assert resp.status == 413
                assert "message" in await resp.json()
            assert len(sink.seen_statuses) == 2
            assert source.metrics.value("rejected_401") == 2
            assert source.metrics.value("rejected_400") == 4
    finally:
        await server.stop()


async def test_http_wrapper_process_publishes_posted_statuses_to_mqtt(org: str) -> None:
    wrapper = ServiceProcess(
        "ev_wrapper", WISEEVP_SOURCE="http", WISEEVP_ORGANISATION=org, WISEEVP_INGEST_TOKEN=TOKEN
    )
    ev_id = f"{org}-00001"
    base = f"{wrapper.url}/api/v1/ingest/evs/{ev_id}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with mqtt_statuses(ev_id) as statuses, aiohttp.ClientSession(headers=auth) as http:
        await wrapper.started()
        try:
            async with http.put(f"{base}/characteristics", json=characteristics_body(ev_id)) as r:
                assert r.status == 202, await r.text()
            at = datetime.now(UTC).replace(microsecond=0)
            async with http.post(f"{base}/status", json=status_body(ev_id, at)) as r:
                assert r.status == 202, await r.text()
            published = await next_status(statuses, lambda s: s["status"] != "nocomm", "posted")
            assert published == status_body(ev_id, at) | {
                "timestamp": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "autonomy": 95.0,
                "travelledDistance": 12000.0,
            }
            async with http.post(
                f"{base}/status", json=status_body(ev_id, at, status="connected", soc=56.0)
            ) as r:
                assert r.status == 202
            await next_status(statuses, lambda s: s["status"] == "connected", "second post")
        finally:
            assert await wrapper.stop() == 0, wrapper.logs()
