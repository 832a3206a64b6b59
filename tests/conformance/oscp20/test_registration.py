"""OSCP 2.0 registration (2.6, 3.1.1, 4.3.1) at our FP: use case 5 and its tokens, the
version and base URL offered, and token rotation and un-registration (4.3.1.1), with a Capacity
Provider played by hand (tests/support/oscp_raw.py) so every header and body is the test's, and
the FP's own messages are caught as they arrive."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from tests.conformance.oscp20.raw_helpers import (
    FP_MIN_HEARTBEAT_S,
    RAW,
    fp_base,
    heartbeat_body,
    quiet,
    unregistered_raw,  # noqa: F401  (the fixture raw)
    view,
)
from tests.support.oscp_raw import RawPeer
from tests.support.oscp_site import OscpSite
from wiseevp_oscp.endpoints import Endpoint, Role, base_path

IN_FLIGHT_S = 0.2
"""Real seconds a heartbeat the FP had already started may take to arrive."""


# -- registration (3.1.1, 4.3.1) -------------------------------------------------------------


async def test_uc05_cp_registers_with_token_a_and_fp_replies_with_token_c(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """Use case 5 (3.1.1): the CP sends TOKEN_B and its base endpoint per OSCP version in a
    Register message, authenticating with TOKEN_A; the FP replies with HTTP 204 if it supports
    one of the versions, chooses the version and generates a new token (TOKEN_C) to be used by
    the CP from now on (sent in its own Register, whose version_url holds the selected version
    with the associated base url). FR.01: the FP responds before sending any other message."""
    token_a, base_url = await cp_site.fp.invite(RAW, Role.CP)
    assert base_url == fp_base(cp_site)
    response, reply = await raw.register(token_a)

    assert response.status == 204
    assert response.body == b""
    assert response.correlation_id == response.request_id
    assert reply.arrived_at > response.received_at, "the Register reply came before the 204"
    assert reply.method == "POST"
    assert reply.path == base_path(Role.CP) + "/register"
    assert reply.token == raw.token_for_fp, "the FP must authenticate with TOKEN_B"
    assert reply.request_id
    body = reply.json()
    assert set(body) == {"token", "version_url"}
    assert body["version_url"] == [{"version": "2.0", "base_url": base_url}]
    assert body["token"] not in ("", token_a, raw.token_for_fp)

    seen = await view(cp_site)
    assert seen["registration"] == "registered"
    assert seen["version"] == "2.0"
    assert seen["base_url"] == raw.base_url
    assert seen["handshake"] == "none"


async def test_uc05_token_a_is_refused_and_token_c_accepted_after_registration(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """Use case 5 (3.1.1) step 3: TOKEN_C is to be used by the CP from now on; TOKEN_A, handed
    over out of band, served only for the registration."""
    token_a, _ = await cp_site.fp.invite(RAW, Role.CP)
    await raw.register(token_a)

    for endpoint, body in (
        (Endpoint.REGISTER, {"token": "again", "version_url": raw.versions()}),
        (Endpoint.HANDSHAKE, {}),
        (Endpoint.HEARTBEAT, heartbeat_body(cp_site)),
    ):
        refused = await raw.send(endpoint, body, token=token_a)
        assert refused.status == 401, (endpoint, refused.status, refused.body)
        assert refused.message

    accepted = await raw.send(Endpoint.HANDSHAKE, {})
    assert accepted.status == 204, accepted.body


async def test_uc05_admin_peer_view_never_contains_a_token(cp_site: OscpSite, raw: RawPeer) -> None:
    """2.6.1: the tokens are the credentials of the connection, exchanged out of band in a
    secure way: the FP's operator view of its peers shows none of them (TOKEN_A, TOKEN_B,
    TOKEN_C, or one rotated since)."""
    token_a, _ = await cp_site.fp.invite(RAW, Role.CP)
    await raw.register(token_a)
    await raw.handshake()
    await cp_site.fp.admin("POST", f"/admin/oscp/peers/{RAW}/rotate-token", expect=204)
    (put,) = raw.server.received(Endpoint.REGISTER, method="PUT")
    tokens = [token_a, raw.token_for_fp, raw.token, put.json()["token"]]

    _, body = await cp_site.fp.admin("GET", "/admin/oscp/peers", expect=200)
    text = json.dumps(body)
    for token in tokens:
        assert token
        assert token not in text

    def keys(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [*value, *(k for v in value.values() for k in keys(v))]
        if isinstance(value, list):
            return [k for v in value for k in keys(v)]
        return []

    assert not [k for k in keys(body) if "token" in k.lower()]


async def test_uc05_fp_registers_with_the_capacity_optimizer(site: OscpSite) -> None:
    """Use case 5 with the FP as initiator towards a Capacity Optimizer (4.3.1.1: Register
    Flexibility Provider → Capacity Optimizer): both end registered on version 2.0, each
    knowing the other's base URL, and the FP's handshake (4.2: the CO serves /handshake)
    completed."""
    co_at_fp = await site.fp.peer("co")
    fp_at_co = await site.co.peer("fp")
    assert co_at_fp is not None
    assert fp_at_co is not None
    assert co_at_fp["registration"] == fp_at_co["registration"] == "registered"
    assert co_at_fp["version"] == fp_at_co["version"] == "2.0"
    assert co_at_fp["base_url"] == site.co.url + base_path(Role.CO)
    assert fp_at_co["base_url"] == site.fp.url + base_path(Role.FP)
    assert co_at_fp["handshake"] == fp_at_co["handshake"] == "complete"


async def test_uc05_fp_chooses_a_supported_version_from_the_offer(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """Use case 5 step 3: the FP chooses the OSCP version it wants to use from the list
    provided by the CP, and replies at the base URL the CP gave for that version."""
    token_a, _ = await cp_site.fp.invite(RAW, Role.CP)
    offer = [
        {"version": "3.0", "base_url": raw.server.url + "/oscp/cp/3.0"},
        {"version": "2.0", "base_url": raw.base_url},
    ]
    _, reply = await raw.register(token_a, offer)
    assert reply.path == base_path(Role.CP) + "/register"
    assert reply.json()["version_url"] == [{"version": "2.0", "base_url": fp_base(cp_site)}]
    assert (await view(cp_site))["version"] == "2.0"


async def test_4_1_3_2_registration_without_a_common_version_is_refused_with_501(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.1.3.2: during registration an error 501 Not Implemented is returned when none of the
    OSCP versions offered in the registration message are supported by the server. Nothing is
    registered: TOKEN_A still registers afterwards."""
    token_a, _ = await cp_site.fp.invite(RAW, Role.CP)
    before = time.monotonic()
    offer = [
        {"version": "1.0", "base_url": raw.server.url + "/oscp/cp/1.0"},
        {"version": "2.1", "base_url": raw.server.url + "/oscp/cp/2.1"},
    ]
    refused = await raw.send(
        Endpoint.REGISTER, {"token": "token-b", "version_url": offer}, token=token_a
    )
    assert refused.status == 501
    assert "2.0" in refused.message
    await quiet(raw, Endpoint.REGISTER, before)
    assert (await view(cp_site))["registration"] == "invited"

    response, _ = await raw.register(token_a)
    assert response.status == 204


async def test_5_1_invalid_base_url_is_refused_with_400(cp_site: OscpSite, raw: RawPeer) -> None:
    """5.1 VersionURL: base_url is a URL (1.3.3: a string of max 255 characters that
    represents a web address) without a trailing slash; anything else is a bad request and
    registers nothing. A URL of exactly 255 characters is valid."""
    token_a, _ = await cp_site.fp.invite(RAW, Role.CP)
    before = time.monotonic()
    too_long = raw.server.url + "/" + "p" * (256 - len(raw.server.url) - 1)
    assert len(too_long) == 256
    for bad in (
        raw.base_url + "/",
        too_long,
        raw.base_url.removeprefix("http://"),
        "",
    ):
        refused = await raw.send(
            Endpoint.REGISTER,
            {"token": "token-b", "version_url": [{"version": "2.0", "base_url": bad}]},
            token=token_a,
        )
        assert refused.status == 400, (bad, refused.status, refused.body)
        assert refused.message
    await quiet(raw, Endpoint.REGISTER, before)

    longest = too_long[:-1]
    _, reply = await raw.register(token_a, [{"version": "2.0", "base_url": longest}])
    assert reply.path == "/" + longest.split("/", 3)[3] + "/register"
    assert (await view(cp_site))["base_url"] == longest


# -- token rotation and un-registration (4.3.1.1) ---------------------------------------------


async def test_4_3_1_1_put_register_switches_the_fp_to_the_new_token_and_endpoint(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.3.1.1: the token can be updated at any time; a PUT makes it possible for the client to
    switch communication from the server to a different client's endpoint. The FP uses the
    new token and base URL in every message it sends from then on; the CP's own token
    (TOKEN_C) is unchanged."""
    await raw.join(cp_site.fp, RAW, required_behaviour={"heartbeat_interval": FP_MIN_HEARTBEAT_S})
    await raw.server.wait_for(Endpoint.HEARTBEAT)
    moved = raw.server.url + "/moved" + base_path(Role.CP)
    response = await raw.send(
        Endpoint.REGISTER,
        {"token": "token-b2", "version_url": [{"version": "2.0", "base_url": moved}]},
        method="PUT",
    )
    assert response.status == 204, response.body
    assert response.body == b""

    old = (base_path(Role.CP) + "/heartbeat", raw.token_for_fp)
    new = ("/moved/oscp/cp/2.0/heartbeat", "token-b2")
    beats = await raw.server.wait_for(Endpoint.HEARTBEAT, 3, after=response.received_at)
    # the first may have been on its way when the PUT was answered
    assert (beats[0].path, beats[0].token) in (old, new)
    assert [(b.path, b.token) for b in beats[1:]] == [new] * (len(beats) - 1)
    _, ack = await raw.handshake({"heartbeat_interval": FP_MIN_HEARTBEAT_S})
    assert (ack.path, ack.token) == ("/moved/oscp/cp/2.0/handshake_acknowledge", "token-b2")
    assert (await view(cp_site))["base_url"] == moved


async def test_4_3_1_1_fp_rotates_its_token_with_put(cp_site: OscpSite, raw: RawPeer) -> None:
    """4.3.1.1: the token can be updated at any time; the FP PUTs a Register with the new token
    the CP is to use (and the selected version with the FP's base URL). Once the CP accepted
    it, the old token is refused with 401 and the new one accepted."""
    await raw.join(cp_site.fp, RAW)
    token_c = raw.token
    await cp_site.fp.admin("POST", f"/admin/oscp/peers/{RAW}/rotate-token", expect=204)

    (put,) = raw.server.received(Endpoint.REGISTER, method="PUT")
    assert put.path == base_path(Role.CP) + "/register"
    assert put.token == raw.token_for_fp
    assert put.request_id
    body = put.json()
    assert body["version_url"] == [{"version": "2.0", "base_url": fp_base(cp_site)}]
    new = body["token"]
    assert new not in ("", token_c, raw.token_for_fp)

    old = await raw.send(Endpoint.HEARTBEAT, heartbeat_body(cp_site), token=token_c)
    assert old.status == 401
    assert old.message
    accepted = await raw.send(Endpoint.HEARTBEAT, heartbeat_body(cp_site), token=new)
    assert accepted.status == 204, accepted.body
    assert (await view(cp_site))["registration"] == "registered"


async def test_4_3_1_1_new_token_used_before_the_put_is_answered_stays_valid(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.3.1.1: the token can be updated at any time. The CP may use the new token as soon as
    it has it — its next message can overtake its 204 to the FP's PUT on the network — and
    the new token then stays valid once the rotation completes; the old one is refused."""
    await raw.join(cp_site.fp, RAW)
    token_c = raw.token
    held = raw.server.hold(Endpoint.REGISTER.value)
    rotation = asyncio.create_task(
        cp_site.fp.admin("POST", f"/admin/oscp/peers/{RAW}/rotate-token", expect=204)
    )
    try:
        (put,) = await raw.server.wait_for(Endpoint.REGISTER, method="PUT")
        new = put.json()["token"]
        early = await raw.send(Endpoint.HEARTBEAT, heartbeat_body(cp_site), token=new)
        assert early.status == 204, early.body
    finally:
        held.set()
        await rotation

    later = await raw.send(Endpoint.HEARTBEAT, heartbeat_body(cp_site), token=new)
    assert later.status == 204, later.body
    old = await raw.send(Endpoint.HEARTBEAT, heartbeat_body(cp_site), token=token_c)
    assert old.status == 401


async def test_4_3_1_1_token_rotation_refused_by_the_cp_keeps_the_old_token(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.3.1.1 / 4.1.3.2: when the CP refuses the FP's PUT (an error response), the token is
    not updated: the CP keeps using its token, and the refused one is not accepted."""
    await raw.join(cp_site.fp, RAW)
    raw.server.answer(Endpoint.REGISTER.value, 400, "no new token, thanks")
    status, _ = await cp_site.fp.admin("POST", f"/admin/oscp/peers/{RAW}/rotate-token")
    assert status == 502
    (put,) = raw.server.received(Endpoint.REGISTER, method="PUT")

    kept = await raw.send(Endpoint.HEARTBEAT, heartbeat_body(cp_site))
    assert kept.status == 204, kept.body
    refused = await raw.send(Endpoint.HEARTBEAT, heartbeat_body(cp_site), token=put.json()["token"])
    assert refused.status == 401


async def test_4_3_1_1_delete_register_by_the_cp_ends_all_communication(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.3.1.1: a DELETE instantiates the un-registration process; both parties must end any
    automated communication. The FP refuses the CP's token afterwards (401) and stops its
    heartbeats."""
    await raw.join(cp_site.fp, RAW, required_behaviour={"heartbeat_interval": FP_MIN_HEARTBEAT_S})
    await raw.server.wait_for(Endpoint.HEARTBEAT)
    response = await raw.send(Endpoint.REGISTER, method="DELETE")
    assert response.status == 204, response.body

    refused = await raw.send(Endpoint.HEARTBEAT, heartbeat_body(cp_site))
    assert refused.status == 401
    assert (await view(cp_site))["registration"] == "unregistered"
    await quiet(raw, Endpoint.HEARTBEAT, response.received_at, IN_FLIGHT_S)


async def test_4_3_1_1_delete_register_by_the_fp_ends_all_communication(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.3.1.1: a DELETE instantiates the un-registration process; both parties must end any
    automated communication. The FP sends DELETE <CP base>/register (no body, TOKEN_B), then
    refuses the CP's token (401) and sends no more heartbeats."""
    await raw.join(cp_site.fp, RAW, required_behaviour={"heartbeat_interval": FP_MIN_HEARTBEAT_S})
    await raw.server.wait_for(Endpoint.HEARTBEAT)
    await cp_site.fp.admin("DELETE", f"/admin/oscp/peers/{RAW}/registration", expect=204)
    done = time.monotonic()

    (delete,) = raw.server.received(Endpoint.REGISTER, method="DELETE")
    assert delete.path == base_path(Role.CP) + "/register"
    assert delete.token == raw.token_for_fp
    assert delete.request_id
    assert delete.body == b""
    refused = await raw.send(Endpoint.HEARTBEAT, heartbeat_body(cp_site))
    assert refused.status == 401
    await quiet(raw, Endpoint.HEARTBEAT, done, IN_FLIGHT_S)
