"""The client splits a large message into segments (4.1.2.1) that a receiver reassembles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web

from wiseevp_common.clock import ManualClock
from wiseevp_common.messages.oscp20 import (
    CapacityForecastType,
    ForecastedBlock,
    ForecastedBlockUnit,
    PhaseIndicator,
    UpdateGroupCapacityForecast,
)
from wiseevp_oscp.client import OscpClient
from wiseevp_oscp.errors import PeerError
from wiseevp_oscp.segments import Reassembler, parse_segment_headers

START = datetime(2026, 1, 1, tzinfo=UTC)


def forecast(blocks: int) -> UpdateGroupCapacityForecast:
    return UpdateGroupCapacityForecast(
        group_id="g",
        type=CapacityForecastType.CONSUMPTION,
        forecasted_blocks=[
            ForecastedBlock(
                capacity=Decimal(i),
                phase=PhaseIndicator.ALL,
                unit=ForecastedBlockUnit.A,
                start_time=START + timedelta(minutes=15 * i),
                end_time=START + timedelta(minutes=15 * (i + 1)),
            )
            for i in range(blocks)
        ],
    )


class Receiver:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 204

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.read()))
        if self.status != 204:
            return web.json_response({"message": "nope"}, status=self.status)
        return web.Response(status=204)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/x", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield found, f"http://127.0.0.1:{port}/x"
    finally:
        await runner.cleanup()


async def test_large_message_goes_in_ordered_segments_that_reassemble(
    receiver: tuple[Receiver, str],
) -> None:
    found, url = receiver
    message = forecast(60)
    async with aiohttp.ClientSession() as session:
        client = OscpClient(lambda: session, max_segment_bytes=1000)
        first_id = await client.send(url, "tok", message, correlation_id="forecast-1")
    body = message.model_dump_json(exclude_none=True).encode()
    count = -(-len(body) // 1000)
    assert len(found.requests) == count > 3
    reassembler = Reassembler(ManualClock(START), timeout_s=30)
    assembled = None
    for index, (headers, part) in enumerate(reversed(found.requests)):  # any order
        assert headers["Authorization"] == "Token tok"
        segment = parse_segment_headers(headers)
        assert segment is not None and segment[1] == count
        if segment[0] == 1:
            assert headers["X-Request-ID"] == first_id
            assert headers["X-Correlation-ID"] == "forecast-1"
        else:
            assert headers["X-Correlation-ID"] == first_id
        assembled = reassembler.add(
            "peer", headers["X-Request-ID"], headers.get("X-Correlation-ID"), *segment, part
        )
        assert (assembled is None) == (index < count - 1)
    assert assembled is not None
    assert assembled.body == body
    assert assembled.request_id == first_id and assembled.correlation_id == "forecast-1"
    assert UpdateGroupCapacityForecast.model_validate_json(assembled.body) == message


async def test_small_message_is_one_request_without_segment_headers(
    receiver: tuple[Receiver, str],
) -> None:
    found, url = receiver
    async with aiohttp.ClientSession() as session:
        await OscpClient(lambda: session).send(url, "tok", forecast(2))
    [(headers, _)] = found.requests
    assert "X-Segment-Index" not in headers and "X-Correlation-ID" not in headers


async def test_error_answer_raises_with_the_peers_message(
    receiver: tuple[Receiver, str],
) -> None:
    found, url = receiver
    found.status = 403
    async with aiohttp.ClientSession() as session:
        with pytest.raises(PeerError) as raised:
            await OscpClient(lambda: session).send(url, "tok", forecast(1))
    assert raised.value.status == 403 and raised.value.message == "nope"
