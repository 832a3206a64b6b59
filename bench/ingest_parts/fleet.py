"""The simulated EVs: one connected MQTT client per EV."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiomqtt

from wiseevp_common.topology import IopTopic

from .errors import BenchError
from .space import MQTT_HOST, MQTT_PASSWORD, MQTT_PORT, MQTT_USERNAME

MQTT_LOG = logging.getLogger("bench.mqtt")
MQTT_LOG.setLevel(logging.ERROR)  # aiomqtt warns on every publish beyond 10 pending


@dataclass
class SimEv:
    ev_id: str
    client: aiomqtt.Client
    topic: str
    last_ts_ms: int = 0
    seq: int = 0

    def next_ts(self, wanted_ms: int) -> int:
        """Strictly increasing per EV: the history's key is (ev_id, ts) at ms resolution."""
        ts = max(wanted_ms, self.last_ts_ms + 1)
        self.last_ts_ms = ts
        return ts

    async def publish(self, payload: bytes) -> None:
        await self.client.publish(
            self.topic,
            payload,
            qos=IopTopic.EV_STATUS.qos,
            retain=IopTopic.EV_STATUS.retained,
            timeout=60,
        )


@contextlib.asynccontextmanager
async def mqtt_fleet(ids: list[str], inflight: int) -> AsyncIterator[list[SimEv]]:
    """One connected MQTT client per EV (connected 25 at a time), all closed on exit."""
    async with contextlib.AsyncExitStack() as stack:
        evs: list[SimEv] = []
        gate = asyncio.Semaphore(25)

        async def connect(ev_id: str) -> SimEv:
            client = aiomqtt.Client(
                MQTT_HOST,
                MQTT_PORT,
                username=MQTT_USERNAME,
                password=MQTT_PASSWORD,
                identifier=f"wiseevp-bench-{ev_id}",
                clean_session=True,
                keepalive=60,
                timeout=20,
                max_inflight_messages=inflight,
                logger=MQTT_LOG,
            )
            async with gate:
                await stack.enter_async_context(client)
            return SimEv(ev_id, client, IopTopic.EV_STATUS.topic(ev_id=ev_id))

        results = await asyncio.gather(*(connect(i) for i in ids), return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                raise BenchError(f"MQTT connect failed: {r!r}") from r
            evs.append(r)
        yield evs
