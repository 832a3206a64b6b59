"""The OSCP engine between two parties over real local HTTP (an FP and a CP, see
:mod:`.parties`): registration and its tokens (3.1.1, 4.3.1), token rotation with PUT and
un-registration with DELETE (4.3.1.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from wiseevp_common.messages.oscp20 import (
    Handshake,
    HandshakeAcknowledge,
    Heartbeat,
    Register,
    VersionUrl,
)
from wiseevp_oscp.endpoints import Endpoint, Header, Role
from wiseevp_oscp.errors import NotConnected, PeerError, PeerUnreachable
from wiseevp_oscp.peers import HandshakeState, Registration
from wiseevp_oscp.tokens import hash_token

from .engine_helpers import FORECAST, MEASUREMENTS, T0, cp_token, fp_token
from .parties import CP_REQUIRES, Party, call, settle

# -- registration (3.1.1, 4.3.1) --------------------------------------------------------------


async def test_registration_exchanges_tokens_and_versions(
    fp: Party, cp: Party, token_a: str
) -> None:
    at_fp, at_cp = fp.peer("cp"), cp.peer("fp")
    assert at_fp.registration is Registration.REGISTERED
    assert at_cp.registration is Registration.REGISTERED
    assert (at_fp.version, at_cp.version) == ("2.0", "2.0")
    assert at_fp.base_url == cp.base_url and at_cp.base_url == fp.base_url
    assert at_fp.role is Role.CP and at_cp.role is Role.FP
    token_b, token_c = cp_token(fp), fp_token(cp)
    assert len({token_a, token_b, token_c}) == 3
    # each side stores only the hash of the token it is presented
    assert at_fp.token_in_hash == hash_token(token_c)
    assert at_cp.token_in_hash == hash_token(token_b)
    assert at_fp.token_in_next_hash is None and at_cp.token_in_next_hash is None
    assert token_c not in repr(at_fp.public()) and token_b not in repr(at_cp.public())
    # stored through to the peer store
    assert fp.store.rows["cp"].registration is Registration.REGISTERED
    assert cp.store.rows["fp"].token_out == token_c
    # the handshake comes next
    assert at_fp.handshake is HandshakeState.NONE and not at_fp.connected


async def test_token_a_dies_and_tokens_b_and_c_work(fp: Party, cp: Party, token_a: str) -> None:
    handshake_body = Handshake(required_behaviour=CP_REQUIRES)
    dead = await call(fp, Endpoint.HANDSHAKE, handshake_body, token=token_a)
    assert (dead.status, dead.message) == (401, "unknown token")
    assert (await call(fp, Endpoint.HANDSHAKE, handshake_body, token=fp_token(cp))).status == 204
    await settle(fp, cp)
    # TOKEN_B authenticates the FP at the CP: an unknown token is 401, TOKEN_B gets further
    ack = HandshakeAcknowledge()
    assert (await call(cp, Endpoint.HANDSHAKE_ACKNOWLEDGE, ack, token="nope")).status == 401
    later = Heartbeat(offline_mode_at=T0 + timedelta(days=1))
    accepted = await call(cp, Endpoint.HEARTBEAT, later, token=cp_token(fp))
    assert accepted.status == 403  # authenticated; the CP's own handshake is not done
    assert "handshake" in accepted.message


async def test_no_common_version_is_501_and_token_a_stays_valid(fp: Party, cp: Party) -> None:
    token_a = await fp.party.registrar.invite("cp", Role.CP)
    offer = Register(
        token="token-b",
        version_url=[
            VersionUrl(version="1.4", base_url=cp.base_url),
            VersionUrl(version="3.0", base_url=cp.base_url),
        ],
    )
    refused = await call(fp, Endpoint.REGISTER, offer, token=token_a)
    assert refused.status == 501
    assert "1.4, 3.0" in refused.message and "supported: 2.0" in refused.message
    assert refused.headers[Header.CORRELATION_ID.value] == "req-1"
    assert fp.peer("cp").registration is Registration.INVITED
    # the CP may retry with a version we support
    await cp.party.registrar.expect("fp", Role.FP, fp.base_url, token_a)
    await cp.party.registrar.register("fp")
    await settle(fp, cp)
    assert fp.peer("cp").registration is Registration.REGISTERED


async def test_the_first_supported_version_of_the_offer_is_chosen(fp: Party, cp: Party) -> None:
    token_a = await fp.party.registrar.invite("cp", Role.CP)
    # the CP is played by hand: it offers two versions, the first one unsupported
    await cp.party.registrar.expect("fp", Role.FP, fp.base_url, "unused")
    at_cp = cp.peer("fp")
    at_cp.registration = Registration.AWAITING_REPLY
    at_cp.token_in_hash = hash_token("token-b")
    offer = Register(
        token="token-b",
        version_url=[
            VersionUrl(version="3.0", base_url="http://127.0.0.1:1/oscp/cp/3.0"),
            VersionUrl(version="2.0", base_url=cp.base_url),
        ],
    )
    assert (await call(fp, Endpoint.REGISTER, offer, token=token_a)).status == 204
    await settle(fp, cp)
    assert fp.peer("cp").base_url == cp.base_url and fp.peer("cp").version == "2.0"
    assert cp.peer("fp").registration is Registration.REGISTERED


async def test_a_failed_registration_reply_lets_the_peer_retry(fp: Party, cp: Party) -> None:
    """The FP's Register reply cannot be delivered: TOKEN_A stays valid for another try."""
    token_a = await fp.party.registrar.invite("cp", Role.CP)
    unreachable = Register(
        token="token-b",
        version_url=[VersionUrl(version="2.0", base_url="http://127.0.0.1:1/oscp/cp/2.0")],
    )
    assert (await call(fp, Endpoint.REGISTER, unreachable, token=token_a)).status == 204
    await settle(fp)
    assert fp.peer("cp").registration is Registration.INVITED
    assert fp.peer("cp").token_in_hash == hash_token(token_a)
    await register_again(cp, fp, token_a)
    assert fp.peer("cp").registration is Registration.REGISTERED


async def register_again(cp: Party, fp: Party, token_a: str) -> None:
    await cp.party.registrar.expect("fp", Role.FP, fp.base_url, token_a)
    await cp.party.registrar.register("fp")
    await settle(fp, cp)


async def test_register_with_an_unreachable_peer_keeps_the_previous_state(
    fp: Party, cp: Party
) -> None:
    await cp.party.registrar.expect("fp", Role.FP, "http://127.0.0.1:1/oscp/fp/2.0", "token-a")
    with pytest.raises(PeerUnreachable, match=r"127\.0\.0\.1:1"):
        await cp.party.registrar.register("fp")
    assert cp.peer("fp").registration is Registration.NEW
    assert cp.peer("fp").token_in_hash is None


async def test_register_refused_by_the_peer_raises_its_answer(fp: Party, cp: Party) -> None:
    await cp.party.registrar.expect("fp", Role.FP, fp.base_url, "not-invited")
    with pytest.raises(PeerError) as refused:
        await cp.party.registrar.register("fp")
    assert refused.value.status == 401
    assert cp.peer("fp").registration is Registration.NEW


async def test_put_rotates_the_token_the_peer_presents(
    fp: Party, cp: Party, connected: None
) -> None:
    """4.3.1.1: PUT tells the other party a new token; the old one dies."""
    old_b = cp_token(fp)
    await cp.party.registrar.rotate("fp")
    new_b = cp_token(fp)
    assert new_b != old_b
    assert cp.peer("fp").token_in_hash == hash_token(new_b)
    assert cp.peer("fp").token_in_next_hash is None
    assert fp.peer("cp").base_url == cp.base_url
    assert cp.store.rows["fp"].token_in_hash == hash_token(new_b)
    gone = await call(cp, Endpoint.UPDATE_GROUP_MEASUREMENTS, MEASUREMENTS, token=old_b)
    assert gone.status == 401
    await fp.party.send(fp.peer("cp"), Endpoint.UPDATE_GROUP_MEASUREMENTS, MEASUREMENTS)
    assert [r.endpoint for r in cp.received] == [Endpoint.UPDATE_GROUP_MEASUREMENTS]
    # and the other way round
    old_c = fp_token(cp)
    await fp.party.registrar.rotate("cp")
    assert (
        await call(fp, Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, FORECAST, token=old_c)
    ).status == 401
    await cp.party.send(cp.peer("fp"), Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, FORECAST)
    assert [r.endpoint for r in fp.received] == [Endpoint.UPDATE_GROUP_CAPACITY_FORECAST]
    # the registration and the handshake survive a rotation
    assert fp.peer("cp").connected and cp.peer("fp").connected


async def test_put_needs_a_completed_registration(fp: Party) -> None:
    token_a = await fp.party.registrar.invite("cp", Role.CP)
    update = Register(token="t", version_url=[VersionUrl(version="2.0", base_url=fp.url)])
    refused = await call(fp, Endpoint.REGISTER, update, token=token_a, method="PUT")
    assert refused.status == 403 and "POST to register" in refused.message
    with pytest.raises(NotConnected):
        await fp.party.registrar.rotate("cp")


async def test_delete_ends_the_registration_on_both_sides(
    fp: Party, cp: Party, connected: None
) -> None:
    token_b, token_c = cp_token(fp), fp_token(cp)
    await cp.party.registrar.unregister("fp")
    for party, peer_id in ((fp, "cp"), (cp, "fp")):
        peer = party.peer(peer_id)
        assert peer.registration is Registration.UNREGISTERED
        assert peer.token_in_hash is None and peer.token_out is None
        assert peer.handshake is HandshakeState.NONE and not peer.online
        assert party.seen("offline") == [T0]
    later = Heartbeat(offline_mode_at=T0 + timedelta(days=1))
    assert (await call(fp, Endpoint.HEARTBEAT, later, token=token_c)).status == 401
    assert (await call(cp, Endpoint.HEARTBEAT, later, token=token_b)).status == 401
    with pytest.raises(NotConnected):
        await cp.party.send(cp.peer("fp"), Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, FORECAST)


async def test_delete_needs_a_completed_registration(fp: Party) -> None:
    token_a = await fp.party.registrar.invite("cp", Role.CP)
    refused = await call(fp, Endpoint.REGISTER, None, token=token_a, method="DELETE")
    assert (refused.status, refused.message) == (403, "not registered")
    assert fp.peer("cp").registration is Registration.INVITED
