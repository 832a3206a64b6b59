"""Design 3.2.2.1 (EV wrappers' IOP topics) and the requirements on EV data, one test each,
against a real EV wrapper process and RabbitMQ's MQTT plugin."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import aiomqtt
import pytest

from tests.support.env import MQTT_HOST, MQTT_PASSWORD, MQTT_PORT, MQTT_USERNAME
from tests.support.processes import ServiceProcess, simulated_wrapper
from tests.support.waiting import wait_for_value

pytestmark = [pytest.mark.integration]


async def collect(
    topic_filter: str, enough: Callable[[list[Any]], bool], timeout: float = 20
) -> list[Any]:
    """Subscribe as a new client and collect messages (retained ones first) until ``enough``."""
    got: list[Any] = []
    async with aiomqtt.Client(
        MQTT_HOST, MQTT_PORT, username=MQTT_USERNAME, password=MQTT_PASSWORD
    ) as client:
        await client.subscribe(topic_filter, qos=1)
        async with asyncio.timeout(timeout):
            async for message in client.messages:
                got.append(message)
                if enough(got):
                    break
    return got


async def first_messages(topic_filter: str, count: int, timeout: float = 20) -> list[Any]:
    return await collect(topic_filter, lambda got: len(got) >= count, timeout)


async def published(wrapper: ServiceProcess, kind: str) -> float:
    """Messages of ``kind`` the wrapper's broker acknowledged (its Prometheus counter)."""
    async with aiohttp.ClientSession() as http, http.get(wrapper.url + "/metrics") as resp:
        text = await resp.text()
    line = f'wiseevp_ev_wrapper_published_total{{kind="{kind}"}} '
    return sum(float(row[len(line) :]) for row in text.splitlines() if row.startswith(line))


def payloads(messages: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(m.payload) for m in messages]


@pytest.fixture
async def running_wrapper(fresh_broker: None, org: str) -> AsyncIterator[ServiceProcess]:
    process = await simulated_wrapper(org, fleet=2).started()
    try:
        yield process
    finally:
        await process.stop()


async def test_3_2_2_1_characteristics_published_on_connect_and_retained(
    running_wrapper: ServiceProcess, org: str
) -> None:
    """EV wrappers publish the characteristics of the monitored EVs upon connection to the
    MQTT broker [...] This publication may be flagged as "retained" (i.e. broker will send the
    characteristics to any new subscriber automatically). QoS-Level: 1"""
    # the broker acknowledged both EVs' characteristics before we subscribe
    await wait_for_value(
        lambda: published(running_wrapper, "characteristics"), lambda n: n >= 2, what="publish"
    )
    messages = await first_messages(f"MQTT/EV/{org}-00001/characteristics", 1)
    message = messages[0]
    assert message.retain  # delivered to a late subscriber because it is retained
    assert message.qos == 1
    payload = json.loads(message.payload)
    assert payload == {
        "id": f"{org}-00001",
        "name": payload["name"],
        "connector": {"type": "mennekes", "power": "22"},
        "capacity": 22.0,
    }


async def test_3_2_2_1_status_periodic_retained_with_design_fields(
    running_wrapper: ServiceProcess, org: str
) -> None:
    """EV wrappers periodically publish their status under this topic. This publication may
    be flagged as "retained" [...] QoS-Level: 1. Payload: id, timestamp (ISO8601), status
    (disconnected, connected, charging, nocomm), soc (%), autonomy (km), coordinates
    [longitude, latitude], travelledDistance."""
    # a status published while we subscribe may arrive twice (retained copy and live one)
    messages = await collect(
        f"MQTT/EV/{org}-00002/status",
        lambda got: len({p["timestamp"] for p in payloads(got)}) >= 3,
    )
    for p in payloads(messages):
        assert set(p) == {
            "id",
            "timestamp",
            "status",
            "soc",
            "autonomy",
            "coordinates",
            "travelledDistance",
        }
        assert p["status"] in {"disconnected", "connected", "charging"}
        assert p["timestamp"].endswith("Z") and len(p["timestamp"]) == 24
    assert len({p["timestamp"] for p in payloads(messages)}) == 3  # periodic, not one repeat


async def test_3_2_2_1_last_will_sets_nocomm(fresh_broker: None, org: str) -> None:
    """The EV wrapper must configure a MQTT LWT message updating the status to "nocomm" when
    the EV wrapper disconnects from the MQTT broker."""
    process = await simulated_wrapper(org, fleet=2).started()
    await first_messages(f"MQTT/EV/{org}-00001/status", 1)
    process.kill()  # no goodbye: only the broker-side last will can say it
    await process.wait_exit()

    async def latest() -> str:
        messages = await first_messages(f"MQTT/EV/{org}-00001/status", 1)
        return str(json.loads(messages[0].payload)["status"])

    assert await wait_for_value(latest, lambda s: s == "nocomm", timeout=60) == "nocomm"


async def test_evp_037_public_message_without_privacy_sensitive_data(
    running_wrapper: ServiceProcess, org: str
) -> None:
    """EVP_037: Anonymising charging data to assure data privacy in case of private EVs.
    (Design 3.2.2.2.2: WiseEVP will publish the 'public' message to the IOP, with limited
    not privacy sensitive data for use by other modules in WiseGRID.)"""
    ev_topics = f"MQTT/EV/{org}-00001/+"

    def same_instant(got: list[Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """A status and the public view of that same status (same timestamp)."""
        by_kind: dict[tuple[str, str], dict[str, Any]] = {}
        for message in got:
            body = json.loads(message.payload)
            if "timestamp" in body:
                by_kind[(str(message.topic).rsplit("/", 1)[1], body["timestamp"])] = body
        for (kind, when), body in by_kind.items():
            if kind == "public" and ("status", when) in by_kind:
                return by_kind[("status", when)], body
        return None

    pair = same_instant(await collect(ev_topics, lambda got: same_instant(got) is not None))
    assert pair is not None
    private, shared = pair
    assert "travelledDistance" in private and "travelledDistance" not in shared
    lon, lat = shared["coordinates"]
    assert round(lon, 2) == lon and round(lat, 2) == lat  # ~1 km grid, not the exact spot
    assert abs(lon - private["coordinates"][0]) <= 0.005 + 1e-9
    assert isinstance(shared["soc"], int)


async def test_evp_038_fleet_manager_sees_usage_and_position(
    fresh_db: Any, fresh_broker: None, org: str
) -> None:
    """EVP_038: In case of EV fleets, WiseEVP shall provide to the EV fleet manager (owner)
    information on the EVs usage and position."""
    monitor = await ServiceProcess("rt_monitor").started()
    ev = await simulated_wrapper(org, fleet=2).started()
    try:
        url = f"{monitor.url}/api/v1/evs/{org}-00001/status?limit=2"

        async def history() -> Any:
            async with aiohttp.ClientSession() as http, http.get(url) as resp:
                return await resp.json() if resp.status == 200 else {"items": []}

        body = await wait_for_value(history, lambda b: len(b["items"]) == 2, what="history")
        for item in body["items"]:
            assert len(item["coordinates"]) == 2  # position
            assert item["travelledDistance"] > 0  # usage
            assert "soc" in item and "autonomy" in item
    finally:
        await ev.stop()
        await monitor.stop()
