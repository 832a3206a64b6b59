"""Consumer-side CPU per message: the wiseevp ``Bus`` (FastStream + FastDepends) vs. leaner
ways to run the same handler, on a pre-filled quorum queue of EV status messages.

Evidence for ``bench/README.md``: the RT monitor spends most of its CPU per message in the
consumer framework rather than in validation or the database. Each variant consumes the same
``N`` messages (prefetch 256, one ack per message) and runs the same work per message:
``to_delivery`` + ``parse_iop`` (topic match + pydantic validation) + ack. No database.

- ``bus``: the real ``wiseevp_common.bus.Bus.consume_iop`` (what rt_monitor runs).
- ``faststream-no-di``: FastStream ``RabbitBroker(apply_types=False)`` with a decoder that
  hands the message itself to the handler (no FastDepends, no JSON pre-decoding).
- ``aio-pika``: a plain aio-pika consumer.

Usage: ``uv run python bench/consumer_overhead.py [--messages 10000]``. Runs in the bench vhost,
on queues of its own that it deletes afterwards. Prints a table and a JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from faststream import AckPolicy
from faststream.rabbit import Channel, RabbitBroker, RabbitExchange, RabbitMessage
from prometheus_client import CollectorRegistry

from ingest_parts.errors import BenchError  # bench/ is sys.path[0] when run as a script
from ingest_parts.payloads import ev_ids, status_payload
from ingest_parts.space import AMQP_URL, VHOST
from wiseevp_common.bus import Bus, IopMessage
from wiseevp_common.bus.consumer import to_delivery
from wiseevp_common.bus.declare import queue_arguments, rabbit_queue
from wiseevp_common.bus.iop import parse_iop
from wiseevp_common.metrics import BusMetrics
from wiseevp_common.settings import ServiceSettings
from wiseevp_common.topology import EV_TOPICS, IopTopic, QueueSpec

PREFETCH = 256
EXCHANGE = "wiseevp.bench.overhead"
QUEUE = QueueSpec("wiseevp.bench.overhead", (), "consumer overhead bench")
SERVICE = "bench_overhead"


QUEUE_ARGUMENTS = queue_arguments(QUEUE, 5)
"""The RT monitor's queue arguments (quorum, delivery limit, dead-lettering)."""


async def prefill(n: int) -> None:
    """``n`` persistent EV statuses routed like MQTT ones (``MQTT.EV.<id>.status``)."""
    conn = await aio_pika.connect(AMQP_URL, timeout=10)
    async with conn:
        channel = await conn.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=False, auto_delete=False
        )
        queue = await channel.declare_queue(QUEUE.name, durable=True, arguments=QUEUE_ARGUMENTS)
        await queue.bind(exchange, "MQTT.EV.#")
        await queue.purge()
        ids = ev_ids(100)
        base = int(time.time() * 1000)
        remaining = n

        async def lane(k: int) -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                i = remaining
                ev_id = ids[i % len(ids)]
                body = status_payload(ev_id, base + i, i)
                await exchange.publish(
                    aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    routing_key=IopTopic.EV_STATUS.routing_key(ev_id=ev_id),
                )

        await asyncio.gather(*(lane(k) for k in range(256)))


async def delete_queue() -> None:
    conn = await aio_pika.connect(AMQP_URL, timeout=10)
    async with conn:
        channel = await conn.channel()
        with contextlib.suppress(Exception):
            await channel.queue_delete(QUEUE.name)
        with contextlib.suppress(Exception):
            await channel.exchange_delete(EXCHANGE)


class Counter:
    def __init__(self, n: int) -> None:
        self.n = n
        self.count = 0
        self.done = asyncio.Event()

    def hit(self) -> None:
        self.count += 1
        if self.count >= self.n:
            self.done.set()


async def run_bus(counter: Counter) -> Callable[[], Awaitable[None]]:
    settings = ServiceSettings(
        service_name=SERVICE,
        amqp_url=AMQP_URL,
        amqp_prefetch=PREFETCH,
    )
    bus = Bus(settings, metrics=BusMetrics(CollectorRegistry()))

    async def handler(message: IopMessage) -> None:
        counter.hit()

    bus.consume_iop(QUEUE, EV_TOPICS, handler)
    await bus.start()
    return bus.stop


async def run_faststream_no_di(counter: Counter) -> Callable[[], Awaitable[None]]:
    broker = RabbitBroker(
        AMQP_URL,
        apply_types=False,
        ack_policy=AckPolicy.MANUAL,
        default_channel=Channel(prefetch_count=PREFETCH),
        logger=None,
    )

    async def itself(message: RabbitMessage) -> RabbitMessage:
        return message

    async def handler(message: RabbitMessage) -> None:
        raw: AbstractIncomingMessage = message.raw_message
        parse_iop(to_delivery(raw), EV_TOPICS)
        counter.hit()
        await message.ack()

    subscriber = broker.subscriber(
        rabbit_queue(QUEUE, 5),
        RabbitExchange(),
        ack_policy=AckPolicy.MANUAL,
        no_reply=True,
        decoder=itself,
    )
    subscriber(handler)
    await broker.start()
    return broker.stop


async def run_aio_pika(counter: Counter) -> Callable[[], Awaitable[None]]:
    conn = await aio_pika.connect(AMQP_URL, timeout=10)
    channel = await conn.channel()
    await channel.set_qos(prefetch_count=PREFETCH)
    queue = await channel.declare_queue(QUEUE.name, durable=True, arguments=QUEUE_ARGUMENTS)

    async def handler(raw: AbstractIncomingMessage) -> None:
        parse_iop(to_delivery(raw), EV_TOPICS)
        counter.hit()
        await raw.ack()

    await queue.consume(handler)
    return conn.close


VARIANTS: dict[str, Callable[[Counter], Awaitable[Callable[[], Awaitable[None]]]]] = {
    "bus": run_bus,
    "faststream-no-di": run_faststream_no_di,
    "aio-pika": run_aio_pika,
}


async def measure(name: str, n: int, timeout: float) -> dict[str, Any]:
    await prefill(n)
    counter = Counter(n)
    cpu0, t0 = time.process_time(), time.perf_counter()
    stop = await VARIANTS[name](counter)
    try:
        await asyncio.wait_for(counter.done.wait(), timeout)
    except TimeoutError:
        raise BenchError(f"{name}: {counter.count}/{n} handled after {timeout} s") from None
    finally:
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        await stop()
        await delete_queue()
    return {
        "variant": name,
        "messages": n,
        "msgs_per_s": round(n / wall, 1),
        "cpu_us_per_msg": round(1e6 * cpu / n, 1),
    }


async def amain(n: int, timeout: float) -> list[dict[str, Any]]:
    return [await measure(name, n, timeout) for name in VARIANTS]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--messages", type=int, default=10_000)
    p.add_argument("--timeout", type=float, default=120.0)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    try:
        results = asyncio.run(amain(args.messages, args.timeout))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(json.dumps({"ok": False, "error": str(exc)}))
        return 1
    print(f"\nconsumer CPU per message (vhost {VHOST}, prefetch {PREFETCH}, pre-filled queue)")
    for r in results:
        print(
            f"  {r['variant']:<18} {r['msgs_per_s']:>8,.0f} msg/s  "
            f"{r['cpu_us_per_msg']:>6,.0f} µs CPU/msg (consumer process)"
        )
    print(json.dumps({"ok": True, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
