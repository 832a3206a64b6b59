"""SetChargingProfile on real stations: V2G discharge on negative limits, NotSupported and
rejecting stations, the vendor max-current key, composite schedules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from ocpp.exceptions import NotSupportedError
from ocpp.v16 import call

from cp_simulator.config import FeatureProfile, Quirk, StationConfig
from cp_simulator.connector import PlugResult
from cp_simulator.ev import Ev
from cp_simulator.station import Station
from tests.unit.cp_simulator.central_system import CentralSystem, sampled, until
from tests.unit.cp_simulator.conftest import T0, simulating
from wiseevp_common.clock import ManualClock

PROFILE_IDS = {"TxProfile": 11, "TxDefaultProfile": 12, "ChargePointMaxProfile": 13}


def tx_profile(limit: float, unit: str = "W", purpose: str = "TxProfile") -> dict[str, Any]:
    return {
        "chargingProfileId": PROFILE_IDS[purpose],
        "stackLevel": 1,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "chargingRateUnit": unit,
            "startSchedule": T0.isoformat(),
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
        },
    }


async def started(st: Station, connector_id: int, ev: Ev) -> int:
    """Plug ``ev`` in and wait for its transactionId."""
    assert await st.plug_in(connector_id, ev) is PlugResult.STARTED
    conn = st.connector(connector_id)
    await until(lambda: conn.tx is not None and conn.tx.transaction_id is not None)
    assert conn.tx is not None and conn.tx.transaction_id is not None
    return conn.tx.transaction_id


async def test_negative_limit_discharges_a_v2g_ev_and_is_reported_as_export(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    cs = central_system
    v2g = StationConfig("V2G-1", v2g=True, model="FastV2G")
    plain = StationConfig("AC-1")
    async with simulating(cs, clock, v2g, plain) as sim:
        st = sim.station("V2G-1")
        ev = Ev("EV", "T", capacity_kwh=60, soc=70, target_soc=90, v2g=True, min_soc=30)
        await started(st, 1, ev)
        answer = await cs.call("V2G-1", call.SetChargingProfile(1, tx_profile(-5000)))
        assert answer.status == "Accepted"
        await clock.advance(60)
        await until(lambda: len(cs.payloads("V2G-1", "MeterValues")) == 1)
        composite = await cs.call("V2G-1", call.GetCompositeSchedule(connector_id=1, duration=600))

        await started(sim.station("AC-1"), 1, Ev("EV2", "T2", 40, 50))
        refused = await cs.call("AC-1", call.SetChargingProfile(1, tx_profile(-5000)))
        assert refused.status == "Rejected"  # not V2G-capable

    value = sampled(cs.payloads("V2G-1", "MeterValues")[0])
    assert value["Power.Active.Export"] == 5000.0
    assert value["Power.Active.Import"] == 0.0
    assert value["Energy.Active.Export.Register"] == round(5000 / 60)
    assert value["Energy.Active.Import.Register"] == 0
    assert value["SoC"] < 70
    assert composite.status == "Accepted"
    assert composite.charging_schedule["charging_schedule_period"] == [
        {"start_period": 0, "limit": -5000.0}
    ]
    assert sim.stats()["stations"]["V2G-1"]["energy_export_wh"] == pytest.approx(5000 / 60, abs=0.1)


async def test_station_without_smart_charging_answers_not_supported_and_quirks(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    cs = central_system
    basic = StationConfig("OLD-1", feature_profiles=(FeatureProfile.CORE,))
    rejecting = StationConfig("REJ-1", quirks=frozenset({Quirk.REJECT_PROFILES}))
    amps = StationConfig("AMP-1", quirks=frozenset({Quirk.AMPS_ONLY}))
    default = tx_profile(11000, purpose="TxDefaultProfile")
    async with simulating(cs, clock, basic, rejecting, amps):
        with pytest.raises(NotSupportedError):
            await cs.call("OLD-1", call.SetChargingProfile(0, default))
        with pytest.raises(NotSupportedError):
            await cs.call(
                "OLD-1", call.ReserveNow(1, (T0 + timedelta(hours=1)).isoformat(), "T", 1)
            )
        assert (await cs.call("REJ-1", call.SetChargingProfile(0, default))).status == "Rejected"
        assert (await cs.call("AMP-1", call.SetChargingProfile(0, default))).status == "Rejected"
        in_amps = tx_profile(16, unit="A", purpose="TxDefaultProfile")
        assert (await cs.call("AMP-1", call.SetChargingProfile(0, in_amps))).status == "Accepted"
        keys = await cs.call("OLD-1", call.GetConfiguration(key=["SupportedFeatureProfiles"]))
    assert keys.configuration_key[0]["value"] == "Core"


async def test_tx_profile_without_transaction_is_rejected_and_limits_apply(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    cs = central_system
    async with simulating(cs, clock, StationConfig("CP-L")) as sim:
        assert (
            await cs.call("CP-L", call.SetChargingProfile(1, tx_profile(4000)))
        ).status == "Rejected"
        default = tx_profile(16, unit="A", purpose="TxDefaultProfile")
        assert (await cs.call("CP-L", call.SetChargingProfile(0, default))).status == "Accepted"
        st = sim.station("CP-L")
        await started(st, 1, Ev("EV", "T", 40, 20, max_ac_w=22_000))
        await started(st, 2, Ev("EV2", "T2", 40, 20, max_ac_w=22_000))
        assert [st.connector(c).power_w for c in (1, 2)] == [16 * 690, 16 * 690]
        cp_max = tx_profile(12000, purpose="ChargePointMaxProfile")
        assert (await cs.call("CP-L", call.SetChargingProfile(0, cp_max))).status == "Accepted"
        assert [st.connector(c).power_w for c in (1, 2)] == [6000, 6000]  # shared
        clear = call.ClearChargingProfile(charging_profile_purpose="ChargePointMaxProfile")
        assert (await cs.call("CP-L", clear)).status == "Accepted"
        assert (await cs.call("CP-L", clear)).status == "Unknown"
        assert st.connector(1).power_w == 16 * 690


async def test_max_charging_current_key_caps_the_power(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    cs = central_system
    station = StationConfig("CP-M", feature_profiles=(FeatureProfile.CORE,))  # no smart charging
    async with simulating(cs, clock, station) as sim:
        await started(sim.station("CP-M"), 1, Ev("EV", "T", 40, 50, max_ac_w=22_000))
        answer = await cs.call(
            "CP-M", call.ChangeConfiguration(key="MaxChargingCurrent", value="10")
        )
        assert answer.status == "Accepted"
        await clock.advance(60)
        await until(lambda: len(cs.payloads("CP-M", "MeterValues")) == 1)
        got = await cs.call("CP-M", call.GetConfiguration(key=["MaxChargingCurrent", "Nope"]))
    value = sampled(cs.payloads("CP-M", "MeterValues")[0])
    assert value["Power.Active.Import"] == 10 * 230 * 3
    assert value["Current.Import"] == 10.0
    assert got.configuration_key == [
        {"key": "MaxChargingCurrent", "readonly": False, "value": "10"}
    ]
    assert got.unknown_key == ["Nope"]


async def test_ignoring_station_accepts_profiles_but_keeps_charging_at_full_power(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    cs = central_system
    liar = StationConfig("LIAR-1", quirks=frozenset({Quirk.IGNORE_PROFILES}))
    async with simulating(cs, clock, liar) as sim:
        st = sim.station("LIAR-1")
        await started(st, 1, Ev("EV", "T", 40, 50, max_ac_w=11_000))
        assert (
            await cs.call("LIAR-1", call.SetChargingProfile(1, tx_profile(2000)))
        ).status == "Accepted"
        assert st.connector(1).power_w == 11_000
