"""The OSCP engine between two parties over real local HTTP (an FP and a CP, see
:mod:`.parties`): registration and its tokens (3.1.1, 4.3.1), the handshake (3.1.2, 4.3.2-4.3.3),
heartbeats and offline detection on a manual clock (2.6.3-2.6.4, 3.4.2, 4.3.4), and the
request pipeline's answers (4.1.2-4.1.3)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from wiseevp_common.clock import ManualClock
from wiseevp_common.messages.oscp20 import (
    ForecastedBlock,
    ForecastedBlockUnit,
    Handshake,
    HandshakeAcknowledge,
    Heartbeat,
    MeasurementConfiguration,
    PhaseIndicator,
    Register,
    RequiredBehaviour,
    UpdateGroupCapacityForecast,
    UpdateGroupMeasurements,
    VersionUrl,
)
from wiseevp_oscp.endpoints import Endpoint, Header, Role
from wiseevp_oscp.errors import NotConnected, PeerError, PeerUnreachable
from wiseevp_oscp.peers import HandshakeState, Registration
from wiseevp_oscp.policy import ConfiguredPolicy
from wiseevp_oscp.server import FollowUp, Inbound
from wiseevp_oscp.tokens import hash_token

from .parties import (
    CP_REQUIRES,
    FP_REQUIRES,
    Party,
    call,
    handshake,
    register,
    settle,
    until,
)

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
FORECAST = UpdateGroupCapacityForecast(
    group_id="g1",
    type="CONSUMPTION",
    forecasted_blocks=[
        ForecastedBlock(
            capacity=Decimal(16),
            phase=PhaseIndicator.ALL,
            unit=ForecastedBlockUnit.A,
            start_time=T0,
            end_time=T0 + timedelta(minutes=15),
        )
    ],
)
MEASUREMENTS = UpdateGroupMeasurements(group_id="g1", measurements=[])


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def fp(clock: ManualClock) -> AsyncIterator[Party]:
    party = Party(Role.FP, "fp", clock, FP_REQUIRES)
    await party.start()
    try:
        yield party
    finally:
        await party.stop()


@pytest.fixture
async def cp(clock: ManualClock) -> AsyncIterator[Party]:
    party = Party(Role.CP, "cp", clock, CP_REQUIRES)
    await party.start()
    try:
        yield party
    finally:
        await party.stop()


@pytest.fixture
async def token_a(fp: Party, cp: Party) -> str:
    """The CP registered with the FP (no handshake yet); the TOKEN_A it registered with."""
    return await register(cp, fp)


@pytest.fixture
async def connected(fp: Party, cp: Party, token_a: str) -> None:
    """Registered and handshaken (the CP initiates the handshake)."""
    await handshake(cp, fp)


def cp_token(fp: Party) -> str:
    """TOKEN_B: the token the FP presents at the CP."""
    token = fp.peer("cp").token_out
    assert token is not None
    return token


def fp_token(cp: Party) -> str:
    """TOKEN_C: the token the CP presents at the FP."""
    token = cp.peer("fp").token_out
    assert token is not None
    return token


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


# -- handshake (3.1.2, 4.3.2-4.3.3) -----------------------------------------------------------


async def test_messages_before_the_handshake_are_403(fp: Party, cp: Party, token_a: str) -> None:
    before = await call(fp, Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, FORECAST, token=fp_token(cp))
    assert before.status == 403
    assert "send a Handshake first" in before.message
    with pytest.raises(NotConnected):
        await cp.party.send(cp.peer("fp"), Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, FORECAST)
    await handshake(cp, fp)
    after = await call(fp, Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, FORECAST, token=fp_token(cp))
    assert after.status == 204
    (inbound,) = fp.received
    assert inbound.message == FORECAST and inbound.peer.peer_id == "cp"
    assert inbound.request_id == "req-1"


async def test_handshake_exchanges_the_required_behaviours(
    fp: Party, cp: Party, connected: None
) -> None:
    at_fp, at_cp = fp.peer("cp"), cp.peer("fp")
    assert at_fp.connected and at_cp.connected
    assert at_fp.their_behaviour == CP_REQUIRES and at_fp.our_behaviour == FP_REQUIRES
    assert at_cp.their_behaviour == FP_REQUIRES and at_cp.our_behaviour == CP_REQUIRES
    assert at_fp.online and at_cp.online
    assert fp.seen("online") == [T0] and cp.seen("online") == [T0]
    # each expects the other's first heartbeat within interval x offline factor
    assert at_fp.offline_mode_at == T0 + timedelta(seconds=120)
    assert at_cp.offline_mode_at == T0 + timedelta(seconds=60)


async def test_refused_preferences_are_400(fp: Party, cp: Party, token_a: str) -> None:
    cp.party.handshakes.policy = ConfiguredPolicy(
        required={Role.FP: RequiredBehaviour(heartbeat_interval=1)}
    )
    with pytest.raises(PeerError) as refused:
        await cp.party.handshakes.initiate("fp")
    assert refused.value.status == 400
    assert "heartbeat_interval 1 s is shorter than the 5 s" in refused.value.message
    assert cp.peer("fp").handshake is HandshakeState.NONE
    assert fp.peer("cp").handshake is HandshakeState.NONE
    fp.party.handshakes.policy = ConfiguredPolicy(
        measurement_configurations=frozenset({MeasurementConfiguration.CONTINUOUS})
    )
    intermittent = Handshake(
        required_behaviour=RequiredBehaviour(
            measurement_configuration=[MeasurementConfiguration.INTERMITTENT]
        )
    )
    answer = await call(fp, Endpoint.HANDSHAKE, intermittent, token=fp_token(cp))
    assert answer.status == 400 and "INTERMITTENT" in answer.message
    invalid = await call(
        fp,
        Endpoint.HANDSHAKE,
        {"required_behaviour": {"heartbeat_interval": 0}},
        token=fp_token(cp),
    )
    assert invalid.status == 400 and "heartbeat_interval" in invalid.message
    assert not fp.received and fp.peer("cp").handshake is HandshakeState.NONE


async def test_a_refused_acknowledge_leaves_both_unconnected(
    fp: Party, cp: Party, token_a: str
) -> None:
    """The CP refuses what the FP requires in its HandshakeAcknowledge: no connection."""
    fp.party.handshakes.policy = ConfiguredPolicy(
        required={Role.CP: RequiredBehaviour(heartbeat_interval=2)}
    )
    await handshake(cp, fp)
    assert fp.peer("cp").handshake is HandshakeState.NONE
    assert cp.peer("fp").handshake is HandshakeState.SENT
    assert fp.seen("online") == [] and cp.seen("online") == []


async def test_handshake_acknowledge_only_after_the_204(
    fp: Party, cp: Party, token_a: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3.1.2: the Handshake is answered 204 first; the HandshakeAcknowledge follows as a
    follow-up (held here until the test has the 204), its X-Correlation-ID naming the
    Handshake."""
    acknowledged: list[str | None] = []
    receive = cp.party.server.handlers[Endpoint.HANDSHAKE_ACKNOWLEDGE]

    async def recording(inbound: Inbound) -> FollowUp | None:
        acknowledged.append(inbound.correlation_id)
        return await receive(inbound)

    handlers = {**cp.party.server.handlers, Endpoint.HANDSHAKE_ACKNOWLEDGE: recording}
    monkeypatch.setattr(cp.party.server, "handlers", handlers)
    gate = asyncio.Event()
    spawn = fp.party.followups.spawn

    def gated(work: Coroutine[Any, Any, None], what: str) -> None:
        async def after_gate() -> None:
            await gate.wait()
            await work

        spawn(after_gate(), what)

    monkeypatch.setattr(fp.party.followups, "spawn", gated)
    cp.peer("fp").handshake = HandshakeState.SENT  # as initiate() does
    answer = await call(
        fp,
        Endpoint.HANDSHAKE,
        Handshake(required_behaviour=CP_REQUIRES),
        token=fp_token(cp),
        request_id="handshake-1",
    )
    assert answer.status == 204 and answer.body is None
    assert answer.headers[Header.CORRELATION_ID.value] == "handshake-1"
    assert answer.headers[Header.REQUEST_ID.value]
    assert acknowledged == []  # nothing sent before the 204 was written
    gate.set()
    await settle(fp, cp)
    assert acknowledged == ["handshake-1"]
    assert cp.peer("fp").connected and fp.peer("cp").connected


async def test_acknowledge_without_a_handshake_of_ours_is_400(
    fp: Party, cp: Party, connected: None
) -> None:
    answer = await call(
        cp, Endpoint.HANDSHAKE_ACKNOWLEDGE, HandshakeAcknowledge(), token=cp_token(fp)
    )
    assert answer.status == 400 and "no Handshake of ours" in answer.message


# -- heartbeats and offline detection (2.6.3-2.6.4, 3.4.2, 4.3.4) -----------------------------


async def test_heartbeats_go_at_the_interval_asked(
    fp: Party, cp: Party, clock: ManualClock, connected: None
) -> None:
    await cp.run(cp.party.liveness.beat)
    at_fp = fp.peer("cp")
    # the first at once, announcing offline after interval x offline factor (60 s x 2)
    await until(lambda: at_fp.offline_mode_at == T0 + timedelta(seconds=120), "first heartbeat")
    await clock.advance(59)
    await asyncio.sleep(0.05)  # a heartbeat sent now would have arrived by then
    assert at_fp.offline_mode_at == T0 + timedelta(seconds=120)
    await clock.advance(1)
    await until(lambda: at_fp.offline_mode_at == T0 + timedelta(seconds=180), "second heartbeat")
    assert at_fp.online and fp.seen("offline") == []


async def test_paused_heartbeats_are_not_sent(
    fp: Party, cp: Party, clock: ManualClock, connected: None
) -> None:
    cp.party.liveness.paused = True
    await cp.run(cp.party.liveness.beat)
    await clock.advance(60)
    await asyncio.sleep(0.05)
    assert fp.peer("cp").offline_mode_at == T0 + timedelta(seconds=120)  # from the handshake


async def test_offline_exactly_at_offline_mode_at(
    fp: Party, cp: Party, clock: ManualClock, connected: None
) -> None:
    """3.4.2: without a newer heartbeat the peer is offline the moment offline_mode_at passes;
    its handshake is reset (3.4.3) and the listener told at once."""
    await fp.run(fp.party.liveness.watch)
    await clock.advance(119)
    assert fp.seen("offline") == []
    await clock.advance(1)
    await until(lambda: bool(fp.seen("offline")), "offline")
    assert fp.seen("offline") == [T0 + timedelta(seconds=120)]  # woken exactly then
    at_fp = fp.peer("cp")
    assert not at_fp.online and at_fp.handshake is HandshakeState.NONE
    assert fp.store.rows["cp"].online is False
    refused = await call(fp, Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, FORECAST, token=fp_token(cp))
    assert refused.status == 403


async def test_a_heartbeat_moves_the_deadline(
    fp: Party, cp: Party, clock: ManualClock, connected: None
) -> None:
    await fp.run(fp.party.liveness.watch)
    await clock.advance(10)
    later = T0 + timedelta(seconds=300)
    beat = await call(fp, Endpoint.HEARTBEAT, Heartbeat(offline_mode_at=later), token=fp_token(cp))
    assert beat.status == 204
    await clock.advance(110)  # the old deadline passes
    assert fp.seen("offline") == []
    await clock.advance(179)
    assert fp.seen("offline") == []
    await clock.advance(1)
    await until(lambda: bool(fp.seen("offline")), "offline")
    assert fp.seen("offline") == [later]


async def test_a_heartbeat_in_the_past_is_400(fp: Party, cp: Party, connected: None) -> None:
    for when in (T0, T0 - timedelta(seconds=1)):
        answer = await call(
            fp, Endpoint.HEARTBEAT, Heartbeat(offline_mode_at=when), token=fp_token(cp)
        )
        assert answer.status == 400 and "must be a time in the future" in answer.message
    assert fp.peer("cp").offline_mode_at == T0 + timedelta(seconds=120)


async def test_heartbeat_refused_403_makes_the_initiator_handshake_again(
    fp: Party, cp: Party, clock: ManualClock, token_a: str
) -> None:
    """The FP saw the CP go offline (its heartbeats were lost); the CP learns it when its next
    heartbeat is refused and, as the handshake's initiator, handshakes again (3.4.3)."""
    await cp.run(cp.party._keep_handshaken)  # the CP handshakes as soon as it runs
    await until(lambda: len(fp.seen("online")) == 1 == len(cp.seen("online")), "handshake")
    await settle(fp, cp)
    assert fp.seen("online") == [T0]
    await fp.run(fp.party.liveness.watch)
    cp.party.liveness.paused = True  # heartbeats lost on the way
    await cp.run(cp.party.liveness.beat)
    await clock.advance(120)
    await until(lambda: fp.seen("offline") == [T0 + timedelta(seconds=120)], "CP offline at FP")
    assert cp.peer("fp").handshake is HandshakeState.COMPLETE  # the CP does not know yet
    assert len(cp.seen("online")) == 1
    cp.party.liveness.paused = False
    await clock.advance(60)  # the CP's next heartbeat is refused: 403
    await until(lambda: len(fp.seen("online")) == 2 == len(cp.seen("online")), "handshake again")
    assert fp.seen("online") == [T0, T0 + timedelta(seconds=180)]
    await settle(fp, cp)
    assert fp.peer("cp").connected and cp.peer("fp").connected
    # heartbeats flow again: the FP expects the next one within 120 s from now
    await until(
        lambda: fp.peer("cp").offline_mode_at == T0 + timedelta(seconds=300), "heartbeat again"
    )
    assert fp.peer("cp").online


async def test_a_refused_message_drops_the_handshake_too(
    fp: Party, cp: Party, connected: None
) -> None:
    fp.peer("cp").handshake = HandshakeState.NONE  # the FP lost it (e.g. restarted)
    with pytest.raises(PeerError) as refused:
        await cp.party.send(cp.peer("fp"), Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, FORECAST)
    assert refused.value.status == 403
    assert cp.peer("fp").handshake is HandshakeState.NONE


# -- the request pipeline (4.1.2-4.1.3) -------------------------------------------------------


async def test_request_checks_in_order(fp: Party, cp: Party, connected: None) -> None:
    token = fp_token(cp)
    no_id = await call(fp, Endpoint.HEARTBEAT, b"", token=None, request_id=None)
    assert no_id.status == 400 and "X-Request-ID" in no_id.message
    assert Header.CORRELATION_ID.value not in no_id.headers
    blank_id = await call(fp, Endpoint.HEARTBEAT, b"", token=token, request_id=" ")
    assert blank_id.status == 400
    no_token = await call(fp, Endpoint.HEARTBEAT, b"", token=None)
    assert no_token.status == 401 and "Authorization header is missing" in no_token.message
    assert no_token.headers[Header.CORRELATION_ID.value] == "req-1"
    bearer = await call(
        fp,
        Endpoint.HEARTBEAT,
        b"",
        token=None,
        headers={Header.AUTHORIZATION.value: f"Bearer {token}"},
    )
    assert bearer.status == 401 and "'Token <token>'" in bearer.message
    wrong_role = await call(fp, Endpoint.HANDSHAKE_ACKNOWLEDGE, HandshakeAcknowledge(), token=token)
    assert wrong_role.status == 403
    assert wrong_role.message == (
        "a Capacity Provider may not send HandshakeAcknowledge to a Flexibility Provider"
    )
    no_body = await call(fp, Endpoint.HEARTBEAT, b"", token=token)
    assert no_body.status == 400 and "no JSON body" in no_body.message
    not_json = await call(fp, Endpoint.HEARTBEAT, b"{", token=token)
    assert not_json.status == 400 and "not valid JSON" in not_json.message
    extra = await call(
        fp,
        Endpoint.UPDATE_GROUP_CAPACITY_FORECAST,
        {**FORECAST.model_dump(mode="json"), "extra": 1},
        token=token,
    )
    assert extra.status == 400 and extra.message.startswith("invalid UpdateGroupCapacityForecast")
    assert fp.received == []


async def test_unserved_endpoints_are_404(fp: Party, cp: Party, connected: None) -> None:
    answer = await call(fp, Endpoint.UPDATE_GROUP_MEASUREMENTS, MEASUREMENTS, token=fp_token(cp))
    assert answer.status == 404
    get = await call(fp, Endpoint.HEARTBEAT, None, token=fp_token(cp), method="GET")
    assert get.status == 405
