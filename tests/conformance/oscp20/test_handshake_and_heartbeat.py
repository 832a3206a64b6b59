"""OSCP 2.0 handshake and heartbeats (2.6.4, 3.1.2, 4.3.2-4.3.4) at our FP: use case 6, the
required behaviour (5.2), the heartbeats the FP sends and accepts, and the connection endpoints
(4.2), with a Capacity Provider played by hand (tests/support/oscp_raw.py) so every header and
body is the test's, and the FP's own messages are caught as they arrive."""

from __future__ import annotations

import itertools
import re
import time
from datetime import timedelta
from typing import Any

from tests.conformance.oscp20.raw_helpers import (
    FP_MIN_HEARTBEAT_S,
    RAW,
    heartbeat_body,
    quiet,
    unregistered_raw,  # noqa: F401  (the fixture raw)
    view,
)
from tests.support.oscp_raw import RawPeer
from tests.support.oscp_site import HEARTBEAT_S, OscpSite
from wiseevp_common.messages.ocpp16.datetimes import parse_rfc3339
from wiseevp_common.messages.oscp20 import CapacityForecastType, UpdateGroupCapacityForecast
from wiseevp_oscp.endpoints import Endpoint, Role, base_path

FP_OFFLINE_FACTOR = 2.0
"""The FP's heartbeats announce offline_mode_at = now + interval x this (its default)."""
RFC3339_WITH_OFFSET = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})"
)


def forecast(site: OscpSite, group: str = "area-2") -> dict[str, Any]:
    message = UpdateGroupCapacityForecast(
        group_id=group, type=CapacityForecastType.CONSUMPTION, forecasted_blocks=site.blocks(16)
    )
    return message.model_dump(mode="json", exclude_none=True)


# -- handshake (3.1.2, 4.3.2, 4.3.3) ----------------------------------------------------------


async def test_uc06_messages_before_the_handshake_are_refused_with_403(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """Use case 6 (3.1.2), error handling: as long as handshaking is not completed any other
    message SHOULD either be ignored or rejected, e.g. replied to with HTTP 403 (forbidden).
    4.3.4: sending a heartbeat is only permitted after the handshake is completed."""
    await raw.join(cp_site.fp, RAW, handshake=False)
    for endpoint, body in (
        (Endpoint.HEARTBEAT, heartbeat_body(cp_site)),
        (Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, forecast(cp_site)),
    ):
        refused = await raw.send(endpoint, body)
        assert refused.status == 403, (endpoint, refused.status, refused.body)
        assert "handshake" in refused.message.lower()


async def test_uc06_fr_01_handshake_is_answered_before_the_acknowledge(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """Use case 6 (3.1.2): the CP sends a Handshake; the FP accepts it by replying with HTTP 204
    and sending a HandshakeAcknowledge (with its own preferences) to the CP; the CP replies
    204 and the connection is established. 4.3.2: the Handshake MUST be replied to with a
    HTTP 204 prior to sending the acknowledge; FR.01: the receiver SHALL give a response before
    sending any other message. From then on other messages are permitted."""
    await raw.join(cp_site.fp, RAW, handshake=False)
    response, ack = await raw.handshake({"heartbeat_interval": FP_MIN_HEARTBEAT_S})

    assert response.status == 204
    assert response.body == b""
    assert ack.arrived_at > response.received_at, "the acknowledge came before the 204"
    assert ack.method == "POST"
    assert ack.path == base_path(Role.CP) + "/handshake_acknowledge"
    assert ack.token == raw.token_for_fp
    assert ack.correlation_id == response.request_id
    assert ack.json() == {"required_behaviour": {"heartbeat_interval": HEARTBEAT_S}}

    seen = await cp_site.fp.wait_peer(RAW, lambda v: v["online"])
    assert seen["handshake"] == "complete"
    assert seen["their_behaviour"] == {"heartbeat_interval": FP_MIN_HEARTBEAT_S}
    beat = await raw.send(Endpoint.HEARTBEAT, heartbeat_body(cp_site))
    assert beat.status == 204, beat.body
    sent = await raw.send(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, forecast(cp_site))
    assert sent.status == 204, sent.body
    await cp_site.wait_capacity(lambda c: c.forecast_request_id == sent.request_id, "area-2")


async def test_uc06_refused_preference_is_answered_with_400(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """Use case 6 failure postcondition: the FP does not accept the CP's preference and
    therefore replies to the Handshake with HTTP 400 (bad request); no HandshakeAcknowledge
    follows and the connection is not established. A preference the FP can keep up (the
    shortest heartbeat interval it allows) is accepted."""
    await raw.join(cp_site.fp, RAW, handshake=False)
    before = time.monotonic()
    refused = await raw.send(
        Endpoint.HANDSHAKE, {"required_behaviour": {"heartbeat_interval": FP_MIN_HEARTBEAT_S - 1}}
    )
    assert refused.status == 400
    assert "heartbeat_interval" in refused.message
    await quiet(raw, Endpoint.HANDSHAKE_ACKNOWLEDGE, before)
    beat = await raw.send(Endpoint.HEARTBEAT, heartbeat_body(cp_site))
    assert beat.status == 403

    response, _ = await raw.handshake({"heartbeat_interval": FP_MIN_HEARTBEAT_S})
    assert response.status == 204


async def test_5_2_empty_required_behaviour_is_refused_with_400(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """5.2 RequiredBehaviour: empty required_behaviour objects are not allowed (at least one of
    heartbeat_interval and measurement_configuration); such a Handshake is a bad request and
    is not acknowledged."""
    await raw.join(cp_site.fp, RAW, handshake=False)
    before = time.monotonic()
    refused = await raw.send(Endpoint.HANDSHAKE, {"required_behaviour": {}})
    assert refused.status == 400
    assert "required_behaviour" in refused.message
    await quiet(raw, Endpoint.HANDSHAKE_ACKNOWLEDGE, before)
    assert (await view(cp_site))["handshake"] == "none"


async def test_uc06_cp_refusing_the_acknowledge_leaves_the_handshake_incomplete(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """Use case 6 failure postcondition: the CP does not accept the FP's preference and
    replies to the HandshakeAcknowledge with HTTP 400; the handshake is not completed, so the
    FP refuses other messages (403) and sends no heartbeats."""
    await raw.join(cp_site.fp, RAW, handshake=False)
    raw.server.answer(Endpoint.HANDSHAKE_ACKNOWLEDGE.value, 400, "heartbeat_interval too long")
    response, ack = await raw.handshake({"heartbeat_interval": FP_MIN_HEARTBEAT_S})
    assert response.status == 204
    assert ack.status == 400

    await cp_site.fp.wait_peer(RAW, lambda v: v["handshake"] == "none")
    beat = await raw.send(Endpoint.HEARTBEAT, heartbeat_body(cp_site))
    assert beat.status == 403
    await quiet(raw, Endpoint.HEARTBEAT, ack.arrived_at)


# -- heartbeats (2.6.4, 4.3.4) ----------------------------------------------------------------


async def test_4_3_4_fp_sends_heartbeats_at_the_interval_asked(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """2.6.4 / 4.3.4: the interval in which heartbeats are sent is determined by the
    handshake; each Heartbeat carries offline_mode_at, the time (RFC 3339 with a time zone
    offset, 1.9.1) until which the sender stays online without a newer heartbeat — a time in
    the future, renewed with every heartbeat."""
    interval = FP_MIN_HEARTBEAT_S
    await raw.join(cp_site.fp, RAW, required_behaviour={"heartbeat_interval": interval})
    beats = await raw.server.wait_for(Endpoint.HEARTBEAT, 4)

    offline_at = []
    for beat in beats:
        assert beat.method == "POST"
        assert beat.path == base_path(Role.CP) + "/heartbeat"
        assert beat.token == raw.token_for_fp
        assert beat.request_id
        body = beat.json()
        assert set(body) == {"offline_mode_at"}
        assert RFC3339_WITH_OFFSET.fullmatch(body["offline_mode_at"]), body
        at = parse_rfc3339(body["offline_mode_at"])
        ahead = (at - beat.at).total_seconds()
        assert 0 < ahead <= interval * FP_OFFLINE_FACTOR + 1, (body, beat.at)
        offline_at.append(at)
    # at the interval asked (5 s), not the FP's own (20 s) nor faster; the FP's loop and the
    # network may add a little (at 20x, 1 simulated second is 50 ms; ms rounding: 0.01)
    renewed = [(b - a).total_seconds() for a, b in itertools.pairwise(offline_at)]
    assert all(interval - 0.01 <= gap <= interval * 1.5 for gap in renewed), renewed
    arrived = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(beats)]
    assert all(interval * 0.8 <= gap <= interval * 1.5 for gap in arrived), arrived


async def test_4_3_4_heartbeat_with_offline_mode_at_in_the_past_is_refused(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.3.4 / 2.6.4: offline_mode_at is the time before which the next heartbeat must arrive,
    a time in the future; one in the past is a bad request (400)."""
    await raw.join(cp_site.fp, RAW)
    refused = await raw.heartbeat(cp_site.now() - timedelta(minutes=1))
    assert refused.status == 400
    assert "offline_mode_at" in refused.message
    accepted = await raw.heartbeat(cp_site.now() + timedelta(minutes=1))
    assert accepted.status == 204, accepted.body


# -- endpoints (4.2) --------------------------------------------------------------------------


async def test_4_2_misspelt_handshake_acknowledge_endpoints_do_not_exist(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.2: the URL extensions are defined by the protocol: HandshakeAcknowledge is
    <base>/handshake_acknowledge. The spellings some implementations use
    (handshake_acknowledgement, handshake_acknowledgment) are not endpoints (404); the
    spec's one exists (a CP may not call it at the FP: 403)."""
    await raw.join(cp_site.fp, RAW)
    body = {"required_behaviour": {"heartbeat_interval": HEARTBEAT_S}}
    for misspelt in ("handshake_acknowledgement", "handshake_acknowledgment"):
        missing = await raw.send(misspelt, body)
        assert missing.status == 404, (misspelt, missing.status, missing.body)
    spec = await raw.send(Endpoint.HANDSHAKE_ACKNOWLEDGE, body)
    assert spec.status == 403, spec.body
