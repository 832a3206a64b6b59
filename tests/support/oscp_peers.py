"""OSCP parties under test: the CP and CO peer services as processes, the operator API
(``/admin/oscp/...``) of any party — a peer service, our FP, a party served in the test — and
:func:`connect`, the out-of-band exchange and registration between two of them;
:class:`InProcessFp`, a minimal FP party served by the test itself, to test the peers with.

The peer services run on the test database (``WISEEVP_POSTGRES_URL``, see :mod:`.env`);
start them on a ``fresh_db``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
from pydantic import BaseModel

from wiseevp_cli.processes import free_port
from wiseevp_common.clock import SystemClock
from wiseevp_common.messages.oscp20 import RequiredBehaviour, UpdateGroupCapacityForecast
from wiseevp_common.messages.oscp20.rules import check_forecast
from wiseevp_oscp.admin import admin_routes
from wiseevp_oscp.endpoints import Endpoint, Role
from wiseevp_oscp.errors import InvalidPayload
from wiseevp_oscp.party import OscpParty, PartyConfig
from wiseevp_oscp.peers import MemoryPeerStore, Peer, Peers
from wiseevp_oscp.policy import ConfiguredPolicy
from wiseevp_oscp.served import ServedParty
from wiseevp_oscp.server import Inbound

from .processes import ServiceProcess
from .waiting import wait_for_value

ADMIN_TOKEN = "test-admin-token"
PeerView = dict[str, Any]
"""A peer as the operator API shows it (``Peer.public()``)."""


class AdminError(AssertionError):
    """The operator API answered another status than expected."""


class OscpAdminApi:
    """The operator API of a party at :attr:`url`; subclasses give ``url``, ``admin_token``,
    ``role`` and ``name`` (the peer id other parties know it by)."""

    admin_token: str
    role: Role
    name: str

    @property
    def url(self) -> str:
        raise NotImplementedError

    async def admin(
        self, method: str, path: str, json: Any = None, *, expect: int | None = None
    ) -> tuple[int, Any]:
        """(status, JSON body or None) of an operator call; with ``expect``, any other
        status fails the test with the body."""
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, self.url + path, json=json, headers=headers) as resp,
        ):
            text = await resp.text()
            body = await resp.json(content_type=None) if text else None
        if expect is not None and resp.status != expect:
            raise AdminError(f"{method} {path} of {self.name}: {resp.status} {text}")
        return resp.status, body

    async def invite(self, peer_id: str, role: Role) -> tuple[str, str]:
        """A token for ``peer_id`` to register with, and our base URL."""
        _, body = await self.admin(
            "POST", f"/admin/oscp/peers/{peer_id}/invite", {"role": role.value}, expect=200
        )
        return body["token"], body["base_url"]

    async def expect(self, peer_id: str, role: Role, base_url: str, token: str) -> None:
        """Record the base URL and token ``peer_id`` gave us out of band."""
        await self.admin(
            "POST",
            f"/admin/oscp/peers/{peer_id}/expect",
            {"role": role.value, "base_url": base_url, "token": token},
            expect=204,
        )

    async def register(self, peer_id: str) -> None:
        await self.admin("POST", f"/admin/oscp/peers/{peer_id}/register", expect=204)

    async def handshake(self, peer_id: str) -> None:
        await self.admin("POST", f"/admin/oscp/peers/{peer_id}/handshake", expect=204)

    async def peers(self) -> list[PeerView]:
        _, body = await self.admin("GET", "/admin/oscp/peers", expect=200)
        return list(body["peers"])

    async def peer(self, peer_id: str) -> PeerView | None:
        return next((p for p in await self.peers() if p["peer_id"] == peer_id), None)

    async def wait_peer(
        self, peer_id: str, done: Callable[[PeerView], bool], *, timeout: float = 20.0
    ) -> PeerView:
        """Poll ``peer_id`` until ``done(view)``."""

        async def probe() -> PeerView | None:
            return await self.peer(peer_id)

        def reached(view: PeerView | None) -> bool:
            return view is not None and done(view)

        found = await wait_for_value(
            probe, reached, timeout=timeout, what=f"{peer_id} at {self.name}"
        )
        assert found is not None
        return found

    async def inbox(self, endpoint: Endpoint | None = None, after: int = 0) -> list[dict[str, Any]]:
        """The messages the party accepted (a peer service only), in the order received."""
        query = f"?after={after}" + (f"&endpoint={endpoint.value}" if endpoint else "")
        _, body = await self.admin("GET", "/admin/oscp/inbox" + query, expect=200)
        return list(body["messages"])

    async def wait_inbox(
        self, endpoint: Endpoint, count: int = 1, timeout: float = 20.0
    ) -> list[dict[str, Any]]:
        """Poll the inbox until it holds ``count`` messages of ``endpoint``; all of them."""
        return await wait_for_value(
            lambda: self.inbox(endpoint),
            lambda found: len(found) >= count,
            timeout=timeout,
            what=f"{count} {endpoint.value} in the inbox of {self.name}",
        )

    async def pause_heartbeats(self, paused: bool = True) -> None:
        await self.admin("POST", "/admin/oscp/heartbeats", {"paused": paused}, expect=200)


class OscpAdmin(OscpAdminApi):
    """The operator API of a party running anywhere (our FP, a party served in the test)."""

    def __init__(self, url: str, role: Role, name: str, admin_token: str = ADMIN_TOKEN) -> None:
        self._url = url.rstrip("/")
        self.role = role
        self.name = name
        self.admin_token = admin_token

    @property
    def url(self) -> str:
        return self._url


class OscpPeerProcess(ServiceProcess, OscpAdminApi):
    """A peer service (``oscp_cp``, ``oscp_co``) as a process, with its operator API."""

    def __init__(
        self, module: str, role: Role, name: str, admin_token: str = ADMIN_TOKEN, **env: str
    ) -> None:
        super().__init__(module, WISEEVP_ADMIN_TOKEN=admin_token, **env)
        self.role = role
        self.name = name
        self.admin_token = admin_token

    async def push(
        self,
        path: str,
        forecast: UpdateGroupCapacityForecast,
        peer_id: str | None,
        correlation_id: str | None,
        expect: int,
    ) -> dict[str, Any]:
        """Ask the service to send ``forecast`` now; its answer
        ``{"request_ids": {peer: X-Request-ID}, "errors": {peer: {"status", "message"}}}``
        (``expect=502``: a peer refused it, ``errors`` says how)."""
        body: dict[str, Any] = {"forecast": forecast.model_dump(mode="json", exclude_none=True)}
        if peer_id is not None:
            body["peer_id"] = peer_id
        if correlation_id is not None:
            body["correlation_id"] = correlation_id
        _, answer = await self.admin("POST", path, body, expect=expect)
        return dict(answer)


class CpProcess(OscpPeerProcess):
    """``python -m oscp_cp``; ``env`` as ``WISEEVP_*`` settings (e.g. grant adjustments)."""

    def __init__(self, name: str = "cp", **env: str) -> None:
        super().__init__("oscp_cp", Role.CP, name, **env)

    async def send_forecast(
        self,
        forecast: UpdateGroupCapacityForecast,
        peer_id: str | None = None,
        correlation_id: str | None = None,
        *,
        expect: int = 200,
    ) -> dict[str, Any]:
        """Send a forecast to the FP (or every connected FP) now: ``POST /admin/cp/forecast``."""
        return await self.push("/admin/cp/forecast", forecast, peer_id, correlation_id, expect)


class CoProcess(OscpPeerProcess):
    """``python -m oscp_co``."""

    def __init__(self, name: str = "co", **env: str) -> None:
        super().__init__("oscp_co", Role.CO, name, **env)

    async def send_optimum(
        self,
        forecast: UpdateGroupCapacityForecast,
        peer_id: str | None = None,
        correlation_id: str | None = None,
        *,
        expect: int = 200,
    ) -> dict[str, Any]:
        """Send an (OPTIMUM) forecast to the FP (or every connected FP) now:
        ``POST /admin/co/optimum``."""
        return await self.push("/admin/co/optimum", forecast, peer_id, correlation_id, expect)


def _registered(view: PeerView) -> bool:
    return bool(view["registration"] == "registered")


def _connected(view: PeerView) -> bool:
    return _registered(view) and view["handshake"] == "complete"


async def connect(
    initiator: OscpAdminApi,
    receiver: OscpAdminApi,
    *,
    handshake: bool = True,
    timeout: float = 20.0,
) -> tuple[PeerView, PeerView]:
    """Register ``initiator`` with ``receiver`` (3.1.1, 4.3.1) through their operator APIs:
    the receiver invites the initiator (TOKEN_A and its base URL, handed over out of band),
    the initiator records them and registers. Waits until both show the registration and,
    with ``handshake``, the handshake the engine starts (CP → FP, FP → CO) completed.
    Returns (the receiver as the initiator sees it, the initiator as the receiver sees it)."""
    token, base_url = await receiver.invite(initiator.name, initiator.role)
    await initiator.expect(receiver.name, receiver.role, base_url, token)
    await initiator.register(receiver.name)
    done = _connected if handshake else _registered
    seen_by_initiator = await initiator.wait_peer(receiver.name, done, timeout=timeout)
    seen_by_receiver = await receiver.wait_peer(initiator.name, done, timeout=timeout)
    return seen_by_initiator, seen_by_receiver


class InProcessFp:
    """An FP party (the engine's, on a memory peer store) in the test process, served on a
    free port with its operator API: it requires ``heartbeat_interval_s`` of the CP and the CO
    and keeps every valid forecast it receives in :attr:`forecasts`."""

    def __init__(self, heartbeat_interval_s: int = 1, name: str = "fp") -> None:
        self.port = free_port()
        url = f"http://127.0.0.1:{self.port}"
        required = RequiredBehaviour(heartbeat_interval=heartbeat_interval_s)
        self.party = OscpParty(
            PartyConfig(Role.FP, url, handshake_retry_s=2),
            Peers(MemoryPeerStore()),
            SystemClock(),
            policy=ConfiguredPolicy(required={Role.CP: required, Role.CO: required}),
            handlers={Endpoint.UPDATE_GROUP_CAPACITY_FORECAST: self._forecast},
            listener=self,
        )
        self.admin = OscpAdmin(url, Role.FP, name)
        self.forecasts: list[Inbound] = []
        self.online: list[str] = []
        self.offline: list[str] = []
        self.served = ServedParty(
            self.party, "127.0.0.1", self.port, admin_routes(self.party, ADMIN_TOKEN)
        )

    async def _forecast(self, inbound: Inbound) -> None:
        """Keep it; refuse (400) a forecast breaking a rule of its own, e.g. FR.01.05."""
        assert isinstance(inbound.message, UpdateGroupCapacityForecast)
        violations = check_forecast(inbound.message, {})
        if violations:
            raise InvalidPayload("; ".join(str(v) for v in violations))
        self.forecasts.append(inbound)

    async def peer_online(self, peer: Peer) -> None:
        self.online.append(peer.peer_id)

    async def peer_offline(self, peer: Peer) -> None:
        self.offline.append(peer.peer_id)

    async def start(self) -> None:
        await self.served.start()

    async def stop(self) -> None:
        await self.served.stop()

    def peer(self, peer_id: str) -> Peer:
        return self.party.peers.get(peer_id)

    async def send(
        self,
        peer_id: str,
        endpoint: Endpoint,
        message: BaseModel,
        correlation_id: str | None = None,
    ) -> str:
        return await self.party.send(
            self.peer(peer_id), endpoint, message, correlation_id=correlation_id
        )

    async def wait_forecast(
        self, match: Callable[[Inbound], bool], what: str, timeout: float = 20.0
    ) -> Inbound:
        found = await wait_for_value(
            lambda: [f for f in self.forecasts if match(f)],
            bool,
            timeout=timeout,
            what=what,
        )
        return found[0]
