"""OSCP 2.0 messages (chapters 1.3.3, 1.9, 4 and 5) at our FP's endpoints: HTTP headers,
responses, datatypes and payload validation, and the endpoints' OpenAPI description (4.2), sent
by a Capacity Provider played by hand (tests/support/oscp_raw.py) so every header and byte is
the test's. Segmented messages (4.1.2.1): test_segmented_messages.py."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from pathlib import Path

import aiohttp

from tests.conformance.oscp20.raw_helpers import (
    GROUP,
    forecast,
    joined_raw,  # noqa: F401  (the fixture raw)
    refused,
)
from tests.support.oscp_raw import RawPeer, oscp_time
from tests.support.oscp_site import OscpSite
from wiseevp_oscp.endpoints import Endpoint, Header, Role, base_path

OPENAPI = Path(__file__).resolve().parents[3] / "docs" / "openapi" / "oscp-fp.json"


def heartbeat(site: OscpSite) -> dict[str, str]:
    return {"offline_mode_at": oscp_time(site.now() + timedelta(minutes=5))}


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
