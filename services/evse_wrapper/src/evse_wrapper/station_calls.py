"""What the wrapper answers to each station-initiated CALL, after relaying it to the IOP.

Every request is published on its IOP topic (persistent, confirmed by the broker) *before* the
answer is sent, so a request the station saw answered is never lost; if publishing fails the
station gets a CALLERROR and retries.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from wiseevp_common.clock import Clock
from wiseevp_common.messages.ocpp16 import parse_rfc3339
from wiseevp_common.messages.types import format_iso_ms
from wiseevp_common.ocpp_topology import OcppIop
from wiseevp_common.topology import IopTopic

from .registry import IdTagInfo, Registry
from .timestamps import check_timestamps

Publish = Callable[[str, bytes], Awaitable[None]]
"""(routing key, body) → published and confirmed."""

ROUTING: dict[str, Callable[[str], str]] = {
    "BootNotification": lambda cp: IopTopic.EVSE_BOOTNOTIFICATION.routing_key(evse_id=cp),
    "MeterValues": lambda cp: IopTopic.EVSE_METERVALUES.routing_key(evse_id=cp),
    "StatusNotification": lambda cp: IopTopic.EVSE_STATUS.routing_key(evse_id=cp),
    "StartTransaction": lambda cp: IopTopic.EVSE_STARTTRANSACTION.routing_key(evse_id=cp),
    "StopTransaction": lambda cp: IopTopic.EVSE_STOPTRANSACTION.routing_key(evse_id=cp),
    "Heartbeat": OcppIop.HEARTBEAT.routing_key,
    "Authorize": OcppIop.AUTHORIZE.routing_key,
    "DataTransfer": OcppIop.DATA_TRANSFER.routing_key,
    "DiagnosticsStatusNotification": OcppIop.DIAGNOSTICS_STATUS.routing_key,
    "FirmwareStatusNotification": OcppIop.FIRMWARE_STATUS.routing_key,
}
HANDLED_ACTIONS = frozenset(ROUTING)


def relay_body(payload: dict[str, Any]) -> bytes:
    """The request payload as received (same members, same values, same order)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class StationCalls:
    """Handlers for one station; ``on_boot`` runs once BootNotification was answered."""

    def __init__(
        self,
        station_id: str,
        registry: Registry,
        publish: Publish,
        clock: Clock,
        *,
        heartbeat_interval: int,
        accept_unknown_id_tags: bool,
    ) -> None:
        self.station_id = station_id
        self._registry = registry
        self._publish = publish
        self._clock = clock
        self._heartbeat_interval = heartbeat_interval
        self._accept_unknown = accept_unknown_id_tags
        self.booted = False

    async def __call__(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        check_timestamps(action, payload)
        answer = getattr(self, f"_{action}")
        response: dict[str, Any] = await answer(payload)
        await self._publish(ROUTING[action](self.station_id), relay_body(payload))
        return response

    def _now(self) -> str:
        return format_iso_ms(self._clock.now())

    async def _BootNotification(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        await self._registry.record_boot(self.station_id, payload, self._clock.now())
        self.booted = True
        return {
            "status": "Accepted",
            "currentTime": self._now(),
            "interval": self._heartbeat_interval,
        }

    async def _Heartbeat(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"currentTime": self._now()}

    async def _StatusNotification(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {}

    async def _MeterValues(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {}

    async def _DiagnosticsStatusNotification(  # noqa: N802
        self, payload: dict[str, Any]
    ) -> dict[str, Any]:
        return {}

    async def _FirmwareStatusNotification(  # noqa: N802
        self, payload: dict[str, Any]
    ) -> dict[str, Any]:
        return {}

    async def _DataTransfer(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"status": "Accepted"}

    async def _Authorize(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"idTagInfo": await self._id_tag_info(payload["idTag"])}

    async def _StartTransaction(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        transaction_id = await self._registry.start_transaction(
            self.station_id,
            payload["connectorId"],
            payload["idTag"],
            _parse_time(payload["timestamp"]),
            payload["meterStart"],
            payload.get("reservationId"),
        )
        return {
            "transactionId": transaction_id,
            "idTagInfo": await self._id_tag_info(payload["idTag"]),
        }

    async def _StopTransaction(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        await self._registry.stop_transaction(
            self.station_id,
            payload["transactionId"],
            _parse_time(payload["timestamp"]),
            payload["meterStop"],
        )
        if "idTag" in payload:
            return {"idTagInfo": await self._id_tag_info(payload["idTag"])}
        return {}

    async def _id_tag_info(self, id_tag: str) -> dict[str, Any]:
        info = await self._registry.id_tag(id_tag)
        if info is None:
            info = IdTagInfo("Accepted" if self._accept_unknown else "Invalid")
        elif (
            info.status == "Accepted"
            and info.expiry_date is not None
            and info.expiry_date <= self._clock.now()
        ):
            info = IdTagInfo("Expired", info.expiry_date, info.parent_id_tag)
        out: dict[str, Any] = {"status": info.status}
        if info.expiry_date is not None:
            out["expiryDate"] = format_iso_ms(info.expiry_date)
        if info.parent_id_tag is not None:
            out["parentIdTag"] = info.parent_id_tag
        return out


def _parse_time(value: str) -> datetime:
    return parse_rfc3339(value)
