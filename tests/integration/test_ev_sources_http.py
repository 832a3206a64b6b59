"""The EV wrapper's HTTP ingestion routes (Crevillent) against a real HTTP client, and a real
``ev_wrapper`` process publishing posted statuses to MQTT."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from ev_wrapper.sources.http_ingest import HttpIngestSource
from tests.support.ev_source_harness import T0, mqtt_statuses, next_status, running
from tests.support.processes import ServiceProcess
from tests.support.recording_sink import RecordingSink
from wiseevp_common.clock import ManualClock
from wiseevp_common.http import HttpServer, build_app
from wiseevp_common.messages.iop import EvStatusValue

pytestmark = [pytest.mark.integration]

TOKEN = "phone-app-token-0123456789"


def characteristics_body(ev_id: str) -> dict[str, Any]:
    return {
        "id": ev_id,
        "name": "Renault Kangoo Z.E.",
        "connector": {"type": "mennekes", "power": "7.4"},
        "capacity": 33,
    }


def status_body(ev_id: str, at: datetime, **changes: Any) -> dict[str, Any]:
    return {
        "id": ev_id,
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "status": "charging",
        "soc": 55.5,
        "autonomy": 95,
        "coordinates": [-0.6527, 38.2494],
        "travelledDistance": 12000,
    } | changes


async def test_http_ingest_routes_validate_authenticate_and_accept() -> None:
    clock = ManualClock(T0)
    source = HttpIngestSource("CREVILLENT", TOKEN, clock, max_future_s=300)
    sink = RecordingSink()
    server = HttpServer(build_app(CollectorRegistry(), {}, source.routes), "127.0.0.1", 0)
    await server.start()
    base = f"http://127.0.0.1:{server.port}/api/v1/ingest/evs"
    ev = "CREVILLENT-00002"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        async with running(source, sink), aiohttp.ClientSession() as http:

            async def call(
                method: str, path: str, body: Any, headers: dict[str, str] | None = None
            ) -> tuple[int, Any]:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                async with http.request(
                    method,
                    f"{base}/{path}",
                    data=data,
                    headers=auth if headers is None else headers,
                ) as resp:
                    if resp.status == 401:
                        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
                    return resp.status, await resp.json()

            await asyncio.sleep(0)  # let the source start
            assert await source.healthy()
            chars = characteristics_body(ev)
            assert await call("PUT", f"{ev}/characteristics", chars, {}) == (
                401,
                {"message": "missing or wrong bearer token"},
            )
            wrong = {"Authorization": "Bearer phone-app-token-0123456788"}
            assert (await call("PUT", f"{ev}/characteristics", chars, wrong))[0] == 401

            status, body = await call("POST", f"{ev}/status", status_body(ev, T0))
            assert status == 409 and "PUT them before" in body["message"]

            status, body = await call("PUT", f"{ev}/characteristics", b"{oops")
            assert status == 400 and body["message"].startswith("invalid body")
            status, body = await call("PUT", f"{ev}/characteristics", chars | {"capacity": 0})
            assert status == 400 and "capacity" in body["message"]
            status, body = await call("PUT", "CREVILLENT-00003/characteristics", chars)
            assert status == 400 and "path" in body["message"]
            other = characteristics_body("PARTAGO-00001")
            status, body = await call("PUT", "PARTAGO-00001/characteristics", other)
            assert status == 403
            assert sink.seen_characteristics == []

            assert await call("PUT", f"{ev}/characteristics", chars) == (
                202,
                {"id": ev, "accepted": "characteristics"},
            )
            assert [c.capacity for c in sink.seen_characteristics] == [33]

            status, _ = await call(
                "POST", f"{ev}/status", status_body(ev, T0 - timedelta(seconds=5))
            )
            assert status == 202
            posted = sink.seen_statuses[-1]
            assert (posted.status, posted.soc, posted.coordinates) == (
                EvStatusValue.CHARGING,
                55.5,
                (-0.6527, 38.2494),
            )
            ahead = status_body(ev, T0 + timedelta(minutes=10))
            status, body = await call("POST", f"{ev}/status", ahead)
            assert status == 400 and "ahead" in body["message"]
            await clock.advance(600)  # the wrapper's clock catches up with the phone
            assert (await call("POST", f"{ev}/status", ahead))[0] == 202

            async with http.get(f"{base}/{ev}/status") as resp:
                assert resp.status == 405
                assert "message" in await resp.json()
            huge = b'{"id": "' + b"x" * (2 * 1024 * 1024) + b'"}'
            async with http.post(f"{base}/{ev}/status", data=huge, headers=auth) as resp:
                assert resp.status == 413
                assert "message" in await resp.json()
            assert len(sink.seen_statuses) == 2
            assert source.metrics.value("rejected_401") == 2
            assert source.metrics.value("rejected_400") == 4
    finally:
        await server.stop()


async def test_http_wrapper_process_publishes_posted_statuses_to_mqtt(org: str) -> None:
    wrapper = ServiceProcess(
        "ev_wrapper", WISEEVP_SOURCE="http", WISEEVP_ORGANISATION=org, WISEEVP_INGEST_TOKEN=TOKEN
    )
    ev_id = f"{org}-00001"
    base = f"{wrapper.url}/api/v1/ingest/evs/{ev_id}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with mqtt_statuses(ev_id) as statuses, aiohttp.ClientSession(headers=auth) as http:
        await wrapper.started()
        try:
            async with http.put(f"{base}/characteristics", json=characteristics_body(ev_id)) as r:
                assert r.status == 202, await r.text()
            at = datetime.now(UTC).replace(microsecond=0)
            async with http.post(f"{base}/status", json=status_body(ev_id, at)) as r:
                assert r.status == 202, await r.text()
            published = await next_status(statuses, lambda s: s["status"] != "nocomm", "posted")
            assert published == status_body(ev_id, at) | {
                "timestamp": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "autonomy": 95.0,
                "travelledDistance": 12000.0,
            }
            async with http.post(
                f"{base}/status", json=status_body(ev_id, at, status="connected", soc=56.0)
            ) as r:
                assert r.status == 202
            await next_status(statuses, lambda s: s["status"] == "connected", "second post")
        finally:
            assert await wrapper.stop() == 0, wrapper.logs()
