"""OSCP 2.0 chapter 3 use cases (IDs 1-9), each run against our FP with our CP and CO as
separate processes over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tests.support.oscp_site import GROUPS, OscpSite, answer_caps, cap_limits, is_mode
from tests.support.waiting import wait_for_value
from wiseevp_common.messages.grid import CapacityMode, CapacityUnit
from wiseevp_common.messages.oscp20 import CapacityForecastType as T
from wiseevp_oscp.endpoints import Endpoint


async def test_uc01_capacity_provider_distributes_capacities(cp_site: OscpSite) -> None:
    """Use case 1: the CP distributes capacities to the FP with UpdateGroupCapacityForecast;
    based on this forecast the FP tells its Flexibility Resources their capacities."""
    site = cp_site
    answer = await site.send(T.CONSUMPTION, 60, 45)
    request_id = answer["request_ids"]["fp"]
    capacity = await site.wait_capacity(lambda c: c.forecast_request_id == request_id)
    assert capacity.mode is CapacityMode.NORMAL
    assert capacity.unit is CapacityUnit.A
    assert capacity.current is not None and capacity.current.consumption == 60
    assert [b.consumption for b in capacity.blocks] == [60, 45]
    caps = await site.wait_caps()
    first = [cap_limits(caps[e][-1][1]) for e in GROUPS["area-1"]]
    # every period: the caps of the group's EVSEs add up to at most the group's capacity
    assert sum(limits[0] for limits in first) <= 60
    assert sum(limits[0] for limits in first) >= 59
    assert sum(limits[-1] for limits in first) <= 45


async def test_uc02_capacity_optimizer_distributes_an_optimum(site: OscpSite) -> None:
    """Use case 2: the FP distributes the CP's UpdateGroupCapacityForecast to the CO; the CO
    sends the Optimum back with UpdateGroupCapacityForecast; based on this Optimum the FP
    tells its Flexibility Resources their capacity."""
    answer = await site.send(T.CONSUMPTION, 60)
    forwarded = await site.co.wait_inbox(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST)
    assert forwarded[0]["body"]["type"] == "CONSUMPTION"
    assert forwarded[0]["body"]["forecasted_blocks"][0]["capacity"] == 60
    capacity = await site.wait_capacity(
        lambda c: c.current is not None and c.current.optimum is not None
    )
    assert capacity.current is not None
    assert capacity.current.consumption == 60
    assert capacity.current.optimum == 48  # the CO's optimum_fraction 0.8
    assert capacity.forecast_request_id == answer["request_ids"]["fp"]

    def at_optimum(caps: dict[str, list[Any]]) -> bool:
        return 47 <= sum(cap_limits(c[-1][1])[0] for c in caps.values()) <= 48

    await wait_for_value(lambda: {e: site.caps(e) for e in GROUPS["area-1"]}, at_optimum)


async def test_uc03_flexibility_provider_requests_additional_capacity(
    cp_site: OscpSite,
) -> None:
    """Use case 3: the distributed capacity does not match the FP's demand; the FP requests
    additional capacity from the CP with AdjustGroupCapacityForecast."""
    site = cp_site
    for evse in GROUPS["area-1"]:
        site.snapshots.set(evse, charging=True, power_w=7000, energy_wh=1000, at=site.now())
    await site.send(T.CONSUMPTION, 40)
    adjust = await site.cp.wait_inbox(Endpoint.ADJUST_GROUP_CAPACITY_FORECAST)
    body = adjust[0]["body"]
    assert body["group_id"] == "area-1"
    assert body["type"] == "CONSUMPTION"
    block = body["forecasted_blocks"][0]
    # three charging EVSEs of 32 A want 96 A where 40 A are given
    assert block["capacity"] == 96
    assert block["unit"] == "A"
    # once per forecast: the next reports do not repeat it
    await asyncio.sleep(4)
    assert len(await site.cp.inbox(Endpoint.ADJUST_GROUP_CAPACITY_FORECAST)) == 1


async def test_uc04_optimizer_receives_charging_session_measurements(site: OscpSite) -> None:
    """Use case 4: while charging sessions are active, every period the FP informs the CO with
    UpdateAssetMeasurements."""
    site.snapshots.set("OSCP-A.1", charging=True, power_w=7400, energy_wh=12_500, at=site.now())
    site.snapshots.set("OSCP-A.2", charging=False, energy_wh=3_000, at=site.now())
    received = await site.co.wait_inbox(Endpoint.UPDATE_ASSET_MEASUREMENTS)
    by_group = {m["body"]["group_id"]: m["body"] for m in received}
    measurements = by_group["area-1"]["measurements"]
    assert all(m["asset_category"] == "CHARGING" for m in measurements)
    energy = {
        m["asset_id"]: m["energy_measurement"]
        for m in measurements
        if "energy_measurement" in m and m["energy_measurement"]["direction"] == "IMPORT"
    }
    assert energy["OSCP-A.1"]["value"] == 12_500
    assert energy["OSCP-A.1"]["unit"] == "WH"
    assert energy["OSCP-A.2"]["value"] == 3_000
    power = [m for m in measurements if "instantaneous_measurement" in m]
    assert [(m["asset_id"], m["instantaneous_measurement"]["value"]) for m in power] == [
        ("OSCP-A.1", 7400)
    ]
    # area-2 has nothing to report: no UpdateAssetMeasurements without measurements (4.5.2)
    assert "area-2" not in by_group


async def test_uc07_flexibility_provider_cannot_comply(compliance_site: OscpSite) -> None:
    """Use case 7: an event makes it impossible to comply with the distributed capacity; the
    FP informs the CP with GroupCapacityComplianceError (X-Correlation-ID: the forecast)."""
    site = compliance_site
    answer = await site.send(T.CONSUMPTION, 60)
    caps = await site.wait_caps()
    await answer_caps(caps, refused={"OSCP-A.3"})
    errors = await site.cp.wait_inbox(Endpoint.GROUP_CAPACITY_COMPLIANCE_ERROR)
    assert errors[0]["correlation_id"] == answer["request_ids"]["fp"]
    message = errors[0]["body"]["message"]
    assert "OSCP-A.3" in message
    assert "OSCP-A.1" not in message
    assert "profile-not-applied" in message
    assert errors[0]["body"]["forecasted_blocks"][0]["capacity"] == 60


async def test_uc08_detect_an_offline_situation(site: OscpSite) -> None:
    """Use case 8: party A sends heartbeats with offline_mode_at; when it stops, party B
    concludes it is offline once offline_mode_at passes."""
    admin = site.fp
    await site.cp.pause_heartbeats()
    await asyncio.sleep(0.3)
    seen = await admin.peer("cp")
    assert seen is not None and seen["online"] is True
    offline_at = datetime.fromisoformat(seen["offline_mode_at"])
    assert offline_at > site.now()
    gone = await admin.wait_peer("cp", lambda v: v["online"] is False, timeout=10)
    assert gone["handshake"] == "none"  # it must handshake again to recover (3.4.3)
    assert site.now() >= offline_at
    # and the CP, which still gets the FP's heartbeats, sees the FP online
    fp_at_cp = await site.cp.peer("fp")
    assert fp_at_cp is not None and fp_at_cp["online"] is True
    # a party whose heartbeats are paused does not handshake its way back meanwhile
    await asyncio.sleep(1.5)
    still = await admin.peer("cp")
    assert still is not None and still["online"] is False


async def test_uc09_fallback_while_capacity_provider_offline_and_recovery(
    site: OscpSite,
) -> None:
    """Use case 9: the CP goes offline; the FP adapts its FRs to the fallback capacities; the
    CP comes back and handshakes; the FP adapts its FRs to the normal capacities again.

    Also the issue's measurement: fallback applies within one (simulated) second of
    offline_mode_at."""
    await site.send(T.CONSUMPTION, 60, 60)
    await site.send(T.FALLBACK_CONSUMPTION, 21, 21)
    await site.wait_capacity(lambda c: c.current is not None and c.current.consumption == 60)
    await site.cp.pause_heartbeats()
    await asyncio.sleep(0.3)
    seen = await site.fp.peer("cp")
    assert seen is not None
    offline_at = datetime.fromisoformat(seen["offline_mode_at"])

    fallback = await site.wait_capacity(is_mode(CapacityMode.FALLBACK), timeout=10)
    assert fallback.current is not None and fallback.current.consumption == 21
    assert fallback.capacity_provider_online is False
    delay = (fallback.at - offline_at).total_seconds()
    assert 0 <= delay < 1.0, f"fallback {delay:.3f} simulated s after offline_mode_at"

    def capped_at(limit: float) -> Callable[[dict[str, list[Any]]], bool]:
        return lambda caps: sum(cap_limits(c[-1][1])[0] for c in caps.values()) <= limit

    await wait_for_value(lambda: {e: site.caps(e) for e in GROUPS["area-1"]}, capped_at(21))

    await site.cp.pause_heartbeats(False)
    back = await site.wait_capacity(
        lambda c: c.mode is CapacityMode.NORMAL and c.at > fallback.at, timeout=15
    )
    assert back.current is not None and back.current.consumption == 60
    assert back.capacity_provider_online is True
    peer = await site.fp.peer("cp")
    assert peer is not None and peer["handshake"] == "complete"
