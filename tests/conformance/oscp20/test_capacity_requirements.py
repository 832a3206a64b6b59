"""OSCP 2.0 requirements of 3.2.1.1 (FR.01.01-FR.01.09) and 3.2.2.2 (FR.02.01-FR.02.07), one
test each, against our FP with our CP and CO as processes over real HTTP."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from tests.support.oscp_site import GROUPS, OscpSite, cap_limits, is_mode
from tests.support.waiting import wait_for_value
from wiseevp_common.messages.grid import CapacityMode
from wiseevp_common.messages.oscp20 import CapacityForecastType as T
from wiseevp_common.messages.oscp20 import UpdateGroupCapacityForecast
from wiseevp_oscp.endpoints import Endpoint


def refusal(answer: dict[str, Any]) -> tuple[int, str]:
    """(status, message) with which the FP refused the CP's forecast."""
    error = answer["errors"]["fp"]
    return error["status"], error["message"]


async def caps_total(site: OscpSite, group: str = "area-1") -> float:
    """The first-period total of the latest caps of the group's EVSEs."""
    caps = await site.wait_caps(group)
    return sum(cap_limits(c[-1][1])[0] for c in caps.values())


async def go_offline(site: OscpSite) -> datetime:
    """Stop the CP's heartbeats; the offline_mode_at the FP holds for it."""
    await site.cp.pause_heartbeats()
    await asyncio.sleep(0.3)
    seen = await site.fp.peer("cp")
    assert seen is not None
    return datetime.fromisoformat(seen["offline_mode_at"])


async def measured_report(site: OscpSite) -> dict[str, Any]:
    for evse, energy in zip(GROUPS["area-1"], (1000, 2500, 4000), strict=True):
        site.snapshots.set(evse, charging=False, energy_wh=energy, at=site.now())
    received = await site.cp.wait_inbox(Endpoint.UPDATE_GROUP_MEASUREMENTS)
    bodies = [m["body"] for m in received if m["body"]["group_id"] == "area-1"]
    assert bodies, received
    return dict(bodies[-1])


def by_direction(body: dict[str, Any]) -> dict[str, Any]:
    return {m["direction"]: m for m in body["measurements"]}


async def test_fr_01_01_fp_sends_aggregated_measurements_to_cp(cp_site: OscpSite) -> None:
    """FR.01.01: The FP SHALL send aggregated measurements to the CP. This MAY be done with the
    same interval as that with which the CP sends Capacity forecasts."""
    body = await measured_report(cp_site)
    measurements = by_direction(body)
    assert measurements["IMPORT"]["value"] == 7500
    assert measurements["IMPORT"]["unit"] == "WH"
    assert measurements["NET"]["value"] == 7500  # net is mandatory (5.6.2)
    assert measurements["IMPORT"]["phase"] == "ALL"


async def test_fr_01_02_lowered_capacity_is_applied_at_once(cp_site: OscpSite) -> None:
    """FR.01.02: When the CP can no longer guarantee the validity of the Capacity (e.g. after
    connection loss of its meters), the CP SHALL update the Consumption Capacity to a value
    that can be guaranteed to be used by the FP in a safe manner.

    The FP side: such an update is accepted even below the fallback in force, applied at once,
    and the fallback never exceeds it."""
    site = cp_site
    await site.send(T.CONSUMPTION, 60)
    await site.send(T.FALLBACK_CONSUMPTION, 40)
    answer = await site.send(T.CONSUMPTION, 10)
    lowered = await site.wait_capacity(
        lambda c: c.forecast_request_id == answer["request_ids"]["fp"]
    )
    assert lowered.current is not None and lowered.current.consumption == 10
    await wait_for_value(lambda: caps_total(site), lambda total: total <= 10)
    await go_offline(site)
    fallback = await site.wait_capacity(is_mode(CapacityMode.FALLBACK), timeout=10)
    assert fallback.current is not None and fallback.current.consumption == 10


async def test_fr_01_03_fallback_capacities_used_when_offline(cp_site: OscpSite) -> None:
    """FR.01.03: The Fallback consumption and Fallback generation Capacity SHALL be used by the
    FP when an offline situation occurs."""
    site = cp_site
    await site.send(T.CONSUMPTION, 60)
    await site.send(T.GENERATION, -30)
    await site.send(T.FALLBACK_CONSUMPTION, 24)
    await site.send(T.FALLBACK_GENERATION, -12)
    normal = await site.wait_capacity(
        lambda c: c.current is not None and c.current.generation == -30
    )
    assert normal.current is not None and normal.current.consumption == 60
    await go_offline(site)
    fallback = await site.wait_capacity(is_mode(CapacityMode.FALLBACK), timeout=10)
    assert fallback.current is not None
    assert (fallback.current.consumption, fallback.current.generation) == (24, -12)
    await wait_for_value(lambda: caps_total(site), lambda total: total <= 24)


async def test_fr_01_04_last_received_forecast_is_used(cp_site: OscpSite) -> None:
    """FR.01.04: The FP SHALL use the Capacity from the last received
    UpdateGroupCapacityForecast message as the new Capacity for its FRs."""
    site = cp_site
    await site.send(T.CONSUMPTION, 30, 30)
    last = await site.send(T.CONSUMPTION, 50)
    capacity = await site.wait_capacity(
        lambda c: c.forecast_request_id == last["request_ids"]["fp"]
    )
    # the new forecast replaces the old one entirely: its second block is gone too
    assert [b.consumption for b in capacity.blocks] == [50]
    await wait_for_value(lambda: caps_total(site), lambda total: 49 <= total <= 50)


async def test_fr_01_05_consumption_capacity_not_negative(cp_site: OscpSite) -> None:
    """FR.01.05: The Consumption Capacity MUST be greater than or equal to 0."""
    status, message = refusal(await cp_site.send(T.CONSUMPTION, 10, -1, expect=502))
    assert status == 400
    assert "FR.01.05" in message
    assert cp_site.capacities() == []
    assert (await cp_site.send(T.CONSUMPTION, 0))["request_ids"]


async def test_fr_01_06_generation_capacity_not_positive(cp_site: OscpSite) -> None:
    """FR.01.06: The Generation Capacity MUST be less than or equal to 0."""
    status, message = refusal(await cp_site.send(T.GENERATION, 5, expect=502))
    assert status == 400
    assert "FR.01.06" in message
    assert (await cp_site.send(T.GENERATION, 0))["request_ids"]


async def test_fr_01_07_fallback_consumption_le_consumption(cp_site: OscpSite) -> None:
    """FR.01.07: The Fallback Consumption Capacity MUST be less than or equal to the
    Consumption Capacity."""
    await cp_site.send(T.CONSUMPTION, 40)
    status, message = refusal(await cp_site.send(T.FALLBACK_CONSUMPTION, 41, expect=502))
    assert status == 400
    assert "FR.01.07" in message
    assert (await cp_site.send(T.FALLBACK_CONSUMPTION, 40))["request_ids"]


async def test_fr_01_08_fallback_generation_against_generation(cp_site: OscpSite) -> None:
    """FR.01.08: The Fallback Generation Capacity MUST be less than or equal to the Generation
    Capacity.

    Contradicted by FR.02.07 (greater than or equal). We enforce FR.02.07: with negative
    generation capacities, FR.01.08 would let the fallback export more than the normal limit
    while the FP is cut off from the grid operator (docs/oscp.md). This test pins that
    decision: a fallback exporting more than allowed is refused naming both requirements."""
    await cp_site.send(T.GENERATION, -10)
    status, message = refusal(await cp_site.send(T.FALLBACK_GENERATION, -20, expect=502))
    assert status == 400
    assert "FR.02.07" in message and "FR.01.08" in message
    assert (await cp_site.send(T.FALLBACK_GENERATION, -5))["request_ids"]


async def test_fr_01_09_optimum_between_generation_and_consumption(site: OscpSite) -> None:
    """FR.01.09: The Optimum MUST be less than or equal to the Consumption Capacity and MUST
    be greater than or equal to the Generation Capacity."""
    await site.send(T.CONSUMPTION, 40)
    await site.send(T.GENERATION, -10)
    await site.wait_capacity(lambda c: c.current is not None and c.current.generation == -10)
    too_high = UpdateGroupCapacityForecast(
        group_id="area-1", type=T.OPTIMUM, forecasted_blocks=site.blocks(41)
    )
    answer = await site.co.send_optimum(too_high, expect=502)
    assert answer["errors"]["fp"]["status"] == 400
    assert "FR.01.09" in answer["errors"]["fp"]["message"]
    too_low = too_high.model_copy(update={"forecasted_blocks": site.blocks(-11)})
    answer = await site.co.send_optimum(too_low, expect=502)
    assert "FR.01.09" in answer["errors"]["fp"]["message"]
    fine = too_high.model_copy(update={"forecasted_blocks": site.blocks(-10)})
    assert (await site.co.send_optimum(fine))["request_ids"]


async def test_fr_02_01_fp_sends_aggregated_measurements_to_cp(site: OscpSite) -> None:
    """FR.02.01: The FP SHALL send aggregated measurements to the CP. This MAY be done with the
    same interval as that with which the CP sends Capacity forecasts.

    (With a Capacity Optimizer connected: the CP still gets the group's aggregate, the CO the
    assets'.)"""
    body = await measured_report(site)
    assert by_direction(body)["IMPORT"]["value"] == 7500
    assets = await site.co.wait_inbox(Endpoint.UPDATE_ASSET_MEASUREMENTS)
    assert assets[0]["body"]["measurements"][0]["asset_category"] == "CHARGING"


async def test_fr_02_02_cp_alters_capacity_at_any_time(cp_site: OscpSite) -> None:
    """FR.02.02: The CP can alter the Capacity without any limits at any time using the
    UpdateGroupCapacityForecast message."""
    site = cp_site
    for capacity in (20, 90, 5):
        request_id = (await site.send(T.CONSUMPTION, capacity))["request_ids"]["fp"]
        applied = await site.wait_capacity(lambda c, rid=request_id: c.forecast_request_id == rid)
        assert applied.current is not None and applied.current.consumption == capacity
    await wait_for_value(lambda: caps_total(site), lambda total: total <= 5)


async def test_fr_02_03_fallback_of_last_forecast_when_forecasts_stop(cp_site: OscpSite) -> None:
    """FR.02.03: When the FP no longer receives the UpdateGroupCapacityForecast messages from
    the CP, the FP SHALL use the Fallback Capacity from the last received
    UpdateGroupCapacityForecast message as the new Capacity for its FRs."""
    site = cp_site
    await site.send(T.CONSUMPTION, 60)
    await site.send(T.FALLBACK_CONSUMPTION, 30)
    await site.send(T.FALLBACK_CONSUMPTION, 18)  # the last one counts
    await site.wait_capacity(lambda c: c.current is not None and c.current.consumption == 60)
    await go_offline(site)
    fallback = await site.wait_capacity(is_mode(CapacityMode.FALLBACK), timeout=10)
    assert fallback.current is not None and fallback.current.consumption == 18
    await wait_for_value(lambda: caps_total(site), lambda total: total <= 18)


async def test_fr_02_04_consumption_capacity_not_negative(site: OscpSite) -> None:
    """FR.02.04: The Consumption Capacity MUST be greater than or equal to 0."""
    status, message = refusal(await site.send(T.CONSUMPTION, -0.5, expect=502))
    assert status == 400
    assert "FR.02.04" in message
    # the refused forecast was not forwarded to the Capacity Optimizer either
    await asyncio.sleep(0.5)
    assert await site.co.inbox(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST) == []


async def test_fr_02_05_generation_capacity_not_positive(site: OscpSite) -> None:
    """FR.02.05: The Generation Capacity MUST be less than or equal to 0."""
    status, message = refusal(await site.send(T.GENERATION, 0.5, expect=502))
    assert status == 400
    assert "FR.02.05" in message


async def test_fr_02_06_fallback_consumption_le_consumption(site: OscpSite) -> None:
    """FR.02.06: The Fallback Consumption Capacity MUST be less than or equal to the Consumption
    Capacity."""
    await site.send(T.CONSUMPTION, 16)
    status, message = refusal(await site.send(T.FALLBACK_CONSUMPTION, 16.5, expect=502))
    assert status == 400
    assert "FR.02.06" in message


async def test_fr_02_07_fallback_generation_ge_generation(site: OscpSite) -> None:
    """FR.02.07: The Fallback Generation Capacity MUST be greater than or equal to the
    Generation Capacity."""
    await site.send(T.GENERATION, -8)
    status, message = refusal(await site.send(T.FALLBACK_GENERATION, -8.5, expect=502))
    assert status == 400
    assert "FR.02.07" in message
    assert (await site.send(T.FALLBACK_GENERATION, -8))["request_ids"]
