"""Command results on ``MQTT/EVSE/<id>/result/<topic>/<request id>``: OCPP-J frames."""

from __future__ import annotations

import json
from typing import Any

from wiseevp_common.ocpp_topology import OcppTopic, ResultReason

from .station_calls import Publish


def result_frame(request_id: str, payload: dict[str, Any]) -> bytes:
    return json.dumps([3, request_id, payload], separators=(",", ":")).encode()


def error_frame(
    request_id: str, code: str, description: str, details: dict[str, Any] | None = None
) -> bytes:
    frame = [4, request_id, code, description, details or {}]
    return json.dumps(frame, separators=(",", ":"), default=str).encode()


class ResultPublisher:
    def __init__(self, publish: Publish) -> None:
        self._publish = publish

    async def answered(
        self, topic: OcppTopic, evse_id: str, request_id: str, payload: dict[str, Any]
    ) -> None:
        await self._publish(
            topic.result_routing_key(evse_id, request_id), result_frame(request_id, payload)
        )

    async def failed(
        self,
        topic: OcppTopic,
        evse_id: str,
        request_id: str,
        *,
        code: str,
        description: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        await self._publish(
            topic.result_routing_key(evse_id, request_id),
            error_frame(request_id, code, description, details),
        )

    async def wrapper_error(
        self,
        topic: OcppTopic,
        evse_id: str,
        request_id: str,
        *,
        reason: ResultReason,
        description: str,
        code: str = "GenericError",
        **details: Any,
    ) -> None:
        await self.failed(
            topic,
            evse_id,
            request_id,
            code=code,
            description=description,
            details={"reason": reason.value, **details},
        )
