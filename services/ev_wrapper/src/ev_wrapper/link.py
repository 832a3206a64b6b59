"""One MQTT connection per EV, so that each EV has its own last will (status ``nocomm``).

The link publishes the EV's characteristics (retained) on every connect, then its queued
statuses in order, each QoS 1 and acknowledged before it leaves the queue. While the broker is
unreachable statuses are kept (bounded, oldest dropped first) and sent after reconnection.
On a graceful stop the link publishes ``nocomm`` itself, since a clean disconnect does not
fire the will.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass

import aiomqtt

from wiseevp_common.clock import Clock
from wiseevp_common.messages.iop import EvCharacteristics, EvStatus, EvStatusValue
from wiseevp_common.topology import IopTopic, encode_level

from .metrics import WrapperMetrics
from .privacy import public_view
from .settings import EvWrapperSettings

log = logging.getLogger("ev_wrapper.link")

RECONNECT_MIN_S = 0.2
RECONNECT_MAX_S = 10.0


@dataclass(frozen=True)
class Outgoing:
    topic: str
    payload: bytes
    kind: str
    retain: bool = True


def nocomm(ev_id: str, clock: Clock) -> EvStatus:
    return EvStatus(id=ev_id, timestamp=clock.now(), status=EvStatusValue.NOCOMM)


class EvLink:
    def __init__(
        self, ev_id: str, settings: EvWrapperSettings, clock: Clock, metrics: WrapperMetrics
    ) -> None:
        self.ev_id = ev_id
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        self.characteristics: EvCharacteristics | None = None
        self.last_status: EvStatus | None = None
        self.connected = False
        self._queue: deque[Outgoing] = deque()
        self._wakeup = asyncio.Event()

    # -- what the publisher feeds -------------------------------------------------------
    def set_characteristics(self, ev: EvCharacteristics) -> None:
        changed = ev != self.characteristics
        self.characteristics = ev
        if changed and self.connected:
            self._push(self._characteristics_message(ev), front=True)

    def push_status(self, status: EvStatus) -> None:
        self.last_status = status
        self._push(Outgoing(IopTopic.EV_STATUS.topic(ev_id=self.ev_id), status.to_json(), "status"))
        public = public_view(status, self.settings.public_grid_deg)
        self._push(Outgoing(IopTopic.EV_PUBLIC.topic(ev_id=self.ev_id), public.to_json(), "public"))

    def _push(self, message: Outgoing, *, front: bool = False) -> None:
        if front:
            self._queue.appendleft(message)
        else:
            if len(self._queue) >= self.settings.mqtt_buffer:
                self._queue.popleft()
                self.metrics.dropped.inc()
            self._queue.append(message)
        self.metrics.buffered.inc()
        self._wakeup.set()

    def _characteristics_message(self, ev: EvCharacteristics) -> Outgoing:
        topic = IopTopic.EV_CHARACTERISTICS.topic(ev_id=self.ev_id)
        return Outgoing(topic, ev.to_json(), "characteristics")

    # -- the connection -------------------------------------------------------------------
    def _client(self) -> aiomqtt.Client:
        will = aiomqtt.Will(
            IopTopic.EV_STATUS.topic(ev_id=self.ev_id),
            nocomm(self.ev_id, self.clock).to_json(),
            qos=IopTopic.EV_STATUS.qos,
            retain=True,
        )
        return aiomqtt.Client(
            self.settings.mqtt_host,
            self.settings.mqtt_port,
            username=self.settings.mqtt_username,
            password=self.settings.mqtt_password,
            identifier=f"wiseevp-ev-{encode_level(self.ev_id)}",
            will=will,
            clean_session=True,
            keepalive=30,
            max_inflight_messages=self.settings.mqtt_max_inflight,
            timeout=10,
        )

    async def run(self) -> None:
        """Keep the EV's connection up and its queue drained until cancelled."""
        delay = RECONNECT_MIN_S
        while True:
            try:
                async with self._client() as client:
                    self.connected = True
                    self.metrics.connected.inc()
                    delay = RECONNECT_MIN_S
                    try:
                        await self._serve(client)
                    finally:
                        self.connected = False
                        self.metrics.connected.dec()
            except aiomqtt.MqttError as exc:
                log.warning("MQTT link of %s down (%s); retrying in %.1f s", self.ev_id, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)

    async def _serve(self, client: aiomqtt.Client) -> None:
        if self.characteristics is not None:
            await self._send(client, self._characteristics_message(self.characteristics))
        if self.last_status is not None and not self._queue:
            # the EV is reachable again: re-assert its status (as of now) over the nocomm
            # that the will of the previous connection may have left
            self.push_status(self.last_status.model_copy(update={"timestamp": self.clock.now()}))
        try:
            while True:
                await self._drain(client)
                self._wakeup.clear()
                if not self._queue:
                    await self._wakeup.wait()
        except asyncio.CancelledError:
            await self._say_goodbye(client)
            raise

    async def _drain(self, client: aiomqtt.Client) -> None:
        """Publish queued messages in windows; each leaves the queue only once acknowledged."""
        window = self.settings.mqtt_max_inflight
        while self._queue:
            batch = [self._queue[i] for i in range(min(window, len(self._queue)))]
            await asyncio.gather(*(self._send(client, m) for m in batch))
            for _ in batch:
                self._queue.popleft()
                self.metrics.buffered.dec()

    async def _send(self, client: aiomqtt.Client, message: Outgoing) -> None:
        await client.publish(message.topic, message.payload, qos=1, retain=message.retain)
        self.metrics.published.labels(message.kind).inc()

    async def _say_goodbye(self, client: aiomqtt.Client) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._drain(client), timeout=5)
        with contextlib.suppress(Exception):
            message = nocomm(self.ev_id, self.clock)
            topic = IopTopic.EV_STATUS.topic(ev_id=self.ev_id)
            await asyncio.wait_for(client.publish(topic, message.to_json(), qos=1, retain=True), 2)
