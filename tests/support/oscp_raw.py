"""A scripted raw OSCP peer for low-level conformance tests: the test plays a Capacity Provider
(or Optimizer) by hand and controls every header and byte it sends.

- :class:`RawPeer`: a :class:`~tests.support.oscp_raw_http.RawServer` and a
  :class:`~tests.support.oscp_raw_http.RawClient` (tests/support/oscp_raw_http.py), plus the
  token bookkeeping of a party: :meth:`RawPeer.register` with TOKEN_A learns TOKEN_C from the
  FP's Register reply, :meth:`RawPeer.handshake` waits for the HandshakeAcknowledge.
- :func:`raw_peer`: a :class:`RawPeer`, its server listening and its client open.

The names of :mod:`tests.support.oscp_raw_http` can be imported from here as well; the times
recorded are described there.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from wiseevp_oscp.endpoints import Endpoint, Role, base_path

from .oscp_peers import OscpAdminApi
from .oscp_raw_http import (
    Body,
    Now,
    RawClient,
    RawRequest,
    RawResponse,
    RawServer,
    _utc_now,
    encode,
    new_request_id,
    oscp_time,
    token_of,
)

__all__ = [
    "Body",
    "Now",
    "RawClient",
    "RawPeer",
    "RawRequest",
    "RawResponse",
    "RawServer",
    "encode",
    "new_request_id",
    "oscp_time",
    "raw_peer",
    "token_of",
]


# -- a party played by hand ----------------------------------------------------------------


@dataclass
class RawPeer:
    """A party of ``role`` played by the test against the FP at ``fp_base_url``."""

    fp_base_url: str
    role: Role = Role.CP
    now: Now = _utc_now
    server: RawServer = field(init=False)
    client: RawClient = field(init=False)
    token: str | None = None
    """The token we present at the FP: TOKEN_A before the registration, then TOKEN_C."""
    token_for_fp: str | None = None
    """The token we issued to the FP (TOKEN_B): what it must present to us."""

    def __post_init__(self) -> None:
        self.server = RawServer(self.now)
        self.client = RawClient(self.fp_base_url)

    @property
    def base_url(self) -> str:
        """Our base URL for OSCP 2.0 (given to the FP at registration)."""
        return self.server.url + base_path(self.role)

    def versions(self) -> list[dict[str, str]]:
        return [{"version": "2.0", "base_url": self.base_url}]

    async def send(
        self, endpoint: str | Endpoint, body: Body = None, **options: Any
    ) -> RawResponse:
        """Like :meth:`RawClient.send`, with our current token unless ``token=`` is given."""
        options.setdefault("token", self.token)
        return await self.client.send(endpoint, body, **options)

    async def register(
        self, token_a: str, versions: list[dict[str, str]] | None = None
    ) -> tuple[RawResponse, RawRequest]:
        """POST register with TOKEN_A and a new TOKEN_B; the FP's answer and its Register
        reply, from which TOKEN_C is taken (the test checks both)."""
        token_b = f"token-b-{uuid.uuid4().hex}"
        before = time.monotonic()
        response = await self.client.send(
            Endpoint.REGISTER,
            {"token": token_b, "version_url": versions or self.versions()},
            token=token_a,
        )
        assert response.status == 204, (response.status, response.body)
        (reply,) = await self.server.wait_for(Endpoint.REGISTER, method="POST", after=before)
        self.token_for_fp = token_b
        self.token = str(reply.json()["token"])
        return response, reply

    async def handshake(
        self, required_behaviour: Mapping[str, Any] | None = None
    ) -> tuple[RawResponse, RawRequest]:
        """POST handshake; the FP's answer (204 expected) and its HandshakeAcknowledge."""
        before = time.monotonic()
        body = {} if required_behaviour is None else {"required_behaviour": required_behaviour}
        response = await self.send(Endpoint.HANDSHAKE, body)
        assert response.status == 204, (response.status, response.body)
        (ack,) = await self.server.wait_for(Endpoint.HANDSHAKE_ACKNOWLEDGE, after=before)
        return response, ack

    async def heartbeat(self, offline_mode_at: datetime) -> RawResponse:
        return await self.send(Endpoint.HEARTBEAT, {"offline_mode_at": oscp_time(offline_mode_at)})

    async def join(
        self,
        admin: OscpAdminApi,
        peer_id: str,
        *,
        handshake: bool = True,
        required_behaviour: Mapping[str, Any] | None = None,
        online_for: timedelta = timedelta(hours=1),
    ) -> None:
        """Be invited by the party of ``admin`` as ``peer_id`` and register; with
        ``handshake``, handshake and send one heartbeat keeping us online for ``online_for``
        (so the test needs no heartbeat loop)."""
        token_a, base_url = await admin.invite(peer_id, self.role)
        assert base_url == self.fp_base_url, (base_url, self.fp_base_url)
        await self.register(token_a)
        if not handshake:
            return
        await self.handshake(required_behaviour)
        response = await self.heartbeat(self.now() + online_for)
        assert response.status == 204, (response.status, response.body)


@asynccontextmanager
async def raw_peer(
    fp_base_url: str, role: Role = Role.CP, now: Now = _utc_now
) -> AsyncIterator[RawPeer]:
    """A :class:`RawPeer`, its server listening and its client open."""
    peer = RawPeer(fp_base_url, role, now)
    await peer.server.start()
    await peer.client.start()
    try:
        yield peer
    finally:
        await peer.client.stop()
        await peer.server.stop()
