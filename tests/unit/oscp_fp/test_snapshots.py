"""The snapshot models (the RT monitor's answer) and the client of ``/api/v1/evses/snapshot``,
against a stand-in monitor on a local port."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry

from oscp_fp.snapshots import (
    MAX_IDS_PER_REQUEST,
    EvseSnapshot,
    RtMonitorSnapshots,
    SnapshotError,
)
from rt_monitor.evse_snapshot import EvseFacts, OpenTransaction, Sample, snapshot_item
from wiseevp_common.http import HttpServer, build_app

T0 = datetime(2026, 5, 1, 10, tzinfo=UTC)


def unknown(evse_id: str) -> dict[str, Any]:
    return snapshot_item(evse_id, None)


def test_the_models_read_what_the_monitor_writes() -> None:
    facts = EvseFacts(
        statuses={1: "Charging"},
        transactions=[OpenTransaction(42, 1, T0, 1000)],
        samples=[
            Sample(1, "Energy.Active.Import.Register", None, "Outlet", "kWh", 1.5, T0),
            Sample(1, "Power.Active.Import", None, "Outlet", "W", 7200, T0),
        ],
    )
    item = json.loads(json.dumps(snapshot_item("CP.1", facts)))
    snapshot = EvseSnapshot.model_validate(item)
    assert snapshot.known and snapshot.charging
    assert snapshot.energy_import_wh == 1500.0
    assert snapshot.energy_measured_at == T0
    assert snapshot.power_w == 7200.0
    [tx] = snapshot.transactions
    assert (tx.transaction_id, tx.connector_id, tx.started_at, tx.meter_start_wh) == (
        42,
        1,
        T0,
        1000,
    )
    assert (tx.meter_wh, tx.meter_measured_at) == (1500.0, T0)
    assert EvseSnapshot.model_validate({**item, "added_later": 1}) == snapshot  # tolerant
    assert EvseSnapshot.model_validate(unknown("X")) == EvseSnapshot(evse_id="X", known=False)


class FakeMonitor:
    def __init__(self) -> None:
        self.requests: list[list[str]] = []
        self.status = 200
        self.override: Any = None

    async def handle(self, request: web.Request) -> web.Response:
        ids = (await request.json())["evse_ids"]
        self.requests.append(ids)
        if self.status != 200:
            return web.json_response({"message": "evse_ids: bad"}, status=self.status)
        body = self.override or {"evses": [unknown(i) for i in ids]}
        return web.json_response(body)


@pytest.fixture
async def monitor() -> AsyncIterator[tuple[FakeMonitor, str]]:
    fake = FakeMonitor()
    routes = [web.post("/api/v1/evses/snapshot", fake.handle)]
    server = HttpServer(build_app(CollectorRegistry(), {}, routes), "127.0.0.1", 0)
    await server.start()
    try:
        yield fake, f"http://127.0.0.1:{server.port}/"
    finally:
        await server.stop()


async def test_fetch_in_order_and_in_chunks(monitor: tuple[FakeMonitor, str]) -> None:
    fake, url = monitor
    ids = [f"CP.{i}" for i in range(MAX_IDS_PER_REQUEST + 3)]
    async with aiohttp.ClientSession() as session:
        snapshots = await RtMonitorSnapshots(url, session).fetch(ids)
        assert [s.evse_id for s in snapshots] == ids
        assert [len(r) for r in fake.requests] == [MAX_IDS_PER_REQUEST, 3]
        assert await RtMonitorSnapshots(url, session).fetch([]) == []
        assert len(fake.requests) == 2  # nothing asked: no request
        # a session component, started after the client was built
        assert len(await RtMonitorSnapshots(url, lambda: session).fetch(["A"])) == 1


async def test_errors_are_snapshot_errors(monitor: tuple[FakeMonitor, str]) -> None:
    fake, url = monitor
    async with aiohttp.ClientSession() as session:
        client = RtMonitorSnapshots(url, session)
        fake.status = 400
        with pytest.raises(SnapshotError, match=r"answered 400 .*evse_ids: bad"):
            await client.fetch(["A"])
        fake.status = 200
        fake.override = {"evses": [unknown("B")]}
        with pytest.raises(SnapshotError, match="other EVSEs than those asked"):
            await client.fetch(["A"])
        fake.override = {"evses": [{"evse_id": "A"}]}
        with pytest.raises(SnapshotError, match="unexpected answer"):
            await client.fetch(["A"])
        closed = RtMonitorSnapshots("http://127.0.0.1:9", session, timeout_s=2)
        with pytest.raises(SnapshotError, match="unreachable"):
            await closed.fetch(["A"])
