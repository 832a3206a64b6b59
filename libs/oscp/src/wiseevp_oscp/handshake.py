"""Handshaking (2.6.2, 3.1.2, 4.3.2-4.3.3): both parties state what they require of the other.

Receiving a Handshake: check the sender's required behaviour (400 if refused), answer 204, then
send our HandshakeAcknowledge; the handshake is complete when the peer answers it 204.
Initiating: send a Handshake; it is complete when the peer's HandshakeAcknowledge arrives and
we accept its required behaviour. Until then every other message is refused with 403.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from wiseevp_common.clock import Clock
from wiseevp_common.messages.oscp20 import Handshake, HandshakeAcknowledge, RequiredBehaviour

from .client import OscpClient
from .endpoints import Endpoint
from .errors import InvalidPayload, NotConnected, PeerError, PeerUnreachable
from .peers import HandshakeState, Peer, Peers, Registration
from .server import FollowUp, Inbound

log = logging.getLogger("wiseevp.oscp.handshake")


class BehaviourPolicy(Protocol):
    """What a party requires of its peers and which of their requirements it accepts."""

    def required_of(self, peer: Peer) -> RequiredBehaviour | None:
        """Our required behaviour for ``peer`` (sent in Handshake / HandshakeAcknowledge)."""
        ...

    def check(self, peer: Peer, theirs: RequiredBehaviour | None) -> None:
        """Raise :class:`~.errors.RefusedPreferences` when we cannot do what ``peer`` asks."""
        ...


class Handshakes:
    def __init__(
        self,
        peers: Peers,
        client: OscpClient,
        clock: Clock,
        policy: BehaviourPolicy,
        on_complete: Callable[[Peer], Awaitable[None]],
    ) -> None:
        self.peers = peers
        self.client = client
        self.clock = clock
        self.policy = policy
        self.on_complete = on_complete

    async def initiate(self, peer_id: str) -> None:
        """Send a Handshake; completes when the peer's HandshakeAcknowledge is accepted."""
        peer = self.peers.get(peer_id)
        if peer.registration is not Registration.REGISTERED or peer.token_out is None:
            raise NotConnected(f"{peer_id} is not registered")
        peer.our_behaviour = self.policy.required_of(peer)
        peer.handshake = HandshakeState.SENT
        await self.peers.save(peer, self.clock.now())
        try:
            await self.client.send(
                peer.url(Endpoint.HANDSHAKE.value),
                peer.token_out,
                Handshake(required_behaviour=peer.our_behaviour),
            )
        except (PeerError, PeerUnreachable):
            if peer.handshake is HandshakeState.SENT:
                peer.handshake = HandshakeState.NONE
                await self.peers.save(peer, self.clock.now())
            raise

    async def receive_handshake(self, inbound: Inbound) -> FollowUp:
        message = inbound.message
        assert isinstance(message, Handshake)
        peer = inbound.peer
        self.policy.check(peer, message.required_behaviour)
        peer.their_behaviour = message.required_behaviour
        peer.our_behaviour = self.policy.required_of(peer)
        # complete before the acknowledge leaves: the peer may talk as soon as it answers it
        peer.handshake = HandshakeState.COMPLETE
        await self.peers.save(peer, self.clock.now())
        token = peer.token_out

        async def acknowledge() -> None:
            if token is None:
                return
            try:
                await self.client.send(
                    peer.url(Endpoint.HANDSHAKE_ACKNOWLEDGE.value),
                    token,
                    HandshakeAcknowledge(required_behaviour=peer.our_behaviour),
                    correlation_id=inbound.request_id,
                )
            except (PeerError, PeerUnreachable) as exc:
                log.warning("handshake acknowledge refused: %s", exc, extra={"peer": peer.peer_id})
                peer.handshake = HandshakeState.NONE
                await self.peers.save(peer, self.clock.now())
                return
            log.info("handshake complete", extra={"peer": peer.peer_id})
            await self.on_complete(peer)

        return acknowledge

    async def receive_acknowledge(self, inbound: Inbound) -> FollowUp:
        message = inbound.message
        assert isinstance(message, HandshakeAcknowledge)
        peer = inbound.peer
        if peer.handshake is not HandshakeState.SENT:
            raise InvalidPayload("no Handshake of ours is waiting for an acknowledgement")
        self.policy.check(peer, message.required_behaviour)
        peer.their_behaviour = message.required_behaviour
        peer.handshake = HandshakeState.COMPLETE
        await self.peers.save(peer, self.clock.now())
        log.info("handshake complete", extra={"peer": peer.peer_id})

        async def completed() -> None:
            await self.on_complete(peer)

        return completed
