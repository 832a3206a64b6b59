"""Two OSCP parties of the engine (an FP and a CP) in the test process, each on a memory peer
store and a real local aiohttp server, sharing one manual clock: what the engine tests drive.

Time passes only when a test advances the :class:`ManualClock`; :func:`until` waits for the
outcome of real HTTP between the two parties (never for time to pass).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from wiseevp_cli.processes import free_port
from wiseevp_common.clock import Clock
from wiseevp_common.http import HttpServer, build_app
from wiseevp_common.messages.oscp20 import RequiredBehaviour
from wiseevp_oscp.endpoints import Endpoint, Header, Role, base_path, served_by
from wiseevp_oscp.party import CONNECTION_ENDPOINTS, OscpParty, PartyConfig
from wiseevp_oscp.peers import MemoryPeerStore, Peer, Peers
from wiseevp_oscp.policy import ConfiguredPolicy
from wiseevp_oscp.server import Inbound
from wiseevp_oscp.tokens import authorization

FP_REQUIRES = RequiredBehaviour(heartbeat_interval=60)
"""What the FP asks of the CP: a heartbeat every 60 s (offline after 120 s of silence)."""
CP_REQUIRES = RequiredBehaviour(heartbeat_interval=30)
"""What the CP asks of the FP."""
MIN_HEARTBEAT_S = 5


@dataclass(frozen=True)
class Event:
    kind: str
    """``online`` or ``offline``."""
    peer_id: str
    at: datetime
    """The clock's time when the listener was told."""


class Party:
    """One party of ``role``, known to the other as ``name``; handlers record what arrives."""

    def __init__(
        self,
        role: Role,
        name: str,
        clock: Clock,
        required: RequiredBehaviour | None,
        *,
        handshake_retry_s: float = 30.0,
    ) -> None:
        self.role = role
        self.name = name
        self.clock = clock
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.store = MemoryPeerStore()
        self.received: list[Inbound] = []
        self.events: list[Event] = []
        own = {s.endpoint for s in served_by(role)} - CONNECTION_ENDPOINTS
        others = {Role.FP: (Role.CP, Role.CO), Role.CP: (Role.FP,), Role.CO: (Role.FP,)}[role]
        self.party = OscpParty(
            PartyConfig(role, self.url, handshake_retry_s=handshake_retry_s, request_timeout_s=5),
            Peers(self.store),
            clock,
            policy=ConfiguredPolicy(
                required=dict.fromkeys(others, required),
                min_heartbeat_interval_s=MIN_HEARTBEAT_S,
            ),
            handlers=dict.fromkeys(own, self._receive),
            listener=self,
        )
        app = build_app(CollectorRegistry(), {}, self.party.routes())
        self.http = HttpServer(app, "127.0.0.1", self.port)
        self._loops: list[asyncio.Task[None]] = []

    @property
    def base_url(self) -> str:
        return self.url + base_path(self.role)

    async def _receive(self, inbound: Inbound) -> None:
        self.received.append(inbound)

    async def peer_online(self, peer: Peer) -> None:
        self.events.append(Event("online", peer.peer_id, self.clock.now()))

    async def peer_offline(self, peer: Peer) -> None:
        self.events.append(Event("offline", peer.peer_id, self.clock.now()))

    def seen(self, kind: str) -> list[datetime]:
        return [e.at for e in self.events if e.kind == kind]

    def peer(self, peer_id: str) -> Peer:
        return self.party.peers.get(peer_id)

    async def start(self) -> None:
        await self.party.start()
        await self.http.start()

    async def run(self, *loops: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run some of the party's loops (``party.liveness.watch``, ...) until :meth:`stop`;
        returns once they wait on the clock."""
        self._loops += [asyncio.create_task(loop()) for loop in loops]
        for _ in range(10):
            await asyncio.sleep(0)

    async def stop(self) -> None:
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        await self.http.stop()
        await self.party.stop()


async def settle(*parties: Party) -> None:
    """Wait until every follow-up of every party is done (they may start each other's)."""
    for _ in range(4):
        for party in parties:
            await party.party.followups.drain()


async def until(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    """Wait for the outcome of HTTP between the parties (not for clock time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


async def register(cp: Party, fp: Party) -> str:
    """The out-of-band exchange and the registration of ``cp`` with ``fp``; TOKEN_A."""
    token_a = await fp.party.registrar.invite(cp.name, cp.role)
    await cp.party.registrar.expect(fp.name, fp.role, fp.base_url, token_a)
    await cp.party.registrar.register(fp.name)
    await settle(fp, cp)
    return token_a


async def handshake(cp: Party, fp: Party) -> None:
    await cp.party.handshakes.initiate(fp.name)
    await settle(fp, cp)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def message(self) -> str:
        assert isinstance(self.body, dict), self.body
        return str(self.body["message"])


async def call(
    party: Party,
    endpoint: Endpoint,
    body: BaseModel | dict[str, Any] | bytes | None,
    *,
    token: str | None,
    method: str = "POST",
    request_id: str | None = "req-1",
    headers: dict[str, str] | None = None,
) -> Answer:
    """A raw request to one of ``party``'s endpoints, headers as given."""
    sent: dict[str, str] = dict(headers or {})
    if token is not None:
        sent[Header.AUTHORIZATION.value] = authorization(token)
    if request_id is not None:
        sent[Header.REQUEST_ID.value] = request_id
    if isinstance(body, BaseModel):
        data: bytes | None = body.model_dump_json(exclude_none=True).encode()
    elif isinstance(body, dict):
        data = json.dumps(body).encode()
    else:
        data = body
    if data:
        sent.setdefault("Content-Type", "application/json")
    url = f"{party.base_url}/{endpoint.value}"
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url, data=data, headers=sent) as response,
    ):
        text = await response.text()
        parsed = await response.json(content_type=None) if text else None
        return Answer(response.status, parsed, dict(response.headers))
