"""BootNotification through the wrapper, driven by the ocpp package's own ChargePoint."""

from __future__ import annotations

import asyncio

import pytest
import websockets
from ocpp.v16 import ChargePoint, call

from tests.support.evse import EvseWrapperProcess, station_key, tap

pytestmark = pytest.mark.integration


async def test_bootnotification_is_answered_and_relayed(evse_wrapper: EvseWrapperProcess) -> None:
    async with (
        tap() as seen,
        websockets.connect(
            evse_wrapper.ws_url("CP.01"),
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        ) as ws,
    ):
        cp = ChargePoint("CP.01", ws)
        reader = asyncio.create_task(cp.start())
        try:
            answer = await cp.call(
                call.BootNotification(charge_point_model="EVO", charge_point_vendor="Spotlink")
            )
            assert answer.status == "Accepted"
            assert answer.interval == 300
            relayed = await seen.wait_for(station_key("CP.01", "bootnotification"))
            assert relayed == [{"chargePointModel": "EVO", "chargePointVendor": "Spotlink"}]
        finally:
            reader.cancel()
