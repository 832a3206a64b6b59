"""The OSCP gateway keeps its capacities, fallbacks and peers across a restart."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from tests.support.http_json import get_json
from tests.support.oscp_site import is_mode, oscp_site
from wiseevp_common.messages.grid import CapacityMode
from wiseevp_common.messages.oscp20 import CapacityForecastType as T


async def test_capacity_and_fallback_survive_a_gateway_restart(
    fresh_db: asyncpg.Connection, fresh_broker: None, tmp_path: Path
) -> None:
    async with oscp_site(tmp_path, connect_co=False) as site:
        await site.send(T.CONSUMPTION, 60)
        await site.send(T.FALLBACK_CONSUMPTION, 22)
        before = await site.wait_capacity(
            lambda c: c.current is not None and c.current.consumption == 60
        )
        await site.fp.stop()
        await site.fp.started()
        # at start-up the gateway publishes the limits of the forecasts it had
        again = await site.wait_capacity(lambda c: c.at > before.at)
        assert again.current is not None and again.current.consumption == 60
        assert again.forecast_request_id == before.forecast_request_id
        # and serves them to whoever starts now
        status, served = await get_json(f"{site.fp.url}/api/v1/capacities/area-1")
        assert status == 200
        assert served["current"]["consumption"] == 60
        status, _ = await get_json(f"{site.fp.url}/api/v1/capacities/area-2")
        assert status == 404
        # the CP is still registered and handshaken: no new registration was needed
        peer = await site.fp.peer("cp")
        assert peer is not None and peer["registration"] == "registered"
        # and the persisted fallback applies when the CP goes silent
        await site.cp.pause_heartbeats()
        fallback = await site.wait_capacity(is_mode(CapacityMode.FALLBACK), timeout=10)
        assert fallback.current is not None and fallback.current.consumption == 22
