"""The tap: a process of its own that consumes every MeterValues.req the wrapper publishes
(an exclusive queue bound to ``MQTT.EVSE.*.metervalues``) and measures CALL → publish: the
arrival time minus the send time the station wrote into the payload.

It is aiormq (the AMQP client under aio-pika) without acks, the cheapest consumer at hand,
so that it takes as little CPU from the wrapper as it can. What it measures ends at the
tap: publish → broker → tap is part of the figure (an upper bound of CALL → publish).
"""

from __future__ import annotations

import time
from typing import Any

import aiormq
from aiormq.abc import DeliveredMessage

from .children import commands, reply
from .frames import micros, read_marker
from .space import AMQP_URL, METER_BINDING
from .stats import summary


async def tap_child(args: list[str]) -> None:
    connection = await aiormq.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        declared = await channel.queue_declare(exclusive=True, auto_delete=True)
        queue = declared.queue
        assert queue is not None
        await channel.queue_bind(queue, "amq.topic", routing_key=METER_BINDING)
        arrivals: list[tuple[float, bytes]] = []

        async def on_message(message: DeliveredMessage) -> None:
            arrivals.append((time.time(), message.body))

        await channel.basic_consume(queue, on_message, no_ack=True)
        reply({"ready": True})
        async for command in commands():
            if command["cmd"] == "report":
                reply(_report(arrivals, command["from"], command["end"]))
                arrivals.clear()
    finally:
        await connection.close()


def _report(arrivals: list[tuple[float, bytes]], start: float, end: float) -> dict[str, Any]:
    """Latencies of the messages sent in [start, end) (ms), and how many arrived in all."""
    latencies: list[float] = []
    unmarked = 0
    lo, hi = micros(start), micros(end)
    for arrived, body in arrivals:
        sent = read_marker(body)
        if sent is None:
            unmarked += 1
        elif lo <= sent < hi:
            latencies.append((micros(arrived) - sent) / 1000)
    return {"total": len(arrivals), "unmarked": unmarked, **summary(latencies)}
