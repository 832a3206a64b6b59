"""EV wrapper → MQTT → RabbitMQ → RT monitor → PostgreSQL → history API, as real processes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.http_json import get_json
from tests.support.processes import ServiceProcess, simulated_wrapper
from tests.support.waiting import wait_for_value

pytestmark = [pytest.mark.integration]


async def test_statuses_flow_from_wrapper_to_history_api(fresh_db, fresh_broker, org):
    monitor = await ServiceProcess("rt_monitor").started()
    ev = await simulated_wrapper(org).started()
    try:
        ev_id = f"{org}-00002"

        async def history() -> tuple[int, Any]:
            return await get_json(f"{monitor.url}/api/v1/evs/{ev_id}/status?limit=5")

        status, body = await wait_for_value(
            history, lambda r: r[0] == 200 and len(r[1]["items"]) >= 3, what="3 stored statuses"
        )
        items = body["items"]
        assert [i["timestamp"] for i in items] == sorted(
            (i["timestamp"] for i in items), reverse=True
        )
        latest = items[0]
        assert latest["id"] == ev_id
        assert latest["status"] in {"disconnected", "connected", "charging"}
        assert 0 <= latest["soc"] <= 100
        assert len(latest["coordinates"]) == 2
        assert latest["travelledDistance"] > 0

        status, one = await get_json(f"{monitor.url}/api/v1/evs/{ev_id}")
        assert status == 200
        assert one["characteristics"]["connector"] == {"type": "mennekes", "power": "43"}
        assert one["characteristics"]["capacity"] == 41
        assert one["latest"]["timestamp"] >= latest["timestamp"]

        status, listing = await get_json(f"{monitor.url}/api/v1/evs")
        assert {item["id"] for item in listing["items"]} == {f"{org}-0000{n}" for n in (1, 2, 3)}

        history = f"{monitor.url}/api/v1/evs/{ev_id}/status"
        for query, fragment in (
            ("limit=abc", "limit: Input should be a valid integer"),
            ("limit=10001", "limit must be at most 10000"),
            ("from=2026-01-01T00:00:00", "from: Input should have timezone info"),
            ("colour=blue", "colour: Extra inputs are not permitted"),
        ):
            status, error = await get_json(f"{history}?{query}")
            assert status == 400 and fragment in error["message"], (query, error)
        status, error = await get_json(f"{monitor.url}/api/v1/evs/{org}-99999/status")
        assert status == 404 and error == {"message": f"unknown EV '{org}-99999'"}
    finally:
        await ev.stop()
        await monitor.stop()


async def test_killed_wrapper_leaves_nocomm_through_last_will(fresh_db, fresh_broker, org):
    monitor = await ServiceProcess("rt_monitor").started()
    ev = await simulated_wrapper(org, fleet=2).started()
    try:
        url = f"{monitor.url}/api/v1/evs/{org}-00001"
        await wait_for_value(
            lambda: get_json(url),
            lambda r: r[0] == 200 and r[1]["latest"] is not None,
            what="first status",
        )
        ev.kill()  # SIGKILL: no goodbye, only the broker-side last will can tell
        _, body = await wait_for_value(
            lambda: get_json(url),
            lambda r: r[1]["latest"]["status"] == "nocomm",
            timeout=90,  # the broker notices the dead TCP connection (keepalive 30 s at worst)
            what="nocomm from the last will",
        )
        assert body["latest"]["status"] == "nocomm"
    finally:
        await ev.stop()
        await monitor.stop()
