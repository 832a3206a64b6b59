"""The parties we talk OSCP with: their registration, tokens, handshake and liveness state.

:class:`Peers` keeps every peer in memory (a handful per deployment) and writes each change
through to a :class:`PeerStore`, so a restart resumes with the same tokens, handshake results
and fallback state. Incoming tokens are looked up by comparing hashes in constant time.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from wiseevp_common.messages.oscp20 import RequiredBehaviour

from .endpoints import Role
from .errors import Unauthorized
from .tokens import hash_token, token_matches


class Registration(StrEnum):
    NEW = "new"
    """Known to the operator, nothing exchanged yet."""
    INVITED = "invited"
    """We issued a token (TOKEN_A) for the peer to register with us."""
    AWAITING_REPLY = "awaiting-reply"
    """We sent our Register; the peer's Register in reply (with our token) is pending."""
    REPLYING = "replying"
    """We accepted the peer's Register and are sending ours in reply."""
    REGISTERED = "registered"
    UNREGISTERED = "unregistered"


class HandshakeState(StrEnum):
    NONE = "none"
    SENT = "sent"
    """We sent a Handshake; waiting for the HandshakeAcknowledge."""
    COMPLETE = "complete"


@dataclass
class Peer:
    peer_id: str
    role: Role
    registration: Registration = Registration.NEW
    token_in_hash: bytes | None = None
    """Hash of the token the peer authenticates with at our endpoints."""
    token_in_next_hash: bytes | None = None
    """During a token rotation: the hash of the new token, accepted too until it is confirmed."""
    token_out: str | None = None
    """The token we authenticate with at the peer's endpoints (it must be sent, so it is kept)."""
    base_url: str | None = None
    """The peer's base URL for the agreed version (or, before registration, the one given
    out of band)."""
    version: str | None = None
    handshake: HandshakeState = HandshakeState.NONE
    their_behaviour: RequiredBehaviour | None = None
    """What the peer requires of us (heartbeat interval, measurement configuration)."""
    our_behaviour: RequiredBehaviour | None = None
    """What we required of the peer."""
    offline_mode_at: datetime | None = None
    """From the peer's last heartbeat: without a newer one, it is offline from then."""
    online: bool = False
    updated_at: datetime | None = None

    @property
    def connected(self) -> bool:
        """Registered and handshaken: other messages may flow."""
        return (
            self.registration is Registration.REGISTERED
            and self.handshake is HandshakeState.COMPLETE
        )

    def url(self, endpoint: str) -> str:
        if self.base_url is None:
            raise ValueError(f"peer {self.peer_id} has no base URL")
        return f"{self.base_url}/{endpoint}"

    def public(self) -> dict[str, object]:
        """What may be shown or logged: never a token."""
        return {
            "peer_id": self.peer_id,
            "role": self.role.value,
            "registration": self.registration.value,
            "base_url": self.base_url,
            "version": self.version,
            "handshake": self.handshake.value,
            "online": self.online,
            "offline_mode_at": self.offline_mode_at.isoformat() if self.offline_mode_at else None,
            "their_behaviour": self.their_behaviour.model_dump(exclude_none=True)
            if self.their_behaviour
            else None,
        }


class PeerStore(Protocol):
    async def load(self) -> list[Peer]: ...

    async def save(self, peer: Peer) -> None: ...

    async def delete(self, peer_id: str) -> None: ...


class MemoryPeerStore:
    """For unit tests: keeps copies, like a database would."""

    def __init__(self) -> None:
        self.rows: dict[str, Peer] = {}

    async def load(self) -> list[Peer]:
        return [dataclasses.replace(p) for p in self.rows.values()]

    async def save(self, peer: Peer) -> None:
        self.rows[peer.peer_id] = dataclasses.replace(peer)

    async def delete(self, peer_id: str) -> None:
        self.rows.pop(peer_id, None)


class UnknownPeer(KeyError):
    pass


class Peers:
    """Every peer, in memory, written through to the store on :meth:`save`."""

    def __init__(self, store: PeerStore) -> None:
        self.store = store
        self._peers: dict[str, Peer] = {}

    async def load(self) -> None:
        self._peers = {p.peer_id: p for p in await self.store.load()}

    def get(self, peer_id: str) -> Peer:
        try:
            return self._peers[peer_id]
        except KeyError:
            raise UnknownPeer(peer_id) from None

    def find(self, peer_id: str) -> Peer | None:
        return self._peers.get(peer_id)

    def all(self) -> list[Peer]:
        return list(self._peers.values())

    def of_role(self, role: Role) -> list[Peer]:
        return [p for p in self._peers.values() if p.role is role]

    def by_token(self, token: str) -> Peer:
        """The peer presenting ``token``: every stored hash is compared in constant time."""
        presented = hash_token(token)
        found: Peer | None = None
        for peer in self._peers.values():
            current = token_matches(presented, peer.token_in_hash)
            upcoming = token_matches(presented, peer.token_in_next_hash)
            if current or upcoming:
                found = peer
        if found is None:
            raise Unauthorized("unknown token")
        if token_matches(presented, found.token_in_next_hash):
            # the peer uses the rotated token: the rotation is confirmed
            found.token_in_hash, found.token_in_next_hash = found.token_in_next_hash, None
        return found

    async def authenticate(self, token: str) -> Peer:
        """:meth:`by_token`, persisting a token rotation the peer's first use confirmed (so
        the old token stays dead after a restart)."""
        rotating = {p.peer_id for p in self._peers.values() if p.token_in_next_hash is not None}
        peer = self.by_token(token)
        if peer.peer_id in rotating and peer.token_in_next_hash is None:
            await self.store.save(peer)
        return peer

    async def save(self, peer: Peer, now: datetime | None = None) -> None:
        peer.updated_at = now or peer.updated_at
        self._peers[peer.peer_id] = peer
        await self.store.save(peer)

    async def remove(self, peer_id: str) -> None:
        self._peers.pop(peer_id, None)
        await self.store.delete(peer_id)
