"""OSCP 2.0 in ``wiseevp demo``: the grid operator's capacities reach the pilot sites' charge
points.

Starts the OSCP gateway (``oscp_fp``, the Flexibility Provider, for the regulation areas of
``deploy/sites/demo/regulation_areas.yaml``), a grid operator (``oscp_cp``, Capacity Provider,
sending the forecast plan ``deploy/sites/demo/oscp_capacity_plan.yaml``) and a Capacity
Optimizer (``oscp_co``), all on the demo's clock; connects them through their operator APIs as
an operator would (the FP registers with the CO, the CP with the FP; each handshake follows);
taps what the gateway publishes (``MQTT.GRID.#``, the caps it sends every charge point and
their results). Half-way the CP pauses its heartbeats for a while: the FP falls back to the
fallback capacities, and recovers when the CP handshakes again. :mod:`.demo_oscp_summary`
prints what happened.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp

from wiseevp_common.clock import SimulatedClock

from .processes import Proc
from .services import REPO

SITE = REPO / "deploy" / "sites" / "demo"
GROUPS_FILE = SITE / "regulation_areas.yaml"
PLAN_FILE = SITE / "oscp_capacity_plan.yaml"
SCHEMAS = ("oscp_fp", "oscp_fp_peers", "oscp_cp", "oscp_cp_peers", "oscp_co", "oscp_co_peers")
"""The three parties' database schemas (peers and tokens too): emptied before each demo."""
TAPPED = (
    "MQTT.GRID.#",
    "MQTT.EVSE.*.setchargingprofile.*",
    "MQTT.EVSE.*.result.setchargingprofile.*",
)

HEARTBEAT_REAL_S = 0.5
"""Heartbeat interval each party asks of the other, in real seconds (6 simulated minutes at
720x); a party is offline once its announced offline_mode_at (two intervals) passes."""
OUTAGE_REAL_S = 5.0
"""How long the CP's heartbeats pause half-way (real seconds; an hour at 720x)."""
COMPLIANCE_WAIT_REAL_S = 5.0
"""How long charge points have to answer their caps before the FP reports them."""
FORECAST_INTERVAL_S = 86400
"""The CP sends its plan when the FP comes online (again), and then once a simulated day."""
MEASUREMENT_INTERVAL_S = 3600
"""The FP reports measurements to the CP and the CO every simulated hour."""


@dataclass
class Party:
    """One OSCP party as a process, with its operator API (``/admin/...``)."""

    proc: Proc
    role: str
    peer_id: str
    """The id the other parties know it by."""
    token: str

    async def call(
        self, http: aiohttp.ClientSession, method: str, path: str, body: Any = None
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with http.request(method, self.proc.url + path, json=body, headers=headers) as resp:
            text = await resp.text()
        if resp.status >= 300:
            raise RuntimeError(f"{self.proc.name}: {method} {path} → {resp.status} {text}")
        return json.loads(text) if text else None

    async def peers(self, http: aiohttp.ClientSession) -> dict[str, dict[str, Any]]:
        answer = await self.call(http, "GET", "/admin/oscp/peers")
        return {p["peer_id"]: p for p in answer["peers"]}

    async def inbox(self, http: aiohttp.ClientSession, endpoint: str) -> list[dict[str, Any]]:
        """What the party accepted of ``endpoint`` (a CP or CO), in the order received."""
        path = f"/admin/oscp/inbox?endpoint={endpoint}&limit=10000"
        return list((await self.call(http, "GET", path))["messages"])

    async def wait_peer(
        self,
        http: aiohttp.ClientSession,
        peer_id: str,
        done: Callable[[dict[str, Any]], bool],
        timeout: float,
    ) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            view = (await self.peers(http)).get(peer_id)
            if view is not None and done(view):
                return True
            await asyncio.sleep(0.1)
        return False


def connected(view: dict[str, Any]) -> bool:
    return bool(view["registration"] == "registered" and view["handshake"] == "complete")


async def connect(
    http: aiohttp.ClientSession, initiator: Party, receiver: Party, timeout: float = 20.0
) -> None:
    """OSCP 3.1.1 between two operator APIs: the receiver invites the initiator (a token and
    its base URL, handed over out of band), the initiator records them and registers; the
    handshake follows on its own. Waits until both see the other connected."""
    invitation = await receiver.call(
        http, "POST", f"/admin/oscp/peers/{initiator.peer_id}/invite", {"role": initiator.role}
    )
    await initiator.call(
        http,
        "POST",
        f"/admin/oscp/peers/{receiver.peer_id}/expect",
        {"role": receiver.role, "base_url": invitation["base_url"], "token": invitation["token"]},
    )
    await initiator.call(http, "POST", f"/admin/oscp/peers/{receiver.peer_id}/register")
    for party, other in ((initiator, receiver), (receiver, initiator)):
        if not await party.wait_peer(http, other.peer_id, connected, timeout):
            raise RuntimeError(
                f"{party.proc.name} does not see {other.peer_id} connected after {timeout:g} s; "
                f"see {party.proc.log_path}"
            )


class Tap:
    """A copy of the capacities and caps the gateway publishes, and of the caps' results."""

    def __init__(self, amqp_url: str) -> None:
        self.url = amqp_url
        self.messages: list[tuple[str, bytes]] = []
        self._connection: aio_pika.abc.AbstractConnection | None = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect(self.url)
        channel = await self._connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for key in TAPPED:
            await queue.bind("amq.topic", key)
        await queue.consume(self._keep, no_ack=True)

    async def _keep(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        self.messages.append((message.routing_key or "", message.body))

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()


class OscpDemo:
    def __init__(
        self,
        clock_env: dict[str, str],
        monitor_url: str,
        log_dir: Path,
        opts: argparse.Namespace,
        *,
        amqp_url: str,
        clock: SimulatedClock,
    ) -> None:
        self.clock = clock
        heartbeat_s = max(5, round(opts.speed * HEARTBEAT_REAL_S))

        def party(module: str, role: str, peer_id: str, **env: str) -> Party:
            token = f"demo-{role}-admin"
            common = {
                **clock_env,
                "WISEEVP_ADMIN_TOKEN": token,
                "WISEEVP_HEARTBEAT_INTERVAL_S": str(heartbeat_s),
                "WISEEVP_HANDSHAKE_RETRY_S": str(heartbeat_s * 2),
            }
            return Party(Proc(module, module, common | env, log_dir), role, peer_id, token)

        self.fp = party(
            "oscp_fp",
            "fp",
            "wiseevp",
            WISEEVP_OSCP_GROUPS_FILE=str(GROUPS_FILE),
            WISEEVP_RT_MONITOR_URL=monitor_url,
            WISEEVP_MEASUREMENT_INTERVAL_S=str(MEASUREMENT_INTERVAL_S),
            WISEEVP_COMPLIANCE_WAIT_S=str(round(opts.speed * COMPLIANCE_WAIT_REAL_S)),
        )
        self.cp = party(
            "oscp_cp",
            "cp",
            "grid-operator",
            WISEEVP_FORECAST_FILE=str(PLAN_FILE),
            WISEEVP_FORECAST_INTERVAL_S=str(FORECAST_INTERVAL_S),
        )
        self.co = party("oscp_co", "co", "optimizer")
        self.tap = Tap(amqp_url)
        self.outage_s = min(OUTAGE_REAL_S, opts.duration / 4)
        self.events: dict[str, datetime] = {}
        """Sim times of what the demo did: ``paused``, ``resumed``."""
        self._ready: asyncio.Task[None] | None = None
        self._outage: asyncio.Task[None] | None = None

    @property
    def procs(self) -> list[Proc]:
        return [self.fp.proc, self.cp.proc, self.co.proc]

    def launch(self, stations_ready: Callable[[], Awaitable[object]]) -> None:
        """Start the three parties and connect them once the charge points are registered
        (the caps follow the first forecasts at once), in the background."""
        self._ready = asyncio.create_task(self._start_and_connect(stations_ready))

    async def _start_and_connect(self, stations_ready: Callable[[], Awaitable[object]]) -> None:
        for proc in self.procs:
            proc.start()
        for proc in self.procs:
            await proc.wait_healthy()
        await stations_ready()
        async with aiohttp.ClientSession() as http:
            await connect(http, self.fp, self.co)
            await connect(http, self.cp, self.fp)  # the CP's plan follows at once
        print(
            f"  [{self.clock.now():%H:%M} sim] OSCP: {self.fp.peer_id} (FP) registered with "
            f"{self.co.peer_id} (CO), {self.cp.peer_id} (CP) with {self.fp.peer_id}, "
            f"handshakes complete; FP operator API at {self.fp.proc.url}/admin/oscp/peers"
        )

    def begin_outage(self) -> None:
        """The CP pauses its heartbeats for ``outage_s`` (a background task)."""
        self._outage = asyncio.create_task(self._pause_heartbeats())

    async def _pause_heartbeats(self) -> None:
        await self.ready()
        async with aiohttp.ClientSession() as http:
            await self.cp.call(http, "POST", "/admin/oscp/heartbeats", {"paused": True})
            self.events["paused"] = now = self.clock.now()
            minutes = self.outage_s * self.clock.speed / 60
            print(
                f"  [{now:%H:%M} sim] OSCP: the grid operator (CP) stops its heartbeats for "
                f"{minutes:.0f} min: the FP should see it offline and apply the fallback capacities"
            )
            await asyncio.sleep(self.outage_s)
            await self.cp.call(http, "POST", "/admin/oscp/heartbeats", {"paused": False})
            self.events["resumed"] = now = self.clock.now()
            print(
                f"  [{now:%H:%M} sim] OSCP: the CP's heartbeats resume: it must handshake again "
                "(OSCP 3.4.3) for the normal capacities to apply"
            )

    async def ready(self, timeout: float = 60.0) -> None:
        """The parties connected (or their failure raised)."""
        if self._ready is not None:
            await asyncio.wait_for(asyncio.shield(self._ready), timeout)

    async def finish(self, timeout: float = 15.0) -> None:
        """Connected, the outage over and the CP connected again (or ``timeout`` passed)."""
        await self.ready()
        if self._outage is None:
            return
        await asyncio.wait_for(asyncio.shield(self._outage), timeout)
        async with aiohttp.ClientSession() as http:
            view = (await self.fp.peers(http)).get(self.cp.peer_id)
            if view is None or not (connected(view) and view["online"]):
                await self.fp.wait_peer(
                    http, self.cp.peer_id, lambda v: connected(v) and v["online"], timeout
                )
                await asyncio.sleep(0.5)  # the normal capacities published after the handshake

    async def close(self) -> None:
        for task in (self._ready, self._outage):
            if task is not None and not task.done():
                task.cancel()
        await self.tap.stop()
