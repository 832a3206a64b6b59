"""Communication status per station: published (retained) on ``MQTT/EVSE/<id>/connection``
and stored (``station.online`` and the ``connection_event`` history)."""

from __future__ import annotations

from datetime import datetime

from wiseevp_common.messages.evse import CommunicationStatus, EvseConnection
from wiseevp_common.topology import IopTopic

from .registry import Registry
from .station_calls import Publish


class ConnectionStatus:
    def __init__(self, registry: Registry, publish: Publish, instance: str) -> None:
        self._registry = registry
        self._publish = publish
        self._instance = instance

    async def online(self, station_id: str, now: datetime) -> None:
        await self._record(station_id, CommunicationStatus.ONLINE, now, now, None)

    async def offline(
        self, station_id: str, now: datetime, last_seen: datetime | None, reason: str
    ) -> None:
        await self._record(station_id, CommunicationStatus.OFFLINE, now, last_seen, reason)

    async def _record(
        self,
        station_id: str,
        status: CommunicationStatus,
        now: datetime,
        last_seen: datetime | None,
        reason: str | None,
    ) -> None:
        await self._registry.record_connection(
            station_id,
            online=status is CommunicationStatus.ONLINE,
            now=now,
            last_seen=last_seen,
            reason=reason,
            instance=self._instance,
        )
        message = EvseConnection(status=status, since=now, last_seen=last_seen, reason=reason)
        await self._publish(
            IopTopic.EVSE_CONNECTION.routing_key(evse_id=station_id), message.to_json()
        )
