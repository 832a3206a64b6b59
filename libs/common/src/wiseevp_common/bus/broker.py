"""A configured FastStream :class:`RabbitBroker` for a service."""

from __future__ import annotations

import logging

from faststream import AckPolicy
from faststream.rabbit import Channel, RabbitBroker

from ..settings import ServiceSettings


def create_broker(settings: ServiceSettings) -> RabbitBroker:
    """Broker with robust reconnection, publisher confirms, bounded prefetch, manual acks.

    Messages are acknowledged by :mod:`wiseevp_common.bus.consumer` after processing; on
    shutdown FastStream waits (``graceful_timeout``) for in-flight handlers.
    """
    return RabbitBroker(
        str(settings.amqp_url),
        app_id=settings.service_name,
        reconnect_interval=1.0,
        graceful_timeout=30.0,
        ack_policy=AckPolicy.MANUAL,
        default_channel=Channel(prefetch_count=settings.amqp_prefetch, publisher_confirms=True),
        logger=logging.getLogger(f"wiseevp.bus.{settings.service_name}"),
        log_level=logging.DEBUG,
    )
