"""The peers of a party (``Peers``) and their tokens: lookup by token in constant time, the
token rotation confirmed by its first use, write-through to the store, and what may be shown."""

from __future__ import annotations

import contextlib
import hmac
from datetime import UTC, datetime

import pytest

from wiseevp_common.messages.oscp20 import RequiredBehaviour
from wiseevp_oscp.endpoints import Role
from wiseevp_oscp.errors import Unauthorized
from wiseevp_oscp.peers import (
    HandshakeState,
    MemoryPeerStore,
    Peer,
    Peers,
    Registration,
    UnknownPeer,
)
from wiseevp_oscp.tokens import (
    TOKEN_BYTES,
    authorization,
    hash_token,
    new_token,
    parse_authorization,
    token_matches,
)

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


def peer(peer_id: str, token: str | None, role: Role = Role.CP, **fields: object) -> Peer:
    return Peer(
        peer_id=peer_id,
        role=role,
        registration=Registration.REGISTERED,
        token_in_hash=hash_token(token) if token else None,
        **fields,  # type: ignore[arg-type]
    )


async def peers_of(*items: Peer) -> Peers:
    held = Peers(MemoryPeerStore())
    for item in items:
        await held.save(item, T0)
    return held


# -- tokens -----------------------------------------------------------------------------------


def test_new_tokens_are_long_random_and_url_safe() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    for token in tokens:
        assert len(token) >= TOKEN_BYTES * 4 // 3
        assert token.replace("-", "").replace("_", "").isalnum()


def test_hash_and_match() -> None:
    assert hash_token("a") == hash_token("a") != hash_token("b")
    assert len(hash_token("a")) == 32
    assert token_matches(hash_token("a"), hash_token("a"))
    assert not token_matches(hash_token("a"), hash_token("b"))
    assert not token_matches(hash_token("a"), None)


def test_authorization_header() -> None:
    assert authorization("abc") == "Token abc"
    assert parse_authorization("Token abc") == "abc"
    assert parse_authorization("Token  abc ") == "abc"
    assert parse_authorization("token abc") == "abc"  # the scheme is case-insensitive
    for bad in (None, "", "abc", "Bearer abc", "Tokenabc", "Token ", "Token    "):
        with pytest.raises(Unauthorized):
            parse_authorization(bad)


# -- lookup by token --------------------------------------------------------------------------


async def test_by_token_finds_the_peer() -> None:
    held = await peers_of(peer("cp-1", "t1"), peer("cp-2", "t2"), peer("co", "t3", Role.CO))
    assert held.by_token("t1").peer_id == "cp-1"
    assert held.by_token("t2").peer_id == "cp-2"
    assert held.by_token("t3").peer_id == "co"
    for unknown in ("t4", "", "T1", "t1 "):
        with pytest.raises(Unauthorized, match="unknown token"):
            held.by_token(unknown)


async def test_by_token_compares_every_stored_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Constant time: the same comparisons whichever peer matches, or none."""
    held = await peers_of(*(peer(f"p{i}", f"t{i}") for i in range(5)), peer("none", None))
    compared: list[bytes | None] = []

    def counting(presented: bytes, stored: bytes | None) -> bool:
        compared.append(stored)
        return token_matches(presented, stored)

    monkeypatch.setattr("wiseevp_oscp.peers.token_matches", counting)
    every_hash = [h for p in held.all() for h in (p.token_in_hash, p.token_in_next_hash)]
    for token in ("t0", "t4", "unknown"):
        compared.clear()
        with contextlib.suppress(Unauthorized):
            held.by_token(token)
        # the current and next hash of each of the 6 peers, then (on a match) whether the
        # next one was used
        assert compared[:12] == every_hash, token
        assert len(compared) == (12 if token == "unknown" else 13)


async def test_by_token_uses_a_constant_time_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    digest = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return bool(digest(a, b))

    monkeypatch.setattr("wiseevp_oscp.tokens.hmac.compare_digest", recording)
    held = await peers_of(peer("a", "ta"), peer("b", "tb"))
    assert held.by_token("tb").peer_id == "b"
    assert calls == [(hash_token("tb"), hash_token("ta")), (hash_token("tb"), hash_token("tb"))]


async def test_rotation_is_confirmed_by_the_first_use_of_the_new_token() -> None:
    """During a rotation both tokens are accepted; using the new one retires the old."""
    rotating = peer("cp", "old", token_in_next_hash=hash_token("new"))
    held = await peers_of(rotating, peer("other", "x"))
    assert held.by_token("old") is rotating
    assert rotating.token_in_hash == hash_token("old")
    assert rotating.token_in_next_hash == hash_token("new")
    assert held.by_token("new") is rotating
    assert rotating.token_in_hash == hash_token("new")
    assert rotating.token_in_next_hash is None
    with pytest.raises(Unauthorized):
        held.by_token("old")
    assert held.by_token("new") is rotating


# -- the peer table ---------------------------------------------------------------------------


async def test_save_writes_through_and_load_restores() -> None:
    store = MemoryPeerStore()
    held = Peers(store)
    saved = peer(
        "cp",
        "t",
        token_out="out",
        base_url="https://cp.example.com/oscp/cp/2.0",
        version="2.0",
        handshake=HandshakeState.COMPLETE,
        their_behaviour=RequiredBehaviour(heartbeat_interval=30),
        offline_mode_at=T0,
        online=True,
    )
    await held.save(saved, T0)
    assert saved.updated_at == T0
    assert store.rows["cp"] == saved and store.rows["cp"] is not saved  # a copy, like a row
    saved.online = False
    assert store.rows["cp"].online is True  # not written until saved
    restarted = Peers(store)
    await restarted.load()
    assert restarted.get("cp").online is True
    assert restarted.get("cp").their_behaviour == RequiredBehaviour(heartbeat_interval=30)
    assert restarted.by_token("t").peer_id == "cp"


async def test_save_keeps_updated_at_without_a_time() -> None:
    held = await peers_of(peer("cp", "t"))
    await held.save(held.get("cp"))
    assert held.get("cp").updated_at == T0


async def test_get_find_all_of_role_remove() -> None:
    held = await peers_of(peer("cp", "t1"), peer("co", "t2", Role.CO))
    assert held.find("nobody") is None
    with pytest.raises(UnknownPeer):
        held.get("nobody")
    assert [p.peer_id for p in held.all()] == ["cp", "co"]
    assert [p.peer_id for p in held.of_role(Role.CO)] == ["co"]
    assert held.of_role(Role.FP) == []
    await held.remove("cp")
    assert held.find("cp") is None
    assert isinstance(held.store, MemoryPeerStore) and "cp" not in held.store.rows
    with pytest.raises(Unauthorized):
        held.by_token("t1")
    await held.remove("cp")  # removing twice is fine


def test_connected_needs_registration_and_handshake() -> None:
    p = peer("cp", "t")
    assert not p.connected
    p.handshake = HandshakeState.SENT
    assert not p.connected
    p.handshake = HandshakeState.COMPLETE
    assert p.connected
    p.registration = Registration.UNREGISTERED
    assert not p.connected


def test_url_of_an_endpoint() -> None:
    p = peer("cp", "t", base_url="https://cp.example.com/oscp/cp/2.0")
    assert p.url("heartbeat") == "https://cp.example.com/oscp/cp/2.0/heartbeat"
    with pytest.raises(ValueError, match="no base URL"):
        peer("x", "t").url("heartbeat")


def test_public_view_never_shows_a_token() -> None:
    p = peer(
        "cp",
        "secret-in",
        token_out="secret-out",
        token_in_next_hash=hash_token("secret-next"),
        offline_mode_at=T0,
        their_behaviour=RequiredBehaviour(measurement_configuration=[]),
    )
    view = p.public()
    assert view == {
        "peer_id": "cp",
        "role": "cp",
        "registration": "registered",
        "base_url": None,
        "version": None,
        "handshake": "none",
        "online": False,
        "offline_mode_at": T0.isoformat(),
        "their_behaviour": {"measurement_configuration": []},
    }
    text = repr(view)
    for secret in ("secret", hash_token("secret-in").hex()):
        assert secret not in text
