"""Real stations against a tiny central system: boot, heartbeat, sessions, meter values,
remote start/stop, triggers, availability, data transfer, reset."""

from __future__ import annotations

import base64

from ocpp.v16 import call
from ocpp.v16.enums import MessageTrigger, RegistrationStatus

from cp_simulator.config import SimulatorConfig, StationConfig
from cp_simulator.connector import PlugResult
from cp_simulator.ev import Ev
from cp_simulator.simulator import Simulator
from tests.unit.cp_simulator.central_system import CentralSystem, advance_until, sampled, until
from tests.unit.cp_simulator.conftest import simulating
from wiseevp_common.clock import ManualClock


def statuses(cs: CentralSystem, station_id: str, connector_id: int) -> list[str]:
    return [
        p["status"]
        for p in cs.payloads(station_id, "StatusNotification")
        if p["connector_id"] == connector_id
    ]


async def test_boot_heartbeat_session_and_meter_values(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    cs = central_system
    cs.heartbeat_interval = 120
    station = StationConfig("CP.01", vendor="Spotlink", model="Spotlink EVO", password="secret")
    async with simulating(cs, clock, station) as sim:
        st = sim.station("CP.01")
        assert cs.paths == ["/ocpp/CP.01"]
        token = base64.b64encode(b"CP.01:secret").decode()
        assert cs.auth_headers["CP.01"] == f"Basic {token}"
        (boot,) = cs.payloads("CP.01", "BootNotification")
        assert (boot["charge_point_vendor"], boot["charge_point_model"]) == (
            "Spotlink",
            "Spotlink EVO",
        )
        await until(lambda: all(statuses(cs, "CP.01", c) == ["Available"] for c in (0, 1, 2)))

        await clock.advance(120)
        await until(lambda: len(cs.payloads("CP.01", "Heartbeat")) == 1)

        ev = Ev("EV1", "TAG1", capacity_kwh=40, soc=50, target_soc=80, max_ac_w=11_000)
        assert await st.plug_in(1, ev) is PlugResult.STARTED
        for _ in range(3):
            await clock.advance(60)
        await until(lambda: len(cs.payloads("CP.01", "MeterValues")) == 3)
        await st.unplug(1)
        await until(lambda: len(cs.payloads("CP.01", "StopTransaction")) == 1)
        await until(lambda: statuses(cs, "CP.01", 1)[-1] == "Available")

    (start,) = cs.payloads("CP.01", "StartTransaction")
    assert (start["connector_id"], start["id_tag"], start["meter_start"]) == (1, "TAG1", 0)
    values = [sampled(p) for p in cs.payloads("CP.01", "MeterValues")]
    assert {p["transaction_id"] for p in cs.payloads("CP.01", "MeterValues")} == {1001}
    assert [v["Power.Active.Import"] for v in values] == [11_000.0] * 3
    energies = [v["Energy.Active.Import.Register"] for v in values]
    assert energies == sorted(energies) and energies[-1] == round(11_000 * 180 / 3600)
    assert values[0]["SoC"] > 50 and values[0]["Current.Import"] == round(11_000 / 690, 1)
    (stop,) = cs.payloads("CP.01", "StopTransaction")
    assert (stop["transaction_id"], stop["meter_stop"], stop["reason"]) == (
        1001,
        550,
        "EVDisconnected",
    )
    assert statuses(cs, "CP.01", 1) == ["Available", "Preparing", "Charging", "Available"]
    stats = sim.stats()
    assert stats["total"]["meter_values_produced"] == stats["total"]["meter_values_delivered"] == 3
    assert stats["stations"]["CP.01"]["transactions_started"] == 1


async def test_rejected_id_tag_does_not_start(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    central_system.invalid_tags.add("STOLEN")
    async with simulating(central_system, clock, StationConfig("CP-1")) as sim:
        result = await sim.station("CP-1").plug_in(1, Ev("EV", "STOLEN", 40, 50))
    assert result is PlugResult.REJECTED
    assert central_system.payloads("CP-1", "StartTransaction") == []


async def test_remote_start_trigger_remote_stop_availability_and_data_transfer(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    cs = central_system
    async with simulating(cs, clock, StationConfig("CP-2")) as sim:
        st = sim.station("CP-2")
        answer = await cs.call("CP-2", call.RemoteStartTransaction(id_tag="APP1", connector_id=1))
        assert answer.status == "Accepted"
        await until(
            lambda: st.connector(1).tx is not None and st.connector(1).tx.transaction_id is not None
        )  # type: ignore[union-attr]
        (start,) = cs.payloads("CP-2", "StartTransaction")
        assert start["id_tag"] == "APP1"
        assert cs.payloads("CP-2", "Authorize") == []  # AuthorizeRemoteTxRequests is false

        trigger = call.TriggerMessage(requested_message=MessageTrigger.meter_values, connector_id=1)
        assert (await cs.call("CP-2", trigger)).status == "Accepted"
        await until(lambda: len(cs.payloads("CP-2", "MeterValues")) == 1)
        (triggered,) = cs.payloads("CP-2", "MeterValues")
        assert triggered["meter_value"][0]["sampled_value"][0]["context"] == "Trigger"

        stop = call.RemoteStopTransaction(transaction_id=start["assigned_transaction_id"])
        assert (await cs.call("CP-2", stop)).status == "Accepted"
        await until(lambda: len(cs.payloads("CP-2", "StopTransaction")) == 1)
        assert cs.payloads("CP-2", "StopTransaction")[0]["reason"] == "Remote"
        await until(lambda: statuses(cs, "CP-2", 1)[-1] == "Finishing")

        busy = await cs.call("CP-2", call.RemoteStartTransaction(id_tag="APP2", connector_id=1))
        assert busy.status == "Rejected"  # the EV is still plugged after its transaction

        off = await cs.call("CP-2", call.ChangeAvailability(connector_id=2, type="Inoperative"))
        assert off.status == "Accepted"
        await until(lambda: statuses(cs, "CP-2", 2)[-1] == "Unavailable")
        assert await st.plug_in(2) is PlugResult.UNAVAILABLE

        unknown = await cs.call("CP-2", call.DataTransfer(vendor_id="Acme"))
        assert unknown.status == "UnknownVendorId"
        known = await cs.call("CP-2", call.DataTransfer(vendor_id="WiseEVP", message_id="x"))
        assert known.status == "Accepted"


async def test_change_availability_is_scheduled_while_a_transaction_runs(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    cs = central_system
    async with simulating(cs, clock, StationConfig("CP-3")) as sim:
        st = sim.station("CP-3")
        assert await st.plug_in(1, Ev("EV", "T", 40, 50)) is PlugResult.STARTED
        answer = await cs.call("CP-3", call.ChangeAvailability(connector_id=0, type="Inoperative"))
        assert answer.status == "Scheduled"
        await until(lambda: statuses(cs, "CP-3", 2)[-1:] == ["Unavailable"])
        await st.unplug(1)
        await until(lambda: statuses(cs, "CP-3", 1)[-1:] == ["Unavailable"])


async def test_soft_reset_stops_transactions_reconnects_and_boots_again(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    cs = central_system
    async with simulating(cs, clock, StationConfig("CP-4")) as sim:
        st = sim.station("CP-4")
        assert await st.plug_in(1, Ev("EV", "T", 40, 50)) is PlugResult.STARTED
        assert (await cs.call("CP-4", call.Reset(type="Soft"))).status == "Accepted"
        await until(lambda: len(cs.payloads("CP-4", "StopTransaction")) == 1)
        assert cs.payloads("CP-4", "StopTransaction")[0]["reason"] == "SoftReset"
        await until(lambda: not st.connected)
        await advance_until(clock, lambda: cs.connects["CP-4"] == 2)  # after the backoff
        await until(lambda: len(cs.payloads("CP-4", "BootNotification")) == 2)
        await until(lambda: st.online)
    assert sim.stats()["stations"]["CP-4"]["boots_accepted"] == 2


async def test_pending_boot_is_retried_and_a_trigger_boots_at_once(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    cs = central_system
    cs.boot_status = RegistrationStatus.pending
    config = SimulatorConfig(url=cs.url, stations=(StationConfig("CP-P"),), random_arrivals=False)
    async with Simulator(config, clock) as sim:
        st = sim.station("CP-P")
        await until(lambda: len(cs.payloads("CP-P", "BootNotification")) == 1)
        await until(lambda: st.registration is RegistrationStatus.pending)
        keys = await cs.call("CP-P", call.GetConfiguration(key=["NumberOfConnectors"]))
        assert keys.configuration_key[0]["value"] == "2"  # answered while Pending
        await clock.advance(cs.heartbeat_interval)  # the interval of the Pending response
        await until(lambda: len(cs.payloads("CP-P", "BootNotification")) == 2)
        assert cs.payloads("CP-P", "StatusNotification") == []  # nothing before Accepted
        cs.boot_status = RegistrationStatus.accepted
        trigger = call.TriggerMessage(requested_message=MessageTrigger.boot_notification)
        assert (await cs.call("CP-P", trigger)).status == "Accepted"
        await until(lambda: st.online)
        await until(lambda: len(cs.payloads("CP-P", "StatusNotification")) == 3)
        heartbeat = call.TriggerMessage(requested_message=MessageTrigger.heartbeat)
        assert (await cs.call("CP-P", heartbeat)).status == "Accepted"
        await until(lambda: len(cs.payloads("CP-P", "Heartbeat")) == 1)
        status = call.TriggerMessage(
            requested_message=MessageTrigger.status_notification, connector_id=2
        )
        assert (await cs.call("CP-P", status)).status == "Accepted"
        await until(lambda: len(cs.payloads("CP-P", "StatusNotification")) == 4)
        wrong = call.TriggerMessage(requested_message=MessageTrigger.meter_values, connector_id=9)
        assert (await cs.call("CP-P", wrong)).status == "Rejected"
    assert len(cs.payloads("CP-P", "BootNotification")) == 3


async def test_waiting_ev_is_started_remotely_and_unlock_stops_it(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    cs = central_system
    async with simulating(cs, clock, StationConfig("CP-W")) as sim:
        st = sim.station("CP-W")
        assert await st.plug_in(2, Ev("EV", "OWN", 40, 50), present_tag=False) is PlugResult.WAITING
        await until(lambda: statuses(cs, "CP-W", 2)[-1:] == ["Preparing"])
        answer = await cs.call("CP-W", call.RemoteStartTransaction(id_tag="APP"))
        assert answer.status == "Accepted"
        await until(lambda: len(cs.payloads("CP-W", "StartTransaction")) == 1)
        start = cs.payloads("CP-W", "StartTransaction")[0]
        assert (start["connector_id"], start["id_tag"]) == (2, "APP")  # the waiting EV
        assert (await cs.call("CP-W", call.UnlockConnector(connector_id=2))).status == "Unlocked"
        await until(lambda: len(cs.payloads("CP-W", "StopTransaction")) == 1)
        assert cs.payloads("CP-W", "StopTransaction")[0]["reason"] == "UnlockCommand"
