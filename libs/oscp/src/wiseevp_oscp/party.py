"""One OSCP party (FP, CP or CO): the endpoints it serves, its peers and the connection life
cycle — registration, handshake, heartbeats, offline detection — around the role's own
message handlers.

A service builds an :class:`OscpParty` with its role, its handlers for the capacity and
metering messages and a :class:`PartyListener`, adds :meth:`routes` to its HTTP server and
runs :meth:`loops`; it sends with :meth:`send`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import aiohttp
from aiohttp import web
from pydantic import BaseModel

from wiseevp_common.clock import Clock

from .client import OscpClient
from .endpoints import Endpoint, Role, served_by
from .errors import NotConnected, PeerError, PeerUnreachable
from .followups import FollowUps
from .handshake import BehaviourPolicy, Handshakes
from .liveness import Liveness, sleep_or_wake
from .peers import HandshakeState, Peer, Peers, Registration
from .registration import Registrar
from .segments import Reassembler
from .server import Handler, OscpServer

log = logging.getLogger("wiseevp.oscp.party")

HANDSHAKE_INITIATOR: dict[Role, frozenset[Role]] = {
    Role.CP: frozenset({Role.FP}),
    Role.FP: frozenset({Role.CO}),
    Role.CO: frozenset(),
}
"""Who sends Handshake to whom (4.2: only FP and CO serve /handshake)."""

CONNECTION_ENDPOINTS = frozenset(
    {Endpoint.REGISTER, Endpoint.HANDSHAKE, Endpoint.HANDSHAKE_ACKNOWLEDGE, Endpoint.HEARTBEAT}
)


class PartyListener(Protocol):
    async def peer_online(self, peer: Peer) -> None:
        """The handshake with ``peer`` completed (first time or after being offline)."""
        ...

    async def peer_offline(self, peer: Peer) -> None:
        """``peer`` missed its offline_mode_at (or was unregistered)."""
        ...


@dataclass(frozen=True)
class PartyConfig:
    role: Role
    public_url: str
    """Where peers reach us; our base URL is ``<public_url>/oscp/<role>/2.0``."""
    offline_factor: float = 2.0
    """Our heartbeats announce ``offline_mode_at = now + interval x offline_factor``."""
    handshake_retry_s: float = 30.0
    segment_timeout_s: float = 30.0
    request_timeout_s: float = 10.0
    max_segment_bytes: int = 1024 * 1024


class OscpParty:
    def __init__(
        self,
        config: PartyConfig,
        peers: Peers,
        clock: Clock,
        *,
        policy: BehaviourPolicy,
        handlers: Mapping[Endpoint, Handler],
        listener: PartyListener,
    ) -> None:
        own = {s.endpoint for s in served_by(config.role)} - CONNECTION_ENDPOINTS
        if set(handlers) != own:
            raise ValueError(f"a {config.role.title} handles exactly {sorted(own)}")
        self.config = config
        self.role = config.role
        self.peers = peers
        self.clock = clock
        self.listener = listener
        self.followups = FollowUps()
        self.reassembler = Reassembler(clock, config.segment_timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self.client = OscpClient(lambda: self.session, max_segment_bytes=config.max_segment_bytes)
        self.registrar = Registrar(
            config.role,
            config.public_url,
            peers,
            self.client,
            clock,
            on_registered=self._registered,
            on_unregistered=self._unregistered,
        )
        self.handshakes = Handshakes(peers, self.client, clock, policy, self._online)
        self.liveness = Liveness(
            peers,
            self.client,
            clock,
            on_offline=self._offline,
            on_heartbeat_refused=self._heartbeat_refused,
            offline_factor=config.offline_factor,
        )
        self._handshake_wake = asyncio.Event()
        self._handshake_sent: dict[str, datetime] = {}
        all_handlers: dict[Endpoint, Handler] = {
            Endpoint.REGISTER: self.registrar.receive,
            Endpoint.HANDSHAKE: self.handshakes.receive_handshake,
            Endpoint.HANDSHAKE_ACKNOWLEDGE: self.handshakes.receive_acknowledge,
            Endpoint.HEARTBEAT: self._heartbeat,
            **handlers,
        }
        served = {s.endpoint for s in served_by(config.role)}
        self.server = OscpServer(
            config.role,
            peers,
            {e: h for e, h in all_handlers.items() if e in served},
            self.reassembler,
            self.followups,
        )

    # -- life cycle (a runner component) -------------------------------------------------

    name = "oscp"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.config.request_timeout_s)
        )
        await self.peers.load()

    async def stop(self) -> None:
        await self.followups.stop()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def healthy(self) -> bool:
        return self._session is not None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the OSCP party is not started")
        return self._session

    def routes(self) -> list[web.RouteDef]:
        return self.server.routes()

    def loops(self) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        return [
            self.liveness.watch,
            self.liveness.beat,
            self.reassembler.run,
            self._keep_handshaken,
        ]

    # -- sending -------------------------------------------------------------------------

    def connected(self, role: Role) -> list[Peer]:
        return [p for p in self.peers.of_role(role) if p.connected]

    async def send(
        self,
        peer: Peer,
        endpoint: Endpoint,
        message: BaseModel,
        *,
        correlation_id: str | None = None,
    ) -> str:
        """Send a message to a connected peer; returns its X-Request-ID."""
        if not peer.connected or peer.token_out is None:
            raise NotConnected(f"{peer.peer_id} is not registered and handshaken")
        try:
            return await self.client.send(
                peer.url(endpoint.value), peer.token_out, message, correlation_id=correlation_id
            )
        except PeerError as exc:
            if exc.status in (401, 403):
                await self._heartbeat_refused(peer)
            raise

    def pause_heartbeats(self, paused: bool) -> None:
        """An outage of this party as its peers see it (an operator or a test): while paused
        it sends no heartbeats and starts no handshakes (else it would handshake again as soon
        as a peer, rightly seeing it offline, stops beating, and the outage would end at
        once); resumed, it handshakes again at once where its peer dropped it (3.4.3)."""
        self.liveness.paused = paused
        if not paused:
            self._handshake_wake.set()

    # -- connection events ---------------------------------------------------------------

    async def _heartbeat(self, inbound: Any) -> None:
        await self.liveness.receive_heartbeat(inbound)

    def _initiates_with(self, peer: Peer) -> bool:
        return peer.role in HANDSHAKE_INITIATOR[self.role]

    async def _registered(self, peer: Peer) -> None:
        if self._initiates_with(peer):
            self._handshake_wake.set()

    async def _unregistered(self, peer: Peer) -> None:
        self.liveness.forget(peer)
        await self.listener.peer_offline(peer)

    async def _online(self, peer: Peer) -> None:
        self._handshake_sent.pop(peer.peer_id, None)
        await self.liveness.connected(peer)
        await self.listener.peer_online(peer)

    async def _offline(self, peer: Peer) -> None:
        await self.listener.peer_offline(peer)
        if self._initiates_with(peer):
            self._handshake_wake.set()

    async def _heartbeat_refused(self, peer: Peer) -> None:
        """The peer says we are not connected: drop the handshake (and redo it if ours)."""
        if peer.handshake is HandshakeState.NONE:
            return
        peer.handshake = HandshakeState.NONE
        await self.peers.save(peer, self.clock.now())
        self.liveness.forget(peer)
        if self._initiates_with(peer):
            self._handshake_wake.set()

    async def _keep_handshaken(self) -> None:
        """Handshake at start-up and after every loss with the peers we initiate with."""
        retry = timedelta(seconds=self.config.handshake_retry_s)
        starting = True  # 2.6.2: "A handshake MUST be instantiated upon startup"
        while True:
            self._handshake_wake.clear()
            now = self.clock.now()
            for peer in self.peers.all():
                if (
                    self.liveness.paused
                    or not self._initiates_with(peer)
                    or peer.registration is not Registration.REGISTERED
                    or (peer.handshake is HandshakeState.COMPLETE and not starting)
                ):
                    continue
                sent = self._handshake_sent.get(peer.peer_id)
                if sent is not None and now - sent < retry:
                    continue
                self._handshake_sent[peer.peer_id] = now
                try:
                    await self.handshakes.initiate(peer.peer_id)
                except (PeerError, PeerUnreachable, NotConnected) as exc:
                    log.warning("handshake failed: %s", exc, extra={"peer": peer.peer_id})
            starting = False
            await sleep_or_wake(self.clock, self.config.handshake_retry_s, self._handshake_wake)
