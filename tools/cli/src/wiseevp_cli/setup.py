"""``wiseevp setup``: check that the broker (AMQP + MQTT plugin) and PostgreSQL answer, create
the database, apply migrations. Prints what is wrong and how to fix it."""

from __future__ import annotations

import asyncio
import socket
import sys

import aio_pika

from wiseevp_common.settings import ServiceSettings, load_settings
from wiseevp_common.storage.postgres import ensure_database

from . import migrate


def _tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


async def check(settings: ServiceSettings) -> list[str]:
    problems = []
    try:
        connection = await aio_pika.connect(str(settings.amqp_url), timeout=5)
        await connection.close()
    except Exception as exc:
        problems.append(
            f"RabbitMQ (AMQP) at {settings.amqp_url.host}:{settings.amqp_url.port}: {exc!r} — "
            "start it (`rabbitmq-server -detached`) and run deploy/local/ensure-services.sh"
        )
    if not _tcp_open(settings.mqtt_host, settings.mqtt_port):
        problems.append(
            f"MQTT plugin not listening on {settings.mqtt_host}:{settings.mqtt_port} — "
            "run deploy/rabbitmq/setup-local.sh (enables rabbitmq_mqtt on WISEEVP_MQTT_PORT)"
        )
    try:
        created = await ensure_database(str(settings.postgres_url))
        if created:
            print(f"created database {settings.postgres_url.path}")
    except Exception as exc:
        problems.append(f"PostgreSQL at {settings.postgres_url.host}: {exc!r}")
    return problems


def run(args: list[str]) -> int:
    settings = load_settings(ServiceSettings, service_name="setup")
    problems = asyncio.run(check(settings))
    for problem in problems:
        print(f"setup: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("setup: RabbitMQ (AMQP + MQTT) and PostgreSQL are ready")
    return migrate.run([])
