"""The Flexibility Provider's side of OSCP: capacity forecasts in, limits out.

- An UpdateGroupCapacityForecast (from the Capacity Provider, or the Optimum from the
  Capacity Optimizer) is validated (known group, FR.01.05-FR.01.09 / FR.02.04-FR.02.07),
  persisted, answered 204 — then the group's limits are recomputed and published, and a CP
  forecast is forwarded to every connected CO (3.2.2).
- When a Capacity Provider goes offline, its groups switch to their fallback capacities at
  once (FR.01.03, FR.02.03, 3.4.3); when it handshakes again, normal capacities apply again.
- At every block boundary the group's limits in force are published again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime

from wiseevp_common.clock import Clock
from wiseevp_common.messages.grid import GroupCapacity
from wiseevp_common.messages.oscp20 import (
    CapacityForecastType,
    ForecastedBlock,
    GroupCapacityComplianceError,
    UpdateGroupCapacityForecast,
)
from wiseevp_common.messages.oscp20.rules import check_forecast
from wiseevp_oscp.endpoints import Endpoint, Role
from wiseevp_oscp.errors import InvalidPayload, NotConnected, PeerError, PeerUnreachable
from wiseevp_oscp.liveness import sleep_or_wake
from wiseevp_oscp.party import OscpParty
from wiseevp_oscp.peers import Peer
from wiseevp_oscp.server import FollowUp, Handler, Inbound

from .capacity import ForecastInForce, group_capacity
from .forecast_store import ForecastStore, InForce
from .groups import GroupConfig
from .limits import LimitPublisher
from .sent import SentLog

log = logging.getLogger("wiseevp.oscp_fp.gateway")

T = CapacityForecastType
CP_TYPES = frozenset(T)
CO_TYPES = frozenset({T.OPTIMUM})


class Gateway:
    name = "oscp-gateway"

    def __init__(
        self,
        groups: Mapping[str, GroupConfig],
        store: ForecastStore,
        limits: LimitPublisher,
        sent: SentLog,
        clock: Clock,
    ) -> None:
        self.groups = groups
        self.store = store
        self.limits = limits
        self.sent = sent
        self.clock = clock
        self.in_force: InForce = {}
        self.capacities: dict[str, GroupCapacity] = {}
        self._party: OscpParty | None = None
        self._wake = asyncio.Event()

    # -- wiring --------------------------------------------------------------------------

    def attach(self, party: OscpParty) -> None:
        self._party = party
        self.sent.attach(party)
        self.limits.compliance.attach(self.send_compliance_error)

    @property
    def party(self) -> OscpParty:
        if self._party is None:
            raise RuntimeError("the gateway has no OSCP party")
        return self._party

    def handlers(self) -> dict[Endpoint, Handler]:
        return {Endpoint.UPDATE_GROUP_CAPACITY_FORECAST: self.on_forecast}

    async def start(self) -> None:
        self.in_force = await self.store.load()

    async def stop(self) -> None:
        return None

    async def healthy(self) -> bool:
        return True

    # -- forecasts -----------------------------------------------------------------------

    async def on_forecast(self, inbound: Inbound) -> FollowUp:
        forecast = inbound.message
        assert isinstance(forecast, UpdateGroupCapacityForecast)
        peer = inbound.peer
        if forecast.group_id not in self.groups:
            raise InvalidPayload(
                f"unknown group_id {forecast.group_id!r}: this Flexibility Provider has no "
                f"Flexibility Resources in that group"
            )
        allowed = CO_TYPES if peer.role is Role.CO else CP_TYPES
        if forecast.type not in allowed:
            raise InvalidPayload(
                f"a {peer.role.long_name} may not set {forecast.type.value} capacities: "
                f"a Capacity Optimizer sends the OPTIMUM (OSCP 2.4, 3.2.2)"
            )
        held = ForecastInForce(forecast, inbound.request_id, peer.peer_id, self.clock.now())
        group_forecasts = self.in_force.setdefault(forecast.group_id, {})
        violations = check_forecast(
            forecast, {kind: h.forecast for kind, h in group_forecasts.items()}
        )
        if violations:
            reason = "; ".join(str(v) for v in violations)
            await self.store.refuse(held, reason)
            raise InvalidPayload(reason)
        await self.store.accept(held)
        group_forecasts[forecast.type] = held
        log.info(
            "forecast accepted",
            extra={"group": forecast.group_id, "type": forecast.type.value, "peer": peer.peer_id},
        )

        async def apply_and_forward() -> None:
            await self.apply(forecast.group_id, profiles=True)
            if peer.role is Role.CP:
                await self._forward(forecast)

        return apply_and_forward

    async def _forward(self, forecast: UpdateGroupCapacityForecast) -> None:
        """3.2.2 step 4: the FP distributes the CP's forecast to the Capacity Optimizer(s)."""
        for co in self.party.connected(Role.CO):
            try:
                await self.party.send(co, Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, forecast)
            except (PeerError, PeerUnreachable, NotConnected) as exc:
                log.warning("forecast not forwarded: %s", exc, extra={"peer": co.peer_id})

    # -- limits --------------------------------------------------------------------------

    def capacity_provider(self, group_id: str) -> Peer | None:
        """The CP whose forecasts set this group's capacity (the first CP if none yet)."""
        for held in self.in_force.get(group_id, {}).values():
            peer = self.party.peers.find(held.peer_id)
            if peer is not None and peer.role is Role.CP:
                return peer
        cps = self.party.peers.of_role(Role.CP)
        return cps[0] if cps else None

    def cp_online(self, group_id: str) -> bool:
        cp = self.capacity_provider(group_id)
        return cp is not None and cp.online and cp.connected

    def compute(self, group_id: str, now: datetime | None = None) -> GroupCapacity:
        return group_capacity(
            group_id,
            self.in_force.get(group_id, {}),
            cp_online=self.cp_online(group_id),
            now=now or self.clock.now(),
            voltage_v=self.groups[group_id].nominal_voltage_v,
        )

    async def apply(self, group_id: str, *, profiles: bool) -> GroupCapacity:
        capacity = self.compute(group_id)
        self.capacities[group_id] = capacity
        forecasts = self.in_force.get(group_id, {})
        source = forecasts.get(T.CONSUMPTION) or forecasts.get(T.FALLBACK_CONSUMPTION)
        await self.limits.publish(
            capacity,
            self.groups[group_id],
            profiles=profiles,
            forecast=source.forecast if source else None,
        )
        self._wake.set()
        return capacity

    async def send_compliance_error(
        self, group_id: str, forecast_request_id: str, message: str, blocks: list[ForecastedBlock]
    ) -> None:
        """4.4.3: tell the group's CP; X-Correlation-ID names the forecast concerned."""
        cp = self.capacity_provider(group_id)
        if cp is None:
            return
        await self.sent.send(
            cp.peer_id,
            Endpoint.GROUP_CAPACITY_COMPLIANCE_ERROR,
            GroupCapacityComplianceError(message=message, forecasted_blocks=blocks or None),
            group_id=group_id,
            correlation_id=forecast_request_id,
        )

    # -- listener: peers going online / offline ------------------------------------------

    async def peer_online(self, peer: Peer) -> None:
        if peer.role is Role.CP:
            await self._reapply(peer, "capacity provider online: normal capacities apply")

    async def peer_offline(self, peer: Peer) -> None:
        if peer.role is Role.CP:
            await self._reapply(peer, "capacity provider offline: fallback capacities apply")

    async def _reapply(self, peer: Peer, what: str) -> None:
        for group_id in self.groups:
            cp = self.capacity_provider(group_id)
            if cp is not None and cp.peer_id == peer.peer_id and self.in_force.get(group_id):
                log.warning(what, extra={"group": group_id, "peer": peer.peer_id})
                await self.apply(group_id, profiles=True)

    # -- block boundaries ----------------------------------------------------------------

    async def follow_boundaries(self) -> None:
        """Publish every group's limits (and caps) at start-up, and the limits again whenever
        a block boundary passes."""
        for group_id in self.groups:
            if self.in_force.get(group_id):
                # caps again too: those in flight when the gateway stopped may have been lost
                await self.apply(group_id, profiles=True)
        while True:
            self._wake.clear()
            now = self.clock.now()
            upcoming: list[datetime] = []
            for group_id, published in list(self.capacities.items()):
                edges = [t for b in published.blocks for t in (b.start, b.end) if t > published.at]
                if any(t <= now for t in edges):
                    fresh = await self.apply(group_id, profiles=False)
                    edges = [t for b in fresh.blocks for t in (b.start, b.end)]
                upcoming.extend(t for t in edges if t > now)
            delay = (min(upcoming) - now).total_seconds() if upcoming else None
            await sleep_or_wake(self.clock, delay, self._wake)
