"""ReserveNow / CancelReservation on a real station."""

from __future__ import annotations

from datetime import timedelta

from ocpp.v16 import call

from cp_simulator.config import StationConfig
from cp_simulator.connector import PlugResult
from cp_simulator.ev import Ev
from tests.unit.cp_simulator.central_system import CentralSystem, until
from tests.unit.cp_simulator.conftest import T0, simulating
from wiseevp_common.clock import ManualClock


def last_status(cs: CentralSystem, station_id: str, connector_id: int) -> str | None:
    found = [
        p["status"]
        for p in cs.payloads(station_id, "StatusNotification")
        if p["connector_id"] == connector_id
    ]
    return found[-1] if found else None


async def test_reserved_connector_admits_only_its_id_tag_or_parent(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    cs = central_system
    cs.parents["FRIEND"] = "FLEET"
    expiry = (T0 + timedelta(hours=1)).isoformat()
    async with simulating(cs, clock, StationConfig("CP-R")) as sim:
        st = sim.station("CP-R")
        answer = await cs.call("CP-R", call.ReserveNow(1, expiry, "GOOD", 7))
        assert answer.status == "Accepted"
        await until(lambda: last_status(cs, "CP-R", 1) == "Reserved")
        taken = await cs.call("CP-R", call.ReserveNow(1, expiry, "OTHER", 8))
        assert taken.status == "Occupied"

        assert await st.plug_in(1, Ev("EV-BAD", "BAD", 40, 50)) is PlugResult.RESERVED
        assert await st.plug_in(1, Ev("EV-GOOD", "GOOD", 40, 50)) is PlugResult.STARTED
        await until(lambda: len(cs.payloads("CP-R", "StartTransaction")) == 1)
        assert cs.payloads("CP-R", "StartTransaction")[0]["reservation_id"] == 7

        fleet = await cs.call("CP-R", call.ReserveNow(2, expiry, "BOSS", 9, parent_id_tag="FLEET"))
        assert fleet.status == "Accepted"
        assert await st.plug_in(2, Ev("EV-F", "FRIEND", 40, 50)) is PlugResult.STARTED
        assert (await cs.call("CP-R", call.CancelReservation(9))).status == "Rejected"  # used

    assert [p["id_tag"] for p in cs.payloads("CP-R", "StartTransaction")] == ["GOOD", "FRIEND"]
    assert cs.payloads("CP-R", "StartTransaction")[1]["reservation_id"] == 9


async def test_reservation_expires_and_can_be_cancelled(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    cs = central_system
    async with simulating(cs, clock, StationConfig("CP-E")):
        soon = (T0 + timedelta(minutes=10)).isoformat()
        assert (await cs.call("CP-E", call.ReserveNow(1, soon, "A", 1))).status == "Accepted"
        later = (T0 + timedelta(hours=2)).isoformat()
        assert (await cs.call("CP-E", call.ReserveNow(2, later, "B", 2))).status == "Accepted"
        await until(lambda: last_status(cs, "CP-E", 2) == "Reserved")
        await clock.advance(11 * 60)
        await until(lambda: last_status(cs, "CP-E", 1) == "Available")
        assert (await cs.call("CP-E", call.CancelReservation(2))).status == "Accepted"
        await until(lambda: last_status(cs, "CP-E", 2) == "Available")
        assert (await cs.call("CP-E", call.ReserveNow(0, later, "C", 3))).status == "Rejected"
