"""The EVSE wrapper as a real process, and an AMQP tap on its IOP topics, for tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from wiseevp_cli.processes import free_port
from wiseevp_common.topology import encode_level

from .env import AMQP_URL
from .processes import ServiceProcess


class EvseWrapperProcess(ServiceProcess):
    """``python -m evse_wrapper`` on free ports; ``ws_url(cp)`` is where a station connects."""

    def __init__(self, **env: str) -> None:
        self.ocpp_port = int(env.pop("WISEEVP_OCPP_PORT", 0)) or free_port()
        super().__init__(
            "evse_wrapper",
            WISEEVP_OCPP_PORT=str(self.ocpp_port),
            WISEEVP_OCPP_HOST="127.0.0.1",
            **env,
        )

    def ws_url(self, charge_point_id: str, *, scheme: str = "ws") -> str:
        return f"{scheme}://127.0.0.1:{self.ocpp_port}/ocpp/{quote(charge_point_id, safe='')}"


@dataclass
class Tap:
    """Every message published on ``amq.topic`` under a binding, in arrival order."""

    messages: list[tuple[str, bytes]] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def on(self, routing_key: str) -> list[Any]:
        """Decoded JSON bodies published with exactly this routing key."""
        return [json.loads(body) for key, body in self.messages if key == routing_key]

    async def wait_for(self, routing_key: str, count: int = 1, timeout: float = 10.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.on(routing_key)) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = sorted({k for k, _ in self.messages})
                raise AssertionError(
                    f"{count} message(s) on {routing_key} not seen in {timeout} s; "
                    f"keys seen: {seen}"
                )
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)
        return self.on(routing_key)

    def _add(self, message: AbstractIncomingMessage) -> None:
        self.messages.append((message.routing_key or "", message.body))
        self._arrived.set()


@asynccontextmanager
async def tap(binding: str = "MQTT.EVSE.#") -> AsyncIterator[Tap]:
    """Subscribe (exclusive auto-delete queue) before acting; messages collect in the tap."""
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind("amq.topic", binding)
        collected = Tap()

        async def on_message(message: AbstractIncomingMessage) -> None:
            collected._add(message)
            await message.ack()

        await queue.consume(on_message)
        yield collected
    finally:
        await connection.close()


async def send_command(
    charge_point_id: str, level: str, payload: dict[str, Any] | bytes, request_id: str | None
) -> None:
    """Publish a command on ``MQTT.EVSE.<id>.<level>[.<request id>]`` (persistent)."""
    key = f"MQTT.EVSE.{encode_level(charge_point_id)}.{level}"
    if request_id is not None:
        key += f".{encode_level(request_id)}"
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange("amq.topic")
        await exchange.publish(
            aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), key
        )
    finally:
        await connection.close()


def result_key(charge_point_id: str, level: str, request_id: str) -> str:
    return f"MQTT.EVSE.{encode_level(charge_point_id)}.result.{level}.{encode_level(request_id)}"


def station_key(charge_point_id: str, level: str) -> str:
    return f"MQTT.EVSE.{encode_level(charge_point_id)}.{level}"
