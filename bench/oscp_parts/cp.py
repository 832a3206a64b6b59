"""The Capacity Provider, in the bench process: the OSCP engine's party (role CP, peers in
memory), served on a free port, registered with the gateway through its operator API and
handshaken by the engine — as ``tests/support/oscp_peers.py`` serves an FP party.

In the bench process rather than the ``oscp_cp`` service, so that a forecast's t0 is taken
right before the party posts it to the gateway (:meth:`BenchCp.send`), with no admin request
and no other process in between.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass

import aiohttp

from ocpp_parts.errors import BenchError
from wiseevp_cli.processes import free_port
from wiseevp_common.clock import SystemClock
from wiseevp_common.messages.oscp20 import UpdateGroupCapacityForecast
from wiseevp_oscp.endpoints import Endpoint, Role
from wiseevp_oscp.party import OscpParty, PartyConfig
from wiseevp_oscp.peers import MemoryPeerStore, Peer, Peers
from wiseevp_oscp.policy import ConfiguredPolicy
from wiseevp_oscp.served import ServedParty
from wiseevp_oscp.server import FollowUp, Inbound

from .space import ADMIN_TOKEN, CP_ID, FP_ID, HOST

RECEIVED = (
    Endpoint.ADJUST_GROUP_CAPACITY_FORECAST,
    Endpoint.GROUP_CAPACITY_COMPLIANCE_ERROR,
    Endpoint.UPDATE_GROUP_MEASUREMENTS,
)
"""What a CP receives from the FP besides the connection messages: accepted and counted."""


@dataclass(frozen=True)
class Sent:
    request_id: str
    t0: float
    """``perf_counter`` right before the request was posted."""
    t0_wall: float
    """``time.time()`` at the same moment (to compare with the caps' startSchedule)."""
    answered: float
    """``perf_counter`` when the gateway's 204 had arrived."""


class BenchCp:
    def __init__(self) -> None:
        self.port = free_port()
        self.party = OscpParty(
            PartyConfig(Role.CP, f"http://{HOST}:{self.port}", handshake_retry_s=2),
            Peers(MemoryPeerStore()),
            SystemClock(),
            policy=ConfiguredPolicy(required={Role.FP: None}),
            handlers=dict.fromkeys(RECEIVED, self._received),
            listener=self,
        )
        self.received: Counter[str] = Counter()
        self.offline: list[str] = []
        self.served = ServedParty(self.party, HOST, self.port)

    # -- party listener and handlers -------------------------------------------------------

    async def peer_online(self, peer: Peer) -> None:
        return None

    async def peer_offline(self, peer: Peer) -> None:
        self.offline.append(peer.peer_id)

    async def _received(self, inbound: Inbound) -> FollowUp | None:
        self.received[inbound.endpoint.value] += 1
        return None

    # -- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        await self.served.start()

    async def stop(self) -> None:
        await self.served.stop()

    async def connect(self, fp_url: str, timeout: float) -> None:
        """Out of band: the gateway invites us (its operator API); then we register and the
        engine handshakes; wait until both sides are done."""
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http,
            http.post(
                f"{fp_url}/admin/oscp/peers/{CP_ID}/invite",
                json={"role": Role.CP.value},
                headers=headers,
            ) as resp,
        ):
            if resp.status != 200:
                raise BenchError(f"invite at the gateway: {resp.status} {await resp.text()}")
            invitation = await resp.json()
        await self.party.registrar.expect(
            FP_ID, Role.FP, invitation["base_url"], invitation["token"]
        )
        await self.party.registrar.register(FP_ID)
        deadline = time.monotonic() + timeout
        while not self.fp.connected:
            if time.monotonic() > deadline:
                raise BenchError(
                    f"CP not connected to the gateway after {timeout:.0f} s: {self.fp.public()}"
                )
            await asyncio.sleep(0.05)

    @property
    def fp(self) -> Peer:
        return self.party.peers.get(FP_ID)

    async def send(self, forecast: UpdateGroupCapacityForecast) -> Sent:
        """Post a forecast to the gateway; when it was sent and answered."""
        fp = self.fp
        t0_wall = time.time()
        t0 = time.perf_counter()
        request_id = await self.party.send(fp, Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, forecast)
        return Sent(request_id, t0, t0_wall, time.perf_counter())
