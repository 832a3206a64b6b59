"""Where the test suite finds the real local services; isolated from a running demo.

Tests use the RabbitMQ vhost ``wiseevp_test`` (MQTT user ``wiseevp_test:guest``) and the
PostgreSQL database ``wiseevp_test``; both are created by ``deploy/rabbitmq/setup-local.sh``
and the ``test_database`` fixture. Override with ``WISEEVP_TEST_*`` variables.
"""

from __future__ import annotations

import os

VHOST = os.environ.get("WISEEVP_TEST_VHOST", "wiseevp_test")
"""RabbitMQ vhost and PostgreSQL database of the tests (one name for both)."""
AMQP_URL = os.environ.get("WISEEVP_TEST_AMQP_URL", f"amqp://guest:guest@127.0.0.1:5672/{VHOST}")
POSTGRES_URL = os.environ.get(
    "WISEEVP_TEST_POSTGRES_URL", f"postgresql://postgres@127.0.0.1:5432/{VHOST}"
)
MQTT_HOST = os.environ.get("WISEEVP_TEST_MQTT_HOST", "127.0.0.1")
MQTT_PORT = int(os.environ.get("WISEEVP_TEST_MQTT_PORT", "1884"))
MQTT_USERNAME = os.environ.get("WISEEVP_TEST_MQTT_USERNAME", f"{VHOST}:guest")
MQTT_PASSWORD = os.environ.get("WISEEVP_TEST_MQTT_PASSWORD", "guest")
MANAGEMENT_URL = os.environ.get("WISEEVP_TEST_MANAGEMENT_URL", "http://127.0.0.1:15672")


def service_env(**extra: str) -> dict[str, str]:
    """Environment for a service process under test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WISEEVP_")}
    env.update(
        {
            "WISEEVP_AMQP_URL": AMQP_URL,
            "WISEEVP_POSTGRES_URL": POSTGRES_URL,
            "WISEEVP_MQTT_HOST": MQTT_HOST,
            "WISEEVP_MQTT_PORT": str(MQTT_PORT),
            "WISEEVP_MQTT_USERNAME": MQTT_USERNAME,
            "WISEEVP_MQTT_PASSWORD": MQTT_PASSWORD,
            "WISEEVP_LOG_LEVEL": "INFO",
        }
    )
    env.update(extra)
    return env
