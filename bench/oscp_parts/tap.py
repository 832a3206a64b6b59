"""The tap: an exclusive queue on ``amq.topic`` bound to every cap
(``MQTT.EVSE.*.setchargingprofile.*``) and every GroupCapacity (``MQTT.GRID.#``), consumed
without acks in the bench process, so that arrival times share the clock of the send time
(``time.perf_counter``).

The queue is declared and bound with aio-pika and consumed on the aiormq channel under it
(as the OCPP bench's tap): aio-pika would build an ``IncomingMessage`` and start one more
task for every delivery, about 1.5 times the tap's CPU per message, taken from the cores the
gateway and the broker share.

With ``command_queue`` the EVSE wrapper's command queue is declared too, as the wrapper
declares it (durable quorum queue, its bindings): in production every cap is stored there, so
its publisher confirmation waits for the quorum queue's write, as it does here.

The callback only stamps and files a message; parsing and checks happen after a forecast is
complete (:mod:`.checks`), off the measured path. A forecast is complete when one cap for
every EVSE of its group and the group's GroupCapacity have arrived (:class:`Expectation`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import AbstractConnection
from aiormq.abc import DeliveredMessage

from ocpp_parts.errors import BenchError
from wiseevp_common.bus.declare import declare_queue
from wiseevp_common.ocpp_topology import EVSE_WRAPPER_COMMANDS
from wiseevp_common.settings import ServiceSettings

from .space import AMQP_URL, CAP_LEVEL, EXCHANGE, TAP_BINDINGS

Arrival = tuple[float, bytes]
"""(``perf_counter`` at arrival, body)."""


@dataclass
class Expectation:
    """What one forecast must produce: a cap for each of ``evse_keys`` (ids as encoded in
    routing keys) and a GroupCapacity on ``capacity_key``."""

    capacity_key: str
    evse_keys: frozenset[str]
    caps: dict[str, Arrival] = field(default_factory=dict)
    capacities: list[Arrival] = field(default_factory=list)
    duplicates: int = 0
    """More than one cap for an EVSE."""
    foreign: int = 0
    """Caps or capacities of another group."""
    late: int = 0
    """Messages after it was complete."""
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def see(self, at: float, key: str, body: bytes) -> None:
        if self.done.is_set():
            self.late += 1
            return
        if key == self.capacity_key:
            self.capacities.append((at, body))
        else:
            parts = key.split(".")
            evse = parts[2] if len(parts) == 5 and parts[3] == CAP_LEVEL else None
            if evse is None or evse not in self.evse_keys:
                self.foreign += 1
            elif evse in self.caps:
                self.duplicates += 1
            else:
                self.caps[evse] = (at, body)
        if self.capacities and len(self.caps) == len(self.evse_keys):
            self.done.set()

    @property
    def complete_at(self) -> float:
        """Arrival of the last awaited message (the forecast's t1)."""
        return max(at for at, _ in (*self.caps.values(), *self.capacities[:1]))

    def describe(self) -> str:
        return (
            f"{len(self.caps)} of {len(self.evse_keys)} caps, {len(self.capacities)} GroupCapacity"
        )


class Tap:
    def __init__(self) -> None:
        self._connection: AbstractConnection | None = None
        self.expecting: Expectation | None = None
        self.unexpected = 0
        """Messages that arrived while no forecast was awaited."""
        self.received = 0

    async def start(self, *, command_queue: bool) -> None:
        self._connection = await aio_pika.connect(AMQP_URL)
        channel = await self._connection.channel()
        if command_queue:
            attempts = ServiceSettings.model_fields["amqp_max_delivery_attempts"].default
            await declare_queue(channel, EVSE_WRAPPER_COMMANDS, attempts)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for key in TAP_BINDINGS:
            await queue.bind(EXCHANGE, key)
        underlay = await channel.get_underlay_channel()
        await underlay.basic_consume(queue.name, self._on_message, no_ack=True)

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _on_message(self, message: DeliveredMessage) -> None:
        at = time.perf_counter()
        self.received += 1
        expecting = self.expecting
        if expecting is None:
            self.unexpected += 1
        else:
            expecting.see(at, message.routing_key or "", message.body)

    def expect(self, capacity_key: str, evse_keys: frozenset[str]) -> Expectation:
        """Await the messages of the next forecast (armed before it is sent)."""
        self.expecting = Expectation(capacity_key, evse_keys)
        return self.expecting

    async def wait(
        self, expectation: Expectation, timeout: float, check: Callable[[], None]
    ) -> None:
        """Until the forecast is complete; ``check`` (raising when the gateway died) runs
        every half second."""
        deadline = time.monotonic() + timeout
        while not expectation.done.is_set():
            check()
            if time.monotonic() > deadline:
                raise BenchError(
                    f"forecast not complete after {timeout:.0f} s: {expectation.describe()}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(expectation.done.wait(), 0.5)

    def release(self) -> Expectation | None:
        """Stop awaiting; later messages count as unexpected."""
        expectation, self.expecting = self.expecting, None
        return expectation
