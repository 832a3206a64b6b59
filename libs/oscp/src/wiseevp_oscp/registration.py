"""Registration (3.1.1, 4.3.1): token exchange, version negotiation, token rotation, removal.

Out of band, the receiving party R issues TOKEN_A (:meth:`Registrar.invite`) and gives it with
its base URL to the initiating party I (:meth:`Registrar.expect`). Then:

1. I → R ``POST <R base>/register`` with TOKEN_A: ``{token: TOKEN_B, version_url: I's versions}``;
2. R answers 204 if it supports one of the versions (else 501), then
3. R → I ``POST <I base for that version>/register`` with TOKEN_B:
   ``{token: TOKEN_C, version_url: [the chosen version]}``; I answers 204.

From then on I uses TOKEN_C at R and R uses TOKEN_B at I; TOKEN_A is dead. ``PUT`` tells the
other party a new token and/or base URL of the sender (token rotation); ``DELETE`` ends the
registration — both parties stop all automated communication.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from wiseevp_common.clock import Clock
from wiseevp_common.messages.oscp20 import Register, VersionUrl

from .client import OscpClient
from .endpoints import SUPPORTED_VERSIONS, Endpoint, Role, base_path
from .errors import Forbidden, NoCommonVersion, NotConnected, PeerError, PeerUnreachable
from .peers import HandshakeState, Peer, Peers, Registration
from .server import FollowUp, Inbound
from .tokens import hash_token, new_token

log = logging.getLogger("wiseevp.oscp.registration")

PeerHook = Callable[[Peer], Awaitable[None]]


def choose_version(offered: list[VersionUrl]) -> VersionUrl:
    """The first offered version we support (the offer is in the sender's preference order)."""
    for candidate in offered:
        if candidate.version in SUPPORTED_VERSIONS:
            return candidate
    versions = ", ".join(v.version for v in offered)
    raise NoCommonVersion(
        f"none of the offered OSCP versions ({versions}) is supported; "
        f"supported: {', '.join(SUPPORTED_VERSIONS)}"
    )


class Registrar:
    def __init__(
        self,
        role: Role,
        public_url: str,
        peers: Peers,
        client: OscpClient,
        clock: Clock,
        *,
        on_registered: PeerHook,
        on_unregistered: PeerHook,
    ) -> None:
        self.role = role
        self.public_url = public_url.rstrip("/")
        self.peers = peers
        self.client = client
        self.clock = clock
        self.on_registered = on_registered
        self.on_unregistered = on_unregistered

    @property
    def our_base_url(self) -> str:
        return self.public_url + base_path(self.role)

    def our_versions(self) -> list[VersionUrl]:
        return [VersionUrl(version=v, base_url=self.our_base_url) for v in SUPPORTED_VERSIONS]

    # -- out of band -------------------------------------------------------------------

    async def invite(self, peer_id: str, role: Role) -> str:
        """Create (or reset) a peer and the token it registers with; returns TOKEN_A, shown
        once, to hand over out of band with :attr:`our_base_url`."""
        token = new_token()
        peer = self.peers.find(peer_id) or Peer(peer_id=peer_id, role=role)
        peer.role = role
        peer.registration = Registration.INVITED
        peer.token_in_hash, peer.token_in_next_hash = hash_token(token), None
        peer.handshake = HandshakeState.NONE
        await self.peers.save(peer, self.clock.now())
        return token

    async def expect(self, peer_id: str, role: Role, base_url: str, token: str) -> Peer:
        """Record a peer's base URL and the token it issued to us (we will initiate)."""
        peer = self.peers.find(peer_id) or Peer(peer_id=peer_id, role=role)
        peer.role = role
        peer.base_url = base_url.rstrip("/")
        peer.token_out = token
        peer.registration = Registration.NEW
        await self.peers.save(peer, self.clock.now())
        return peer

    # -- initiating --------------------------------------------------------------------

    async def register(self, peer_id: str) -> None:
        """Step 1 as initiator: POST our Register; the peer's reply completes it."""
        peer = self.peers.get(peer_id)
        if peer.token_out is None or peer.base_url is None:
            raise NotConnected(f"{peer_id}: no base URL and token to register with")
        previous = (peer.registration, peer.token_in_hash)
        token_b = new_token()
        peer.token_in_hash = hash_token(token_b)
        peer.registration = Registration.AWAITING_REPLY
        await self.peers.save(peer, self.clock.now())
        try:
            await self.client.send(
                peer.url(Endpoint.REGISTER.value),
                peer.token_out,
                Register(token=token_b, version_url=self.our_versions()),
            )
        except (PeerError, PeerUnreachable):
            peer.registration, peer.token_in_hash = previous
            await self.peers.save(peer, self.clock.now())
            raise

    async def rotate(self, peer_id: str) -> None:
        """PUT a new token for the peer to use at our endpoints (4.3.1.1).

        The new token is accepted from the moment it is sent (the peer's next message may
        overtake its 204) and replaces the old one once the peer accepted the PUT. When the
        peer refuses it, the old token stays and the new one is dropped; when the peer cannot
        be reached, the new one stays acceptable too (the peer may have got it)."""
        peer = self._registered(peer_id)
        token = new_token()
        token_hash = hash_token(token)
        peer.token_in_next_hash = token_hash
        await self.peers.save(peer, self.clock.now())
        try:
            await self.client.send(
                peer.url(Endpoint.REGISTER.value),
                self._token_out(peer),
                Register(token=token, version_url=self._agreed_version()),
                method="PUT",
            )
        except PeerError:
            if peer.token_in_next_hash == token_hash:
                peer.token_in_next_hash = None
                await self.peers.save(peer, self.clock.now())
            raise
        if peer.registration is not Registration.REGISTERED:
            return  # unregistered meanwhile: no token is valid any more
        # the peer may already have used the new token (which confirmed it, see Peers.by_token)
        peer.token_in_hash, peer.token_in_next_hash = token_hash, None
        await self.peers.save(peer, self.clock.now())

    async def unregister(self, peer_id: str) -> None:
        """DELETE our registration at the peer and forget its tokens."""
        peer = self._registered(peer_id)
        try:
            await self.client.send(
                peer.url(Endpoint.REGISTER.value), self._token_out(peer), None, method="DELETE"
            )
        finally:
            await self._forget(peer)

    # -- receiving ---------------------------------------------------------------------

    async def receive(self, inbound: Inbound) -> FollowUp | None:
        peer = inbound.peer
        if inbound.method == "DELETE":
            if peer.registration is not Registration.REGISTERED:
                raise Forbidden("not registered")
            await self._forget(peer)
            return None
        message = inbound.message
        assert isinstance(message, Register)
        chosen = choose_version(message.version_url)
        if inbound.method == "PUT":
            if peer.registration is not Registration.REGISTERED:
                raise Forbidden("PUT needs a completed registration; POST to register")
            self._adopt(peer, message, chosen)
            await self.peers.save(peer, self.clock.now())
            log.info("peer updated its registration", extra={"peer": peer.peer_id})
            return None
        if peer.registration is Registration.AWAITING_REPLY:
            return await self._complete(peer, message, chosen)
        return await self._accept(peer, message, chosen)

    @staticmethod
    def _adopt(peer: Peer, message: Register, chosen: VersionUrl) -> None:
        peer.token_out, peer.base_url, peer.version = message.token, chosen.base_url, chosen.version

    async def _complete(self, peer: Peer, message: Register, chosen: VersionUrl) -> FollowUp:
        """Step 3 received as initiator: the peer's token for us and the chosen version.
        What follows registration (our handshake) waits until the 204 is sent (FR.01)."""
        self._adopt(peer, message, chosen)
        peer.registration = Registration.REGISTERED
        await self.peers.save(peer, self.clock.now())
        log.info("registered", extra={"peer": peer.peer_id, "version": chosen.version})

        async def registered() -> None:
            await self.on_registered(peer)

        return registered

    async def _accept(self, peer: Peer, message: Register, chosen: VersionUrl) -> FollowUp:
        """Step 1 received: remember the peer's token and URL; reply with a fresh token."""
        previous_hash = peer.token_in_hash
        token_c = new_token()
        self._adopt(peer, message, chosen)
        peer.token_in_hash, peer.token_in_next_hash = hash_token(token_c), None
        peer.registration = Registration.REPLYING
        peer.handshake = HandshakeState.NONE
        await self.peers.save(peer, self.clock.now())

        async def reply() -> None:
            # registered before the reply leaves: the peer may talk as soon as it has it
            peer.registration = Registration.REGISTERED
            await self.peers.save(peer, self.clock.now())
            try:
                await self.client.send(
                    peer.url(Endpoint.REGISTER.value),
                    message.token,
                    Register(
                        token=token_c,
                        version_url=[chosen.model_copy(update={"base_url": self.our_base_url})],
                    ),
                )
            except (PeerError, PeerUnreachable) as exc:
                log.warning("registration reply failed: %s", exc, extra={"peer": peer.peer_id})
                peer.token_in_hash = previous_hash  # the peer may retry with its token
                peer.registration = Registration.INVITED
                await self.peers.save(peer, self.clock.now())
                return
            log.info("registered", extra={"peer": peer.peer_id, "version": chosen.version})
            await self.on_registered(peer)

        return reply

    # -- helpers -----------------------------------------------------------------------

    def _registered(self, peer_id: str) -> Peer:
        peer = self.peers.get(peer_id)
        if peer.registration is not Registration.REGISTERED:
            raise NotConnected(f"{peer_id} is not registered")
        return peer

    @staticmethod
    def _token_out(peer: Peer) -> str:
        if peer.token_out is None:
            raise NotConnected(f"{peer.peer_id}: no token")
        return peer.token_out

    def _agreed_version(self) -> list[VersionUrl]:
        return self.our_versions()[:1]

    async def _forget(self, peer: Peer) -> None:
        peer.registration = Registration.UNREGISTERED
        peer.token_in_hash = peer.token_in_next_hash = None
        peer.token_out = None
        peer.handshake = HandshakeState.NONE
        peer.online = False
        peer.offline_mode_at = None
        await self.peers.save(peer, self.clock.now())
        log.info("unregistered", extra={"peer": peer.peer_id})
        await self.on_unregistered(peer)
