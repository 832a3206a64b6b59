"""The RT monitor loses nothing: kill -9 under load, graceful SIGTERM, broker restart."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta

import aiomqtt
import asyncpg
import pytest

from tests.support.env import MQTT_HOST, MQTT_PASSWORD, MQTT_PORT, MQTT_USERNAME, POSTGRES_URL
from tests.support.processes import ServiceProcess, simulated_wrapper
from tests.support.waiting import wait_for_value
from wiseevp_common.messages.iop import EvStatus, EvStatusValue
from wiseevp_common.topology import IopTopic

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T0 = datetime(2026, 4, 1, tzinfo=UTC)


async def count_rows(org: str) -> int:
    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM rt_monitor.ev_status_history WHERE ev_id LIKE $1", f"{org}-%"
            )
        )
    except asyncpg.UndefinedTableError:
        return 0
    finally:
        await conn.close()


async def publish_statuses(org: str, evs: int, per_ev: int) -> None:
    """``evs`` MQTT clients publish ``per_ev`` QoS 1 statuses each, as fast as they can."""

    async def one(n: int) -> None:
        ev_id = f"{org}-{n:05d}"
        async with aiomqtt.Client(
            MQTT_HOST,
            MQTT_PORT,
            username=MQTT_USERNAME,
            password=MQTT_PASSWORD,
            identifier=f"load-{ev_id}",
            max_inflight_messages=200,
        ) as client:
            topic = IopTopic.EV_STATUS.topic(ev_id=ev_id)
            for start in range(0, per_ev, 100):
                await asyncio.gather(
                    *(
                        client.publish(
                            topic,
                            EvStatus(
                                id=ev_id,
                                timestamp=T0 + timedelta(seconds=i),
                                status=EvStatusValue.CHARGING,
                                soc=i % 100,
                            ).to_json(),
                            qos=1,
                        )
                        for i in range(start, min(start + 100, per_ev))
                    )
                )

    await asyncio.gather(*(one(n) for n in range(1, evs + 1)))


async def test_kill_9_under_load_loses_no_message(fresh_db, fresh_broker, org) -> None:
    evs, per_ev = 20, 1000
    total = evs * per_ev
    monitor = await ServiceProcess("rt_monitor").started()
    publishing = asyncio.create_task(publish_statuses(org, evs, per_ev))
    try:
        stored = await wait_for_value(
            lambda: count_rows(org),
            lambda n: n >= total // 10,
            timeout=60,
            interval=0.02,
            what="a tenth of the rows",
        )
        monitor.kill()  # SIGKILL mid-stream: unacked messages stay in the queue
        assert stored < total, "the monitor finished before it could be killed; raise the load"
        await publishing
        restarted = await ServiceProcess("rt_monitor").started()
        try:
            await wait_for_value(
                lambda: count_rows(org), lambda n: n >= total, timeout=120, what="every row"
            )
            conn = await asyncpg.connect(POSTGRES_URL)
            try:
                per_ev_counts = await conn.fetch(
                    "SELECT ev_id, count(*) AS n, max(ts) AS last "
                    "FROM rt_monitor.ev_status_history "
                    "WHERE ev_id LIKE $1 GROUP BY ev_id",
                    f"{org}-%",
                )
                latest = await conn.fetch(
                    "SELECT ev_id, ts FROM rt_monitor.ev_state WHERE ev_id LIKE $1", f"{org}-%"
                )
            finally:
                await conn.close()
            assert await count_rows(org) == total  # no loss, no duplicate
            assert len(per_ev_counts) == evs and all(r["n"] == per_ev for r in per_ev_counts)
            last = T0 + timedelta(seconds=per_ev - 1)
            assert {r["ev_id"]: r["ts"] for r in latest} == {
                r["ev_id"]: last for r in per_ev_counts
            }
        finally:
            await restarted.stop()
    finally:
        publishing.cancel()
        await asyncio.gather(publishing, return_exceptions=True)
        await monitor.stop()


async def test_sigterm_finishes_in_flight_work_and_exits_cleanly(
    fresh_db, fresh_broker, org
) -> None:
    monitor = await ServiceProcess("rt_monitor", WISEEVP_BATCH_MAX_WAIT_MS="200").started()
    await publish_statuses(org, evs=2, per_ev=200)
    await wait_for_value(lambda: count_rows(org), lambda n: n > 0, what="first rows")
    assert await monitor.stop() == 0
    restarted = await ServiceProcess("rt_monitor").started()
    try:
        await wait_for_value(lambda: count_rows(org), lambda n: n == 400, what="all rows")
    finally:
        await restarted.stop()
    assert "service stopped" in monitor.logs()


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


async def test_broker_restart_survived_without_service_restart(fresh_db, fresh_broker, org) -> None:
    monitor = await ServiceProcess("rt_monitor").started()
    wrapper = await simulated_wrapper(org).started()
    try:
        await wait_for_value(lambda: count_rows(org), lambda n: n >= 6, what="rows before restart")
        pids = (monitor.proc.pid, wrapper.proc.pid)  # type: ignore[union-attr]
        rabbitmqctl("stop_app")
        try:
            await asyncio.sleep(2)
            before = await count_rows(org)
        finally:
            rabbitmqctl("start_app")
            rabbitmqctl("await_startup")
        await wait_for_value(
            lambda: count_rows(org),
            lambda n: n >= before + 30,
            timeout=90,
            what="rows flowing again after the broker came back",
        )
        assert (monitor.proc.pid, wrapper.proc.pid) == pids  # type: ignore[union-attr]
        assert monitor.proc.poll() is None and wrapper.proc.poll() is None  # type: ignore[union-attr]
        await monitor.wait_healthy(timeout=30)
        await wrapper.wait_healthy(timeout=30)
    finally:
        await wrapper.stop()
        await monitor.stop()
