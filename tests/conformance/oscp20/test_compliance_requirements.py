"""OSCP 2.0 requirements of 3.4.1.2 (FR.04.01-FR.04.04): the FP cannot comply."""

from __future__ import annotations

import asyncio

from tests.support.oscp_site import GROUPS, OscpSite, answer_caps
from tests.support.waiting import wait_for_value
from wiseevp_common.messages.oscp20 import CapacityForecastType as T
from wiseevp_oscp.endpoints import Endpoint

ERRORS = Endpoint.GROUP_CAPACITY_COMPLIANCE_ERROR


async def test_fr_04_01_non_compliance_reported_as_soon_as_possible(
    compliance_site: OscpSite,
) -> None:
    """FR.04.01: If the FP cannot comply this MUST be mentioned to the CP as soon as possible
    using the GroupCapacityComplianceError message.

    As soon as the last EVSE has answered (well before the wait for silent EVSEs ends)."""
    site = compliance_site
    answer = await site.send(T.CONSUMPTION, 50)
    await answer_caps(await site.wait_caps(), refused={"OSCP-A.2"})
    errors = await site.cp.wait_inbox(ERRORS, timeout=5)
    assert errors[0]["correlation_id"] == answer["request_ids"]["fp"]
    assert "OSCP-A.2" in errors[0]["body"]["message"]


async def test_fr_04_02_exceeding_capacity_means_non_compliance(
    compliance_site: OscpSite,
) -> None:
    """FR.04.02: If the FP has no other option than to exceed the Capacity given by the CP than
    it can be assumed that the FP cannot comply."""
    site = compliance_site
    # the group draws 3 x 11 kW = 47.8 A per phase against a capacity of 20 A
    for evse in GROUPS["area-1"]:
        site.snapshots.set(evse, charging=True, power_w=11_000, energy_wh=500, at=site.now())
    answer = await site.send(T.CONSUMPTION, 20)
    await answer_caps(await site.wait_caps())  # every EVSE applied its cap, yet the load stays
    overload = await wait_for_value(
        lambda: site.cp.inbox(ERRORS),
        lambda errors: any("FR.04.02" in e["body"]["message"] for e in errors),
        what="a compliance error for the overload",
    )
    assert [e for e in overload if "FR.04.02" not in e["body"]["message"]] == []
    overload = [e for e in overload if "FR.04.02" in e["body"]["message"]]
    assert overload[0]["correlation_id"] == answer["request_ids"]["fp"]
    assert "47.8 A" in overload[0]["body"]["message"]


async def test_fr_04_03_still_non_compliant_after_new_forecast(
    compliance_site: OscpSite,
) -> None:
    """FR.04.03: If the FP receives a UpdateGroupCapacityForecast message but still cannot
    comply this MUST be mentioned again using the GroupCapacityComplianceError message."""
    site = compliance_site
    first = await site.send(T.CONSUMPTION, 50)
    await answer_caps(await site.wait_caps(), refused={"OSCP-A.1"})
    await site.cp.wait_inbox(ERRORS)
    second = await site.send(T.CONSUMPTION, 40)
    await answer_caps(await site.wait_caps(count=2), refused={"OSCP-A.1"})
    errors = await site.cp.wait_inbox(ERRORS, count=2)
    assert [e["correlation_id"] for e in errors] == [
        first["request_ids"]["fp"],
        second["request_ids"]["fp"],
    ]


async def test_fr_04_04_compliance_again_sends_no_error(compliance_site: OscpSite) -> None:
    """FR.04.04: If the FP receives a UpdateGroupCapacityForecast message and does not send the
    GroupCapacityComplianceError message it is assumed that the FP can comply again."""
    site = compliance_site
    await site.send(T.CONSUMPTION, 50)
    await answer_caps(await site.wait_caps(), refused={"OSCP-A.3"})
    await site.cp.wait_inbox(ERRORS)
    await site.send(T.CONSUMPTION, 45)
    await answer_caps(await site.wait_caps(count=2))
    await asyncio.sleep(2)
    assert len(await site.cp.inbox(ERRORS)) == 1
