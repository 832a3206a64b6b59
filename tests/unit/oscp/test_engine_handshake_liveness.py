"""The OSCP engine between two parties over real local HTTP (an FP and a CP, see
:mod:`.parties`): the handshake (3.1.2, 4.3.2-4.3.3), and heartbeats and offline detection on
a manual clock (2.6.3-2.6.4, 3.4.2, 4.3.4)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

import pytest

from wiseevp_common.clock import ManualClock
from wiseevp_common.messages.oscp20 import (
    Handshake,
    HandshakeAcknowledge,
    Heartbeat,
    MeasurementConfiguration,
    RequiredBehaviour,
)
from wiseevp_oscp.endpoints import Endpoint, Header, Role
from wiseevp_oscp.errors import NotConnected, PeerError
from wiseevp_oscp.peers import HandshakeState
from wiseevp_oscp.policy import ConfiguredPolicy
from wiseevp_oscp.server import FollowUp, Inbound

from .engine_helpers import FORECAST, T0, cp_token, fp_token
from .parties import CP_REQUIRES, FP_REQUIRES, Party, call, handshake, settle, until

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
