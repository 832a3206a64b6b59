"""Messages the gateway sends on its own initiative (measurements, adjustment requests,
compliance errors): sent to a connected peer, recorded in ``oscp_fp.sent_message``, failures
logged — a peer being offline never stops the gateway."""

from __future__ import annotations

import logging

from pydantic import BaseModel

from wiseevp_common.clock import Clock
from wiseevp_oscp.endpoints import Endpoint
from wiseevp_oscp.errors import NotConnected, PeerError, PeerUnreachable
from wiseevp_oscp.party import OscpParty

from .forecast_store import ForecastStore

log = logging.getLogger("wiseevp.oscp_fp.sent")


class SentLog:
    def __init__(self, store: ForecastStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._party: OscpParty | None = None

    def attach(self, party: OscpParty) -> None:
        self._party = party

    async def send(
        self,
        peer_id: str,
        endpoint: Endpoint,
        message: BaseModel,
        *,
        group_id: str | None = None,
        correlation_id: str | None = None,
    ) -> str | None:
        """Send and record; the X-Request-ID, or None when it could not be delivered."""
        if self._party is None:
            raise RuntimeError("no OSCP party attached")
        peer = self._party.peers.find(peer_id)
        if peer is None:
            return None
        try:
            request_id = await self._party.send(
                peer, endpoint, message, correlation_id=correlation_id
            )
        except (PeerError, PeerUnreachable, NotConnected) as exc:
            log.warning("%s not delivered: %s", endpoint.value, exc, extra={"peer": peer_id})
            return None
        await self.store.record_sent(
            sent_at=self.clock.now(),
            peer_id=peer_id,
            endpoint=endpoint.value,
            group_id=group_id,
            request_id=request_id,
            correlation_id=correlation_id,
            body=message.model_dump_json(exclude_none=True),
        )
        return request_id
