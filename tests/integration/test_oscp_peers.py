"""The CP and CO peer services as processes, driven over real HTTP by a Flexibility Provider
party built in the test (the engine's ``OscpParty`` on a memory peer store): registration
both ways, handshakes, heartbeats, forecasts, adjustments, the Optimum and the inboxes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import asyncpg
import pytest

from tests.support.oscp_peers import CoProcess, CpProcess, InProcessFp, OscpAdmin, connect
from tests.support.waiting import wait_for_value
from wiseevp_common.messages.oscp20 import (
    AdjustGroupCapacityForecast,
    AssetCategory,
    AssetMeasurement,
    CapacityForecastType,
    EnergyFlowDirection,
    EnergyMeasurement,
    EnergyMeasurementUnit,
    ForecastedBlock,
    ForecastedBlockUnit,
    GroupCapacityComplianceError,
    InstantaneousMeasurement,
    InstantaneousMeasurementUnit,
    PhaseIndicator,
    RequiredBehaviour,
    UpdateAssetMeasurements,
    UpdateGroupCapacityForecast,
    UpdateGroupMeasurements,
)
from wiseevp_oscp.endpoints import Endpoint, Role
from wiseevp_oscp.errors import PeerError

pytestmark = [pytest.mark.integration]

GROUP = "site-1"
PLAN = """
site-1:
  - {minutes: 15, consumption: 32, fallback_consumption: 8}
  - {minutes: 15, consumption: 16.5, fallback_consumption: 8}
"""


def blocks(*capacities: str) -> list[ForecastedBlock]:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    return [
        ForecastedBlock(
            capacity=Decimal(c),
            phase=PhaseIndicator.ALL,
            unit=ForecastedBlockUnit.A,
            start_time=start + timedelta(minutes=15 * i),
            end_time=start + timedelta(minutes=15 * (i + 1)),
        )
        for i, c in enumerate(capacities)
    ]


def forecast(kind: CapacityForecastType, *capacities: str) -> UpdateGroupCapacityForecast:
    return UpdateGroupCapacityForecast(
        group_id=GROUP, type=kind, forecasted_blocks=blocks(*capacities)
    )


def capacities(message: object) -> list[Decimal]:
    assert isinstance(message, UpdateGroupCapacityForecast)
    return [block.capacity for block in message.forecasted_blocks]


def offline_mode_at(fp: InProcessFp, peer_id: str) -> datetime | None:
    return fp.peer(peer_id).offline_mode_at


@dataclass
class World:
    fp: InProcessFp
    cp: CpProcess
    co: CoProcess


@pytest.fixture
async def world(fresh_db: asyncpg.Connection, tmp_path: Path) -> AsyncIterator[World]:
    """The FP connected to a CP (which registers with it and handshakes, 3.1.1-3.1.2; grants
    adjustments up to 20; sends a forecast plan) and to a CO (with which the FP registers and
    handshakes); everyone asks 1 s heartbeats."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    fp = InProcessFp()
    cp = CpProcess(
        WISEEVP_HEARTBEAT_INTERVAL_S="1",
        WISEEVP_GRANT_ADJUSTMENTS="true",
        WISEEVP_MAX_CAPACITY="20",
        WISEEVP_FORECAST_FILE=str(plan),
        WISEEVP_FORECAST_INTERVAL_S="3600",
        WISEEVP_HANDSHAKE_RETRY_S="2",
    )
    co = CoProcess(WISEEVP_HEARTBEAT_INTERVAL_S="1", WISEEVP_MEASUREMENT_CONFIGURATION="")
    await fp.start()
    try:
        await cp.started()
        await co.started()
        await connect(cp, fp.admin)
        await connect(fp.admin, co)
        yield World(fp, cp, co)
    finally:
        await cp.stop()
        await co.stop()
        await fp.stop()


async def test_registration_handshake_and_heartbeats(world: World) -> None:
    fp, cp, co = world.fp, world.cp, world.co
    for peer_id, role, url in (("cp", Role.CP, cp.url), ("co", Role.CO, co.url)):
        peer = fp.peer(peer_id)
        assert peer.connected and peer.role is role and peer.version == "2.0"
        assert peer.base_url == f"{url}/oscp/{role.value}/2.0"
    # what each peer requires of the FP, stated in its Handshake / HandshakeAcknowledge
    assert fp.peer("cp").their_behaviour == RequiredBehaviour(
        heartbeat_interval=1, measurement_configuration=["CONTINUOUS"]
    )
    assert fp.peer("co").their_behaviour == RequiredBehaviour(
        heartbeat_interval=1, measurement_configuration=[]
    )
    seen_by_cp = await cp.peer("fp")
    assert seen_by_cp is not None
    assert seen_by_cp["their_behaviour"] == {"heartbeat_interval": 1}
    # heartbeats both ways, every second
    beats = await cp.wait_inbox(Endpoint.HEARTBEAT, 2)
    assert {b["peer_id"] for b in beats} == {"fp"}
    await co.wait_inbox(Endpoint.HEARTBEAT, 2)
    for peer_id in ("cp", "co"):
        await wait_for_value(
            partial(offline_mode_at, fp, peer_id),
            lambda at: at is not None and at > datetime.now(UTC),
            what=f"a heartbeat of {peer_id}",
        )
    assert set(fp.online) >= {"cp", "co"}
    # the inbox kept the registration without its token, and the handshake exchange
    (register,) = await cp.inbox(Endpoint.REGISTER)
    assert register["body"]["token"] == "***"
    assert register["body"]["version_url"][0]["base_url"] == fp.admin.url + "/oscp/fp/2.0"
    assert len(await cp.inbox(Endpoint.HANDSHAKE_ACKNOWLEDGE)) == 1
    (handshake,) = await co.inbox(Endpoint.HANDSHAKE)
    assert handshake["body"] == {"required_behaviour": {"heartbeat_interval": 1}}


async def test_cp_plan_forecasts_and_operator_forecast_reach_the_fp(world: World) -> None:
    fp, cp = world.fp, world.cp
    planned = await wait_for_value(
        lambda: [f for f in fp.forecasts if f.peer.peer_id == "cp"],
        lambda found: len(found) >= 2,
        what="the CP's planned forecasts",
    )
    by_type = {
        m.type: m for f in planned if isinstance(m := f.message, UpdateGroupCapacityForecast)
    }
    assert capacities(by_type[CapacityForecastType.CONSUMPTION]) == [32, Decimal("16.5")]
    assert capacities(by_type[CapacityForecastType.FALLBACK_CONSUMPTION]) == [8, 8]

    sent = forecast(CapacityForecastType.CONSUMPTION, "24", "12.25")
    request_ids = (await cp.send_forecast(sent))["request_ids"]
    assert set(request_ids) == {"fp"}
    arrived = await fp.wait_forecast(
        lambda f: f.request_id == request_ids["fp"], "the operator's forecast"
    )
    assert arrived.message == sent and arrived.peer.peer_id == "cp"

    # the FP's refusal is reported with its status and message
    answer = await cp.send_forecast(forecast(CapacityForecastType.CONSUMPTION, "-1"), expect=502)
    assert answer["request_ids"] == {}
    assert answer["errors"]["fp"]["status"] == 400
    assert "FR.01.05" in answer["errors"]["fp"]["message"]
    await cp.send_forecast(sent, peer_id="nobody", expect=404)
    await cp.admin("POST", "/admin/cp/forecast", {"forecast": {}}, expect=400)
    intruder = OscpAdmin(cp.url, Role.CP, "cp", admin_token="wrong")
    await intruder.admin("GET", "/admin/oscp/inbox", expect=401)


async def test_cp_grants_an_adjustment_and_records_what_the_fp_sends(world: World) -> None:
    fp, cp = world.fp, world.cp
    adjust = AdjustGroupCapacityForecast(
        group_id=GROUP,
        type=CapacityForecastType.CONSUMPTION,
        forecasted_blocks=blocks("32", "10.5"),
    )
    adjust_id = await fp.send("cp", Endpoint.ADJUST_GROUP_CAPACITY_FORECAST, adjust)
    answer = await fp.wait_forecast(lambda f: f.correlation_id == adjust_id, "the granted forecast")
    assert capacities(answer.message) == [20, Decimal("10.5")]  # capped by WISEEVP_MAX_CAPACITY
    (recorded,) = await cp.wait_inbox(Endpoint.ADJUST_GROUP_CAPACITY_FORECAST)
    assert recorded["request_id"] == adjust_id
    assert recorded["body"] == adjust.model_dump(mode="json", exclude_none=True)

    measurements = UpdateGroupMeasurements(
        group_id=GROUP,
        measurements=[
            EnergyMeasurement(
                value=Decimal("1234.5"),
                phase=PhaseIndicator.ALL,
                unit=EnergyMeasurementUnit.KWH,
                direction=EnergyFlowDirection.NET,
                measure_time=datetime.now(UTC).replace(microsecond=0),
            )
        ],
    )
    measured_id = await fp.send("cp", Endpoint.UPDATE_GROUP_MEASUREMENTS, measurements)
    (recorded,) = await cp.wait_inbox(Endpoint.UPDATE_GROUP_MEASUREMENTS)
    assert recorded["request_id"] == measured_id and recorded["peer_id"] == "fp"
    assert recorded["body"]["measurements"][0]["value"] == 1234.5

    error = GroupCapacityComplianceError(message="a feeder is down")
    await fp.send("cp", Endpoint.GROUP_CAPACITY_COMPLIANCE_ERROR, error, correlation_id=adjust_id)
    (recorded,) = await cp.wait_inbox(Endpoint.GROUP_CAPACITY_COMPLIANCE_ERROR)
    assert recorded["correlation_id"] == adjust_id
    assert recorded["body"] == {"message": "a feeder is down"}


async def test_co_answers_a_consumption_forecast_with_its_optimum(world: World) -> None:
    fp, co = world.fp, world.co
    consumption = forecast(CapacityForecastType.CONSUMPTION, "32", "10.12345678", "0")
    forecast_id = await fp.send("co", Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, consumption)
    answer = await fp.wait_forecast(lambda f: f.correlation_id == forecast_id, "the optimum")
    assert answer.peer.peer_id == "co"
    assert isinstance(answer.message, UpdateGroupCapacityForecast)
    assert answer.message.type is CapacityForecastType.OPTIMUM
    assert answer.message.group_id == GROUP
    # 0.8 x capacity, rounded to 8 decimals
    assert capacities(answer.message) == [Decimal("25.6"), Decimal("8.09876542"), 0]
    assert [(b.start_time, b.end_time) for b in answer.message.forecasted_blocks] == [
        (b.start_time, b.end_time) for b in consumption.forecasted_blocks
    ]
    (recorded,) = await co.wait_inbox(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST)
    assert recorded["request_id"] == forecast_id

    # a forecast breaking FR.01.05 is refused, naming the rule
    with pytest.raises(PeerError) as refused:
        await fp.send(
            "co",
            Endpoint.UPDATE_GROUP_CAPACITY_FORECAST,
            forecast(CapacityForecastType.CONSUMPTION, "-1"),
        )
    assert refused.value.status == 400 and "FR.01.05" in refused.value.message

    assets = UpdateAssetMeasurements(
        group_id=GROUP,
        measurements=[
            AssetMeasurement(
                asset_id="EVSE-1",
                asset_category=AssetCategory.CHARGING,
                instantaneous_measurement=InstantaneousMeasurement(
                    value=Decimal("7.4"),
                    phase=PhaseIndicator.ALL,
                    unit=InstantaneousMeasurementUnit.KW,
                    measure_time=datetime.now(UTC).replace(microsecond=0),
                ),
            )
        ],
    )
    assets_id = await fp.send("co", Endpoint.UPDATE_ASSET_MEASUREMENTS, assets)
    (recorded,) = await co.wait_inbox(Endpoint.UPDATE_ASSET_MEASUREMENTS)
    assert recorded["request_id"] == assets_id
    assert recorded["body"]["measurements"][0]["asset_id"] == "EVSE-1"

    # the operator can push an optimum of its own
    pushed = forecast(CapacityForecastType.OPTIMUM, "5")
    request_ids = (await co.send_optimum(pushed, peer_id="fp"))["request_ids"]
    arrived = await fp.wait_forecast(lambda f: f.request_id == request_ids["fp"], "the push")
    assert arrived.message == pushed
    # only the consumption forecast was answered
    optimums = [f for f in fp.forecasts if f.peer.peer_id == "co" and f.correlation_id]
    assert [f.correlation_id for f in optimums] == [forecast_id]


async def test_paused_heartbeats_take_the_cp_offline_until_it_handshakes_again(
    world: World,
) -> None:
    fp, cp = world.fp, world.cp

    def from_cp() -> int:
        return len([f for f in fp.forecasts if f.peer.peer_id == "cp"])

    await wait_for_value(from_cp, lambda n: n >= 2, what="the planned forecasts")
    before = from_cp()
    await cp.pause_heartbeats(True)
    await wait_for_value(
        lambda: fp.peer("cp").online, lambda online: not online, what="the CP offline at the FP"
    )
    assert "cp" in fp.offline and not fp.peer("cp").connected
    # the CP's next heartbeat is refused (403): it handshakes again (3.4.3)
    await cp.pause_heartbeats(False)
    await wait_for_value(
        lambda: fp.peer("cp").connected and fp.peer("cp").online,
        bool,
        what="the CP back online at the FP",
    )
    assert len(await cp.inbox(Endpoint.HANDSHAKE_ACKNOWLEDGE)) == 2
    # the planned forecasts are sent again on reconnection
    await wait_for_value(from_cp, lambda n: n >= before + 2, what="the plan after reconnection")
