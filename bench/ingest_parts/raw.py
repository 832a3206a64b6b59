"""Raw phase: aio-pika publish → quorum queue → aio-pika consumer in a process of its own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from wiseevp_common.bus.declare import queue_arguments
from wiseevp_common.settings import ServiceSettings
from wiseevp_common.topology import Binding, Exchange, QueueSpec

from .config import Config
from .cpu import CpuMeter
from .errors import BenchError
from .space import AMQP_URL

RAW_QUEUE = QueueSpec(
    "wiseevp.bench.raw",
    (Binding(Exchange.MQTT, "BENCH.raw"),),
    "Raw aio-pika baseline of the ingestion benchmark.",
)
MAX_DELIVERY_ATTEMPTS: int = ServiceSettings.model_fields["amqp_max_delivery_attempts"].default
"""The service default, so the raw queue is declared with the RT monitor's arguments."""
RAW_CONSUMER_FLAG = "--raw-consumer-child"
ENTRY_SCRIPT = Path(__file__).resolve().parents[1] / "ingest.py"
"""Run again with ``RAW_CONSUMER_FLAG``, it becomes the raw consumer (``raw_consumer_child``)."""


@dataclass
class RawResult:
    messages: int
    seconds: float
    publish_seconds: float
    cpu: dict[str, float]

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def raw_queue_arguments(queue_type: str) -> dict[str, Any]:
    """The RT monitor's queue arguments, possibly with another queue type."""
    arguments = queue_arguments(RAW_QUEUE, MAX_DELIVERY_ATTEMPTS)
    arguments["x-queue-type"] = queue_type
    if queue_type != "quorum":
        arguments.pop("x-delivery-limit", None)  # quorum queues only
    return arguments


async def raw_consumer_child(n: int, prefetch: int, timeout: float) -> None:
    """The raw phase's consumer, in a process of its own like the RT monitor: acks each of
    ``n`` messages, then prints the wall-clock time of the last ack as JSON."""
    connection = await aio_pika.connect(AMQP_URL, timeout=10)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        queue = await channel.get_queue(RAW_QUEUE.name, ensure=True)
        acked = 0
        done = asyncio.Event()

        async def on_message(message: AbstractIncomingMessage) -> None:
            nonlocal acked
            await message.ack()
            acked += 1
            if acked >= n:
                done.set()

        await queue.consume(on_message, no_ack=False)
        print("ready", flush=True)
        await asyncio.wait_for(done.wait(), timeout)
        print(json.dumps({"last_ack": time.time(), "acked": acked}), flush=True)
        # stay alive until the parent has read this process's CPU time
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


async def _pump(
    cfg: Config,
    payload: bytes,
    exchange: aio_pika.abc.AbstractExchange,
    meter: CpuMeter,
) -> tuple[float, float, dict[str, float]]:
    """Publish ``raw_messages`` while a consumer process takes them; (publish s, last-ack s,
    CPU seconds per process group)."""
    n = cfg.raw_messages
    routing_key = RAW_QUEUE.bindings[0].routing_key
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ENTRY_SCRIPT),
        RAW_CONSUMER_FLAG,
        str(n),
        str(cfg.raw_prefetch),
        str(cfg.timeout),
        stdout=asyncio.subprocess.PIPE,
    )
    previous_pid, meter.monitor_pid = meter.monitor_pid, child.pid
    try:
        assert child.stdout is not None
        ready = await asyncio.wait_for(child.stdout.readline(), 30)
        if ready.strip() != b"ready":
            raise BenchError(f"raw consumer did not start: {ready!r}")
        before = meter.snapshot()
        remaining = n

        async def publisher() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                message = aio_pika.Message(payload, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
                await exchange.publish(message, routing_key=routing_key)  # awaits its confirm

        started_wall, started = time.time(), time.perf_counter()
        try:
            await asyncio.wait_for(
                asyncio.gather(*(publisher() for _ in range(min(cfg.raw_window, n)))), cfg.timeout
            )
        except TimeoutError:
            raise BenchError(f"raw: publishing not confirmed after {cfg.timeout} s") from None
        published = time.perf_counter()
        try:
            line = await asyncio.wait_for(child.stdout.readline(), cfg.timeout)
        except TimeoutError:
            raise BenchError(f"raw: messages not consumed after {cfg.timeout} s") from None
        if not line:
            raise BenchError("raw: the consumer process ended without a result")
        result = json.loads(line)
        cpu = meter.delta(before, meter.snapshot())
        return published - started, float(result["last_ack"]) - started_wall, cpu
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), 5)
        except TimeoutError:
            child.kill()
            await child.wait()
        meter.monitor_pid = previous_pid


async def run_raw(cfg: Config, payload: bytes, meter: CpuMeter) -> RawResult:
    """A sliding window of ``raw_window`` unconfirmed publishes (``raw_window`` publisher
    coroutines, each awaiting its own confirm) from this process, and one consumer acking each
    message from a process of its own, as the RT monitor is."""
    pub_conn = await aio_pika.connect(AMQP_URL, timeout=10)
    queue: aio_pika.abc.AbstractQueue | None = None
    try:
        channel = await pub_conn.channel(publisher_confirms=True)
        queue = await channel.declare_queue(
            RAW_QUEUE.name, durable=True, arguments=raw_queue_arguments(cfg.raw_queue_type)
        )
        await queue.bind(Exchange.MQTT.value, RAW_QUEUE.bindings[0].routing_key)
        await queue.purge()
        exchange = await channel.get_exchange(Exchange.MQTT.value, ensure=False)
        publish_s, total_s, cpu = await _pump(cfg, payload, exchange, meter)
        return RawResult(cfg.raw_messages, total_s, publish_s, cpu)
    finally:
        if queue is not None:
            with contextlib.suppress(Exception):
                await queue.delete(if_unused=False, if_empty=False)
        with contextlib.suppress(Exception):
            await pub_conn.close()
