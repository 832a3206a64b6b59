"""OSCP 2.0 messages (chapters 1.3.3, 1.9, 4 and 5) at our FP's endpoints: HTTP headers,
responses, datatypes, payload validation and segmented messages, sent by a Capacity Provider
played by hand (tests/support/oscp_raw.py) so every header and byte is the test's."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.oscp_raw import RawPeer, RawResponse, oscp_time, raw_peer
from tests.support.oscp_site import OscpSite
from tests.support.waiting import wait_for_value
from wiseevp_common.messages.oscp20 import CapacityForecastType, UpdateGroupCapacityForecast
from wiseevp_oscp.endpoints import Endpoint, Header, Role, base_path

RAW = "raw-cp"
GROUP = "area-2"
OPENAPI = Path(__file__).resolve().parents[3] / "docs" / "openapi" / "oscp-fp.json"
SEGMENT_TIMEOUT_S = 30.0
"""The FP's segment timeout (PartyConfig default), simulated seconds."""


@pytest.fixture
async def raw(cp_site: OscpSite) -> AsyncIterator[RawPeer]:
    """A CP played by hand, registered and handshaken at the FP (online for an hour)."""
    async with raw_peer(cp_site.fp.url + base_path(Role.FP), Role.CP, cp_site.now) as peer:
        await peer.join(cp_site.fp, RAW)
        yield peer


def forecast(site: OscpSite, *capacities: float) -> dict[str, Any]:
    """An UpdateGroupCapacityForecast (CONSUMPTION, amperes) of :data:`GROUP` as JSON."""
    message = UpdateGroupCapacityForecast(
        group_id=GROUP,
        type=CapacityForecastType.CONSUMPTION,
        forecasted_blocks=site.blocks(*(capacities or (16,))),
    )
    return message.model_dump(mode="json", exclude_none=True)


def heartbeat(site: OscpSite) -> dict[str, str]:
    return {"offline_mode_at": oscp_time(site.now() + timedelta(minutes=5))}


def refused(response: RawResponse, status: int = 400, *words: str) -> None:
    """``response`` is an error ``status`` with a ``{"message": ...}`` naming ``words``."""
    assert response.status == status, (response.status, response.body)
    for word in words:
        assert word in response.message, (word, response.message)


async def applied(site: OscpSite, request_id: str | None) -> None:
    await site.wait_capacity(lambda c: c.forecast_request_id == request_id, GROUP)


# -- HTTP headers (4.1.2) ---------------------------------------------------------------------


async def test_4_1_2_missing_request_id_is_refused_with_400(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.1.2: every message SHALL have at least an Authorization header and an X-Request-ID
    header; a request without an X-Request-ID (or an empty one) is a bad request."""
    omitted = await raw.send(Endpoint.HEARTBEAT, heartbeat(cp_site), omit=[Header.REQUEST_ID])
    refused(omitted, 400, Header.REQUEST_ID.value)
    for empty in ("", "  "):
        blank = await raw.send(
            Endpoint.HEARTBEAT, heartbeat(cp_site), headers={Header.REQUEST_ID.value: empty}
        )
        refused(blank, 400, Header.REQUEST_ID.value)


async def test_4_1_2_missing_or_malformed_authorization_is_refused_with_401(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.1.2: the Authorization header carries the token: "Authorization: Token <token>".
    Without it, or in another form, the request is unauthorized (401)."""
    body = heartbeat(cp_site)
    refused(await raw.send(Endpoint.HEARTBEAT, body, omit=[Header.AUTHORIZATION]), 401)
    assert raw.token is not None
    for value in ("Bearer x", f"Bearer {raw.token}", "Token", "Token ", raw.token, "Basic eDp4"):
        response = await raw.send(
            Endpoint.HEARTBEAT, body, headers={Header.AUTHORIZATION.value: value}
        )
        refused(response, 401)


async def test_4_1_2_unknown_token_is_refused_with_401(cp_site: OscpSite, raw: RawPeer) -> None:
    """2.6.1 / 4.1.1: the endpoints are protected with token based authentication; a token the
    FP did not issue is refused (401), on every endpoint."""
    for endpoint, body in (
        (Endpoint.REGISTER, {"token": "t", "version_url": raw.versions()}),
        (Endpoint.HANDSHAKE, {}),
        (Endpoint.HEARTBEAT, heartbeat(cp_site)),
        (Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, forecast(cp_site)),
    ):
        response = await raw.send(endpoint, body, token="not-a-token-of-the-fp")
        refused(response, 401, "token")


async def test_4_1_2_token_scheme_is_case_insensitive(cp_site: OscpSite, raw: RawPeer) -> None:
    """4.1.2: "Authorization: Token <token>" is an HTTP Authorization header, whose
    authentication scheme is case-insensitive (RFC 9110, 11.1): "token <token>" authenticates
    as well."""
    assert raw.token is not None
    for scheme in ("token", "TOKEN"):
        response = await raw.send(
            Endpoint.HEARTBEAT,
            heartbeat(cp_site),
            headers={Header.AUTHORIZATION.value: f"{scheme} {raw.token}"},
        )
        assert response.status == 204, (scheme, response.status, response.body)


async def test_4_1_2_responses_refer_to_the_request_in_x_correlation_id(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.1.2: messages that are a response to a request SHALL refer to that request in their
    X-Correlation-ID header (4.1.3.2: an error response too); each response has an
    X-Request-ID of its own."""
    answers = [
        await raw.send(Endpoint.HEARTBEAT, heartbeat(cp_site)),
        await raw.send(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, forecast(cp_site)),
        await raw.send(Endpoint.HEARTBEAT, b"{}"),
        await raw.send(Endpoint.HEARTBEAT, heartbeat(cp_site), token="unknown"),
        await raw.send(Endpoint.HANDSHAKE_ACKNOWLEDGE, {}),
    ]
    assert [a.status for a in answers] == [204, 204, 400, 401, 403]
    for answer in answers:
        assert answer.correlation_id == answer.request_id, answer
        assert answer.headers.get(Header.REQUEST_ID.value) not in (None, "", answer.request_id)


# -- HTTP responses (4.1.3) -------------------------------------------------------------------


async def test_4_1_3_1_valid_request_is_answered_204_without_payload(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.1.3.1: if an HTTP request is considered valid and no error has occurred, an HTTP
    response without a payload MUST be returned with HTTP status code 204."""
    for endpoint, body in (
        (Endpoint.HEARTBEAT, heartbeat(cp_site)),
        (Endpoint.HANDSHAKE, {}),
        (Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, forecast(cp_site)),
    ):
        response = await raw.send(endpoint, body)
        assert response.status == 204, (endpoint, response.status, response.body)
        assert response.body == b""
        assert response.headers.get("Content-Length", "0") == "0"


async def test_4_1_3_2_error_body_is_a_message_object(cp_site: OscpSite, raw: RawPeer) -> None:
    """4.1.3.2: in case of an error, a response with a corresponding HTTP status code; its body
    is the optional error body {"message": string}, a human readable message explaining the
    cause (RECOMMENDED)."""
    errors = [
        await raw.send(Endpoint.HEARTBEAT, b"{}"),
        await raw.send(Endpoint.HEARTBEAT, heartbeat(cp_site), token="unknown"),
        await raw.send(Endpoint.HANDSHAKE_ACKNOWLEDGE, {}),
        await raw.send(
            Endpoint.REGISTER,
            {"token": "t", "version_url": [{"version": "9.9", "base_url": raw.base_url}]},
            method="PUT",
        ),
    ]
    assert [e.status for e in errors] == [400, 401, 403, 501]
    for error in errors:
        assert error.headers["Content-Type"].startswith("application/json")
        body = error.json()
        assert list(body) == ["message"], body
        assert isinstance(body["message"], str)
        assert body["message"].strip()


# -- datatypes (1.3.3, 1.9) -------------------------------------------------------------------


async def test_1_9_1_datetime_without_time_zone_offset_is_refused(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """1.9.1: all date-times MUST include a time zone offset (z for UTC or a numeric offset in
    the form +02:00), or they will not pass message validation; a date-time with an offset
    other than UTC is valid."""
    ahead = cp_site.now() + timedelta(minutes=5)
    naive = ahead.replace(tzinfo=None).isoformat(timespec="milliseconds")
    refused(await raw.send(Endpoint.HEARTBEAT, {"offline_mode_at": naive}), 400, "offline_mode_at")
    message = forecast(cp_site)
    block = message["forecasted_blocks"][0]
    assert block["start_time"].endswith("Z")
    block["start_time"] = block["start_time"].removesuffix("Z")
    refused(await raw.send(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, message), 400, "start_time")

    plus_two = ahead.astimezone(timezone(timedelta(hours=2))).isoformat(timespec="milliseconds")
    assert plus_two.endswith("+02:00")
    accepted = await raw.send(Endpoint.HEARTBEAT, {"offline_mode_at": plus_two})
    assert accepted.status == 204, accepted.body


async def test_1_3_3_datetime_with_more_than_3_fractional_digits_is_refused(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """1.3.3 datetime: formatted as defined in RFC 3339; the number of decimal places of the
    fractional seconds SHALL NOT exceed the maximum of 3."""
    ahead = (cp_site.now() + timedelta(minutes=5)).replace(microsecond=123456)
    micro = ahead.isoformat(timespec="microseconds")
    four = micro[: micro.index(".") + 5] + micro[micro.index(".") + 7 :]
    assert four.endswith(".1234+00:00")
    for text in (four, micro):
        refused(
            await raw.send(Endpoint.HEARTBEAT, {"offline_mode_at": text}),
            400,
            "fractional",
        )
    accepted = await raw.send(
        Endpoint.HEARTBEAT, {"offline_mode_at": ahead.isoformat(timespec="milliseconds")}
    )
    assert accepted.status == 204, accepted.body


async def test_1_3_3_datetime_given_as_a_number_is_refused(cp_site: OscpSite, raw: RawPeer) -> None:
    """1.3.3 datetime: formatted as defined in RFC 3339 (1.9.1: a date-time string with a time
    zone offset); a number (e.g. a Unix timestamp) is not a datetime."""
    epoch = (cp_site.now() + timedelta(minutes=5)).timestamp()
    for number in (int(epoch), epoch):
        response = await raw.send(Endpoint.HEARTBEAT, {"offline_mode_at": number})
        refused(response, 400, "offline_mode_at")


async def test_1_3_3_decimal_with_more_than_8_places_is_refused(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """1.3.3 decimal: a floating point number with a maximum of 8 decimal places."""
    message = forecast(cp_site)
    block = message["forecasted_blocks"][0]
    block["capacity"] = 16.123456789
    refused(await raw.send(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, message), 400, "capacity")
    block["capacity"] = 16.12345678
    accepted = await raw.send(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, message)
    assert accepted.status == 204, accepted.body


async def test_1_3_3_number_given_as_a_string_is_refused(cp_site: OscpSite, raw: RawPeer) -> None:
    """1.3.3: a decimal is a number and an integer a 32-bit number — JSON numbers; the same
    digits in a string are not valid."""
    message = forecast(cp_site)
    message["forecasted_blocks"][0]["capacity"] = "16"
    refused(await raw.send(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, message), 400, "capacity")
    handshake = {"required_behaviour": {"heartbeat_interval": "60"}}
    refused(await raw.send(Endpoint.HANDSHAKE, handshake), 400, "heartbeat_interval")


# -- payloads (chapters 4 and 5) --------------------------------------------------------------


async def test_5_unknown_enumeration_value_is_refused(cp_site: OscpSite, raw: RawPeer) -> None:
    """Chapter 5: the enumerations (CapacityForecastType, PhaseIndicator,
    ForecastedBlockUnit, ...) are closed lists of case sensitive values; any other value is a
    bad request."""
    for where, field, value in (
        ("message", "type", "consumption"),
        ("message", "type", "PEAK"),
        ("block", "phase", "FOUR"),
        ("block", "unit", "kW"),
    ):
        message = forecast(cp_site)
        target = message if where == "message" else message["forecasted_blocks"][0]
        target[field] = value
        response = await raw.send(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, message)
        refused(response, 400, field)


async def test_4_unknown_field_is_refused(cp_site: OscpSite, raw: RawPeer) -> None:
    """Chapter 4: each message consists of the fields of its definition; a field that is not
    defined (e.g. a misspelt one) is a bad request, not silently ignored."""
    message = forecast(cp_site)
    message["groupId"] = GROUP
    refused(await raw.send(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, message), 400, "groupId")
    message = forecast(cp_site)
    message["forecasted_blocks"][0]["capacity_kw"] = 1
    refused(await raw.send(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, message), 400, "capacity_kw")
    beat = {**heartbeat(cp_site), "online": True}
    refused(await raw.send(Endpoint.HEARTBEAT, beat), 400, "online")


async def test_4_missing_required_field_is_refused(cp_site: OscpSite, raw: RawPeer) -> None:
    """Chapter 4: the fields with cardinality 1 are required; a message without one is a bad
    request."""
    for path in (("group_id",), ("type",), ("forecasted_blocks",), ("forecasted_blocks", "unit")):
        message = forecast(cp_site)
        target = message if len(path) == 1 else message["forecasted_blocks"][0]
        del target[path[-1]]
        response = await raw.send(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, message)
        refused(response, 400, path[-1])
    refused(await raw.send(Endpoint.HEARTBEAT, {}), 400, "offline_mode_at")


async def test_4_body_that_is_not_a_json_object_is_refused(cp_site: OscpSite, raw: RawPeer) -> None:
    """4.1: the protocol is HTTP with JSON formatting; a message body that is missing, not
    JSON or not a JSON object is a bad request."""
    for body in (b"", b"{", b"offline_mode_at=now", b"[]", b"null", b'"x"'):
        response = await raw.send(Endpoint.HEARTBEAT, body)
        refused(response, 400)


async def test_4_4_1_empty_forecasted_blocks_is_refused(cp_site: OscpSite, raw: RawPeer) -> None:
    """4.4.1 UpdateGroupCapacityForecast: forecasted_blocks has cardinality 1..*; an empty
    list is a bad request."""
    message = forecast(cp_site)
    message["forecasted_blocks"] = []
    response = await raw.send(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, message)
    refused(response, 400, "forecasted_blocks")


async def test_5_4_end_time_not_after_start_time_is_refused(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """5.4 ForecastedBlock: a block is the time interval from start_time to end_time; one
    ending before (or when) it starts is a bad request."""
    for end in ("before", "equal"):
        message = forecast(cp_site)
        block = message["forecasted_blocks"][0]
        if end == "before":
            block["start_time"], block["end_time"] = block["end_time"], block["start_time"]
        else:
            block["end_time"] = block["start_time"]
        response = await raw.send(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, message)
        refused(response, 400, "end_time")


# -- segmented messages (4.1.2.1) -------------------------------------------------------------


def thirds(body: bytes) -> list[bytes]:
    size = len(body) // 3 + 1
    return [body[i : i + size] for i in range(0, len(body), size)]


async def test_4_1_2_1_segmented_message_is_reassembled_in_index_order(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.1.2.1: a message too large for one request can be sent in segments, each with
    X-Segment-Index (the first is 1) and X-Segment-Count; all segments after the first SHALL
    refer to the first in X-Correlation-ID, and the receiver combines the segments in order of
    X-Segment-Index. Sent out of order (3, 1, 2), the UpdateGroupCapacityForecast is applied
    as the first segment's request; each segment's response refers to its own request."""
    parts = thirds(json.dumps(forecast(cp_site, 20, 18, 16, 14)).encode())
    assert len(parts) == 3
    first = "segmented-1"
    answers = []
    for index in (3, 1, 2):
        answers.append(
            await raw.send(
                Endpoint.UPDATE_GROUP_CAPACITY_FORECAST,
                parts[index - 1],
                request_id=first if index == 1 else f"segmented-{index}",
                correlation_id=None if index == 1 else first,
                segment=(index, 3),
            )
        )
    for answer in answers:
        assert answer.status == 204, (answer.status, answer.body)
        assert answer.correlation_id == answer.request_id

    capacity = await cp_site.wait_capacity(lambda c: c.forecast_request_id == first, GROUP)
    assert [b.consumption for b in capacity.blocks] == [20, 18, 16, 14]


async def test_4_1_2_1_segment_index_above_count_is_refused(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.1.2.1: X-Segment-Index is the current segment number (the first is 1) of
    X-Segment-Count segments; an index of 0 or beyond the count is a bad request."""
    for index, count in (("4", "3"), ("0", "3"), ("1", "0")):
        response = await raw.send(
            Endpoint.UPDATE_GROUP_CAPACITY_FORECAST,
            b'{"group_id": ',
            headers={Header.SEGMENT_INDEX.value: index, Header.SEGMENT_COUNT.value: count},
        )
        refused(response, 400, "X-Segment-")


async def test_4_1_2_1_non_integer_segment_header_is_refused(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.1.2.1 / 1.3.3: X-Segment-Index and X-Segment-Count are integers (no leading 0s, no
    plus sign); anything else is a bad request."""
    for name in (Header.SEGMENT_INDEX, Header.SEGMENT_COUNT):
        for bad in ("x", "1.0", "01", "+1", "-1", ""):
            headers = {Header.SEGMENT_INDEX.value: "1", Header.SEGMENT_COUNT.value: "2"}
            headers[name.value] = bad
            response = await raw.send(
                Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, b'{"group_id": ', headers=headers
            )
            refused(response, 400, name.value)


async def test_4_1_2_1_only_one_segment_header_is_refused(cp_site: OscpSite, raw: RawPeer) -> None:
    """4.1.2.1: if a message is segmented, the headers X-Segment-Index and X-Segment-Count
    SHALL be present on every segment; one without the other is a bad request."""
    for present, missing in (
        (Header.SEGMENT_INDEX, Header.SEGMENT_COUNT),
        (Header.SEGMENT_COUNT, Header.SEGMENT_INDEX),
    ):
        response = await raw.send(
            Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, b'{"group_id": ', headers={present.value: "1"}
        )
        refused(response, 400, missing.value)


async def test_4_1_2_1_later_segment_without_correlation_id_is_refused(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.1.2.1: all segments after the first SHALL refer to the first segment in the header
    X-Correlation-ID; one that does not is a bad request."""
    response = await raw.send(
        Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, b'"}', segment=(2, 2), omit=["X-Correlation-ID"]
    )
    refused(response, 400, Header.CORRELATION_ID.value)


def timed_out(site: OscpSite, request_id: str) -> list[dict[str, Any]]:
    """The FP's log records of segmented messages it dropped, for ``request_id``."""
    records = [json.loads(line) for line in site.fp.logs().splitlines() if line.startswith("{")]
    return [
        r
        for r in records
        if r.get("msg", "").startswith("segmented message timed out")
        and r.get("request_id") == request_id
    ]


async def test_4_1_2_1_incomplete_segmented_message_is_dropped_after_the_timeout(
    cp_site: OscpSite, raw: RawPeer
) -> None:
    """4.1.2.1: the receiver combines all segments to get the full message. One whose
    segments do not all arrive is never applied: the FP drops it after its segment timeout,
    and a segment arriving later does not complete it."""
    parts = thirds(json.dumps(forecast(cp_site, 20, 18, 16, 14)).encode())
    first = "incomplete-1"
    for index in (1, 2):
        response = await raw.send(
            Endpoint.UPDATE_GROUP_CAPACITY_FORECAST,
            parts[index - 1],
            request_id=first if index == 1 else f"incomplete-{index}",
            correlation_id=None if index == 1 else first,
            segment=(index, 3),
        )
        assert response.status == 204, response.body
    timeout_real_s = SEGMENT_TIMEOUT_S / cp_site.clock.speed
    (dropped,) = await wait_for_value(
        lambda: timed_out(cp_site, first), bool, timeout=4 * timeout_real_s, what="the drop"
    )
    assert dropped["received_segments"] == [1, 2]
    assert dropped["segment_count"] == 3

    late = await raw.send(
        Endpoint.UPDATE_GROUP_CAPACITY_FORECAST,
        parts[2],
        request_id="incomplete-3",
        correlation_id=first,
        segment=(3, 3),
    )
    assert late.status == 204, late.body
    marker = await raw.send(Endpoint.UPDATE_GROUP_CAPACITY_FORECAST, forecast(cp_site, 12))
    assert marker.status == 204, marker.body
    await applied(cp_site, marker.request_id)
    await asyncio.sleep(0.2)
    assert not [c for c in cp_site.capacities(GROUP) if c.forecast_request_id == first]


# -- the endpoints' description ---------------------------------------------------------------


async def test_4_2_fp_serves_its_openapi_document(cp_site: OscpSite) -> None:
    """4.2: the endpoints of a Flexibility Provider under its base URL; the FP serves their
    OpenAPI description at <base>/openapi.json, the same document as published in
    docs/openapi/oscp-fp.json."""
    url = cp_site.fp.url + base_path(Role.FP) + "/openapi.json"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        served = await response.json()
    assert served == json.loads(OPENAPI.read_text(encoding="utf-8"))
    assert set(served["paths"]) == {
        f"{base_path(Role.FP)}/{e}"
        for e in (
            "register",
            "handshake",
            "handshake_acknowledge",
            "heartbeat",
            "update_group_capacity_forecast",
        )
    }
