"""Helpers on the real RabbitMQ of the test vhost (management API and AMQP)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aio_pika
import aiohttp

from .env import AMQP_URL, MANAGEMENT_URL, VHOST

AUTH_HEADERS = {"Authorization": aiohttp.encode_basic_auth("guest", "guest")}


async def list_queues() -> list[dict[str, Any]]:
    url = f"{MANAGEMENT_URL}/api/queues/{quote(VHOST, safe='')}"
    async with aiohttp.ClientSession(headers=AUTH_HEADERS) as http, http.get(url) as resp:
        resp.raise_for_status()
        result: list[dict[str, Any]] = await resp.json()
        return result


async def delete_all_queues() -> None:
    """Start a test from an empty vhost (queues only; exchanges are stateless)."""
    async with aiohttp.ClientSession(headers=AUTH_HEADERS) as http:
        for queue in await list_queues():
            name = quote(queue["name"], safe="")
            url = f"{MANAGEMENT_URL}/api/queues/{quote(VHOST, safe='')}/{name}"
            async with http.delete(url) as resp:
                if resp.status not in (204, 404):
                    resp.raise_for_status()


async def drain(queue: str, *, limit: int = 10_000) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Take (and ack) every message currently in ``queue``."""
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        q = await channel.declare_queue(queue, passive=True)
        taken: list[aio_pika.abc.AbstractIncomingMessage] = []
        while len(taken) < limit:
            message = await q.get(fail=False, no_ack=True)
            if message is None:
                break
            taken.append(message)
        return taken


async def publish_raw(routing_key: str, body: bytes, *, exchange: str = "amq.topic") -> None:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.get_exchange(exchange)
        await ex.publish(
            aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=routing_key,
        )
