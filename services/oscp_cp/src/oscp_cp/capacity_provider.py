"""The Capacity Provider's behaviour towards its Flexibility Providers.

- every message the FP sends (AdjustGroupCapacityForecast, GroupCapacityComplianceError,
  UpdateGroupMeasurements) is accepted (the party's inbox records it);
- with ``grant_adjustments``, an AdjustGroupCapacityForecast is answered, after its 204, with
  an UpdateGroupCapacityForecast of the requested blocks capped by ``max_capacity``
  (X-Correlation-ID: the request's id);
- with a forecast plan, its forecasts go to each connected FP when it comes online and then
  every ``forecast_interval_s``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from decimal import Decimal

from wiseevp_common.clock import Clock
from wiseevp_common.messages.oscp20 import (
    AdjustGroupCapacityForecast,
    ForecastedBlock,
    UpdateGroupCapacityForecast,
)
from wiseevp_oscp.endpoints import Endpoint, Role
from wiseevp_oscp.errors import NotConnected, PeerError, PeerUnreachable
from wiseevp_oscp.liveness import sleep_or_wake
from wiseevp_oscp.party import OscpParty
from wiseevp_oscp.peer_service import send_each
from wiseevp_oscp.peers import Peer
from wiseevp_oscp.server import FollowUp, Handler, Inbound

from .forecast_plan import ForecastPlan, plan_forecasts

log = logging.getLogger("wiseevp.oscp_cp")


def capped(capacity: Decimal, limit: Decimal | None) -> Decimal:
    """``capacity`` with its absolute value at most ``limit`` (sign kept: generation is < 0)."""
    if limit is None:
        return capacity
    return max(-limit, min(capacity, limit))


def granted(
    request: AdjustGroupCapacityForecast, limit: Decimal | None
) -> UpdateGroupCapacityForecast:
    """The forecast answering an adjustment request: its blocks, capped by ``limit``."""
    return UpdateGroupCapacityForecast(
        group_id=request.group_id,
        type=request.type,
        forecasted_blocks=[
            ForecastedBlock(
                capacity=capped(block.capacity, limit),
                phase=block.phase,
                unit=block.unit,
                start_time=block.start_time,
                end_time=block.end_time,
            )
            for block in request.forecasted_blocks
        ],
    )


class CapacityProvider:
    def __init__(
        self,
        clock: Clock,
        *,
        grant_adjustments: bool,
        max_capacity: Decimal | None,
        plan: ForecastPlan | None,
        forecast_interval_s: float,
    ) -> None:
        self.clock = clock
        self.grant_adjustments = grant_adjustments
        self.max_capacity = max_capacity
        self.plan = plan
        self.interval = timedelta(seconds=forecast_interval_s)
        self._party: OscpParty | None = None
        self._next: dict[str, datetime] = {}
        self._wake = asyncio.Event()

    def bind(self, party: OscpParty) -> None:
        """The party sending for us (built after our handlers)."""
        self._party = party

    @property
    def party(self) -> OscpParty:
        if self._party is None:
            raise RuntimeError("the Capacity Provider is not bound to its party")
        return self._party

    def handlers(self) -> dict[Endpoint, Handler]:
        return {
            Endpoint.ADJUST_GROUP_CAPACITY_FORECAST: self.adjust,
            Endpoint.GROUP_CAPACITY_COMPLIANCE_ERROR: self.accept,
            Endpoint.UPDATE_GROUP_MEASUREMENTS: self.accept,
        }

    # -- receiving ---------------------------------------------------------------------

    async def accept(self, inbound: Inbound) -> None:
        """Nothing to do beyond accepting it (the inbox records it)."""
        log.info("received %s", inbound.endpoint.value, extra={"peer": inbound.peer.peer_id})

    async def adjust(self, inbound: Inbound) -> FollowUp | None:
        request = inbound.message
        assert isinstance(request, AdjustGroupCapacityForecast)
        if not self.grant_adjustments:
            return None
        forecast = granted(request, self.max_capacity)
        peer = inbound.peer

        async def grant() -> None:
            try:
                await self.party.send(
                    peer,
                    Endpoint.UPDATE_GROUP_CAPACITY_FORECAST,
                    forecast,
                    correlation_id=inbound.request_id,
                )
            except (PeerError, PeerUnreachable, NotConnected) as exc:
                log.warning("granted forecast not delivered: %s", exc, extra={"peer": peer.peer_id})

        return grant

    # -- the forecast plan -------------------------------------------------------------

    async def peer_online(self, peer: Peer) -> None:
        """A (re)connected FP gets the planned forecasts at once."""
        self._next.pop(peer.peer_id, None)
        self._wake.set()

    async def send_planned(self) -> None:
        """Send the plan's forecasts to each connected FP when due. Runs forever."""
        if self.plan is None:
            return
        while True:
            self._wake.clear()
            now = self.clock.now()
            connected = self.party.connected(Role.FP)
            self._next = {
                p.peer_id: self._next[p.peer_id] for p in connected if p.peer_id in self._next
            }
            for peer in connected:
                if self._next.get(peer.peer_id, now) <= now:
                    self._next[peer.peer_id] = now + self.interval
                    for forecast in plan_forecasts(self.plan, now):
                        await send_each(
                            self.party, [peer], Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, forecast
                        )
            delay = (min(self._next.values()) - now).total_seconds() if self._next else None
            await sleep_or_wake(self.clock, delay, self._wake)
