"""The EV wrapper's OBD source (Terni) against real parts: its TCP server with simulated
devices, and a real ``ev_wrapper`` process publishing their readings to MQTT."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from ev_wrapper.obd_device_sim import SimulatedObdDevice
from ev_wrapper.sources.obd import ObdSource
from ev_wrapper.sources.obd_inventory import parse_inventory
from ev_wrapper.sources.obd_protocol import Position, Reading
from tests.support.ev_source_harness import T0, mqtt_statuses, next_status, running, until
from tests.support.processes import ServiceProcess
from tests.support.recording_sink import RecordingSink
from wiseevp_cli.processes import free_port
from wiseevp_common.clock import ManualClock
from wiseevp_common.messages.iop import EvStatusValue

pytestmark = [pytest.mark.integration]


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
