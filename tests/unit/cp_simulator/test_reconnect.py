"""Resilience: after the central system drops the socket (and refuses connections for a while)
the station reconnects with backoff and delivers every queued transaction message, in order,
with the real transactionIds (OCPP 1.6 §4.7) - no meter value is lost."""

from __future__ import annotations

import itertools
from datetime import datetime

from cp_simulator.config import StationConfig
from cp_simulator.connector import PlugResult
from cp_simulator.ev import Ev
from tests.unit.cp_simulator.central_system import CentralSystem, advance_until, until
from tests.unit.cp_simulator.conftest import simulating
from wiseevp_common.clock import ManualClock


async def test_offline_messages_are_delivered_in_order_after_reconnect(
    central_system: CentralSystem, clock: ManualClock
) -> None:
    cs = central_system
    async with simulating(cs, clock, StationConfig("CP.R1", password="pw")) as sim:
        st = sim.station("CP.R1")
        assert await st.plug_in(1, Ev("EV1", "T1", 60, 20)) is PlugResult.STARTED
        await clock.advance(60)
        await until(lambda: st.counters.meter_values_delivered == 1)  # acknowledged

        cs.refuse = True
        await cs.drop("CP.R1")
        await until(lambda: not st.connected)
        for _ in range(3):
            await clock.advance(60)
        # offline: a second EV starts locally (LocalAuthorizeOffline); its id is not known yet
        assert await st.plug_in(2, Ev("EV2", "T2", 40, 30)) is PlugResult.STARTED
        for _ in range(3):
            await clock.advance(60)
        await st.unplug(1)
        offline = st.stats()
        assert offline["meter_values_queued"] == 3 + 3 + 3  # connector 1: 6, connector 2: 3
        assert offline["tx_messages_queued"] == 9 + 2  # plus StartTransaction 2, Stop 1

        cs.refuse = False
        await advance_until(clock, lambda: st.online, step_s=5)
        await until(lambda: st.stats()["tx_messages_queued"] == 0)
        stats = st.stats()

    assert cs.connects["CP.R1"] == 2
    assert stats["meter_values_produced"] == stats["meter_values_delivered"]
    assert stats["meter_values_dropped"] == 0
    received = [p for p in cs.payloads("CP.R1", "MeterValues")]
    assert len(received) == stats["meter_values_produced"]
    first, second = (p["assigned_transaction_id"] for p in cs.payloads("CP.R1", "StartTransaction"))
    for transaction_id, connector_id in ((first, 1), (second, 2)):
        mine = [p for p in received if p["transaction_id"] == transaction_id]
        assert {p["connector_id"] for p in mine} == {connector_id}
        times = [datetime.fromisoformat(p["meter_value"][0]["timestamp"]) for p in mine]
        gaps = {(b - a).total_seconds() for a, b in itertools.pairwise(times)}
        assert gaps == {60.0}, "one sample a minute, none missing, in order"
    assert len([p for p in received if p["transaction_id"] == first]) == 7
    # StartTransaction of the offline session came before its meter values, which carry its id
    actions = [(a, p.get("transaction_id")) for a, p in cs.received["CP.R1"]]
    start_index = [a for a, _ in actions].index("StartTransaction", 2)
    assert all(
        i > start_index for i, (a, t) in enumerate(actions) if a == "MeterValues" and t == second
    )
    (stop,) = cs.payloads("CP.R1", "StopTransaction")
    assert (stop["transaction_id"], stop["reason"]) == (first, "EVDisconnected")
