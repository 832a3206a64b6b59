"""Clients of the EVSE data path integration tests: a charge point publishing OCPP 1.6
requests over MQTT, and the RT monitor's EVSE history API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import aiomqtt

from tests.support.http_json import get_json
from tests.support.processes import ServiceProcess
from wiseevp_common.topology import MqttTopic

T0 = datetime(2026, 5, 1, 10, tzinfo=UTC)


def iso(minutes: float) -> str:
    return (
        (T0 + timedelta(minutes=minutes)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


class Api:
    def __init__(self, monitor: ServiceProcess, evse_id: str) -> None:
        self.base = f"{monitor.url}/api/v1/evses"
        self.evse = f"{self.base}/{quote(evse_id, safe='')}"

    async def get(self, path: str = "", **query: Any) -> tuple[int, Any]:
        url = self.evse + path + (f"?{urlencode(query)}" if query else "")
        return await get_json(url)

    async def ok(self, path: str = "", **query: Any) -> Any:
        status, body = await self.get(path, **query)
        assert status == 200, body
        return body


class Publisher:
    """An MQTT client of the EVSE wrapper's kind: OCPP 1.6 requests, QoS 1."""

    def __init__(self, client: aiomqtt.Client, evse_id: str) -> None:
        self.client = client
        self.evse_id = evse_id

    async def send(self, topic: MqttTopic[Any], payload: dict[str, Any] | bytes) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        await self.client.publish(topic.topic(evse_id=self.evse_id), body, qos=topic.qos)


def sample(value: str, **fields: str) -> dict[str, str]:
    return {"value": value, **fields}
