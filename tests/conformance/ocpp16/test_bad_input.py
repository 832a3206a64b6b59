"""Bad input from stations, with raw WebSocket clients: every malformed but identifiable CALL
is answered with the CALLERROR OCPP-J prescribes and the socket stays usable; what is not
OCPP at all, or too large, closes the socket; a flood is rate-limited without slowing the
other stations. After each, the wrapper is healthy and a fresh station boots."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import websockets
from ocpp.exceptions import (
    FormationViolationError,
    NotSupportedError,
    PropertyConstraintViolationError,
    ProtocolError,
    TypeConstraintViolationError,
)
from ocpp.exceptions import (
    NotImplementedError as OcppNotImplemented,
)
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.conformance.ocpp16.conftest import WrapperFactory
from tests.support.evse import EvseWrapperProcess, station_key, tap
from tests.support.http_json import get_json
from tests.support.ocpp_checks import relay_queue
from tests.support.ocpp_station import OCPP16, configuration, connected

pytestmark = pytest.mark.integration

# OCPP-J 1.6 section 4.2.3 spells it FormationViolation (errata 5.2: "will not be fixed"); the
# ocpp package raises FormatViolationError (the 2.0.1 code), which the wrapper sends in the 1.6
# spelling: the package's FormationViolationError.
FORMATION_VIOLATION = FormationViolationError.code


class RawStation:
    """A station that writes frames by hand; it answers the wrapper's GetConfiguration."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def answer(self) -> list[Any]:
        """The next CALLRESULT/CALLERROR (the wrapper's own CALLs are answered meanwhile)."""
        while True:
            frame = json.loads(await self.ws.recv())
            if frame[0] != 2:
                return list(frame)
            if frame[2] == "GetConfiguration":
                keys = {"configurationKey": configuration()}
                await self.ws.send(json.dumps([3, frame[1], keys]))

    async def exchange(self, text: str | bytes) -> list[Any]:
        await self.ws.send(text)
        return await self.answer()

    async def still_usable(self, unique_id: str = "hb") -> None:
        answer = await self.exchange(json.dumps([2, unique_id, "Heartbeat", {}]))
        assert answer[:2] == [3, unique_id], answer
        assert "currentTime" in answer[2]

    async def closed_with(self) -> int | None:
        """Wait until the wrapper closes the socket; the close code it sent."""
        with pytest.raises(ConnectionClosed):
            await self.answer()
        return self.ws.close_code


@asynccontextmanager
async def raw(wrapper: EvseWrapperProcess, station_id: str) -> AsyncIterator[RawStation]:
    async with websockets.connect(wrapper.ws_url(station_id), subprotocols=[OCPP16]) as ws:
        yield RawStation(ws)


async def assert_still_serving(wrapper: EvseWrapperProcess) -> None:
    status, body = await get_json(f"{wrapper.url}/healthz")
    assert status == 200, body
    async with connected(wrapper.ws_url("CP-FRESH"), "CP-FRESH") as station:
        assert (await station.boot())["status"] == "Accepted"


def call_error(answer: list[Any], unique_id: str, code: str) -> None:
    assert len(answer) == 5, answer
    assert answer[:3] == [4, unique_id, code], answer
    assert isinstance(answer[3], str)
    assert isinstance(answer[4], dict)


async def test_malformed_json_with_a_readable_unique_id_gets_formationviolation(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    async with raw(evse_wrapper, "CP-BAD1") as station:
        for text, unique_id in [
            ('[2,"abc","Heartbeat",{', "abc"),
            ('[2, "id with \\"quotes\\"", "Heartbeat", {"a":]', 'id with "quotes"'),
            ('[2,"trailing","Heartbeat",{}]]', "trailing"),
        ]:
            call_error(await station.exchange(text), unique_id, FORMATION_VIOLATION)
            await station.still_usable()
    await assert_still_serving(evse_wrapper)


NOT_OCPP: list[tuple[str | bytes, int]] = [
    ("hello", 1002),
    ('{"not": "a list"}', 1002),
    ("[]", 1002),
    ('[2, 17, "Heartbeat", {}]', 1002),  # a UniqueId must be a string
    ('[2, "' + "x" * 37 + '", "Heartbeat", {}]', 1002),  # ... of at most 36 characters
    (b"\x00\x01binary", 1003),
    (json.dumps([2, "hb", "Heartbeat", {}]).encode(), 1003),  # OCPP-J is text frames
]


async def test_what_is_not_ocpp_closes_the_socket(evse_wrapper: EvseWrapperProcess) -> None:
    for garbage, close_code in NOT_OCPP:
        async with raw(evse_wrapper, "CP-BAD2") as station:
            await station.still_usable("before")
            await station.ws.send(garbage)
            assert await station.closed_with() == close_code, garbage
    await assert_still_serving(evse_wrapper)


async def test_wrong_message_type_unknown_and_unhandled_actions(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    cases = [
        # the ocpp package's mapping of an unknown MessageTypeId
        ('[7,"x","Heartbeat",{}]', "x", PropertyConstraintViolationError.code),
        ('[2,"y","FooBar",{}]', "y", NotSupportedError.code),
        # 1.6 actions a central system receives no CALL of (station → central system)
        ('[2,"z","Reset",{"type":"Hard"}]', "z", OcppNotImplemented.code),
        ('[2,"w","RemoteStartTransaction",{"idTag":"A"}]', "w", OcppNotImplemented.code),
        ('[2,"v","GetConfiguration",{}]', "v", OcppNotImplemented.code),
        # action or payload of the wrong type
        ('[2,"u",17,{}]', "u", ProtocolError.code),
        ('[2,"t","Heartbeat",[]]', "t", ProtocolError.code),
    ]
    async with raw(evse_wrapper, "CP-BAD3") as station:
        for text, unique_id, code in cases:
            call_error(await station.exchange(text), unique_id, code)
            await station.still_usable()
    await assert_still_serving(evse_wrapper)


SCHEMA_VIOLATIONS: list[tuple[str, dict[str, Any], str]] = [
    ("BootNotification", {"chargePointVendor": "Emotion"}, ProtocolError.code),
    ("Authorize", {}, ProtocolError.code),
    (
        "StatusNotification",
        {"connectorId": "1", "errorCode": "NoError", "status": "Available"},
        TypeConstraintViolationError.code,
    ),
    ("Authorize", {"idTag": 4711}, TypeConstraintViolationError.code),
    ("Authorize", {"idTag": "X" * 21}, TypeConstraintViolationError.code),  # maxLength 20
    ("Heartbeat", {"extra": 1}, FORMATION_VIOLATION),
    (
        "StatusNotification",
        {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"},
        FORMATION_VIOLATION,
    ),
    (
        "StartTransaction",
        {"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "yesterday"},
        FORMATION_VIOLATION,
    ),
    (
        "StopTransaction",
        {"transactionId": 1, "meterStop": 0, "timestamp": "2026-02-30T10:00:00Z"},
        FORMATION_VIOLATION,
    ),
]


async def test_schema_violations_get_their_callerror_and_nothing_is_relayed(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    async with tap("MQTT.EVSE.CP-BAD4.#") as seen, raw(evse_wrapper, "CP-BAD4") as station:
        for n, (action, payload, code) in enumerate(SCHEMA_VIOLATIONS):
            frame = json.dumps([2, f"s-{n}", action, payload])
            call_error(await station.exchange(frame), f"s-{n}", code)
            await station.still_usable(f"hb-{n}")
        await seen.wait_for(station_key("CP-BAD4", "heartbeat"), count=len(SCHEMA_VIOLATIONS))
        relayed = {key for key, _ in seen.messages}
        assert relayed == {
            station_key("CP-BAD4", "heartbeat"),
            station_key("CP-BAD4", "connection"),
        }
    await assert_still_serving(evse_wrapper)


async def test_answers_to_calls_never_made_are_ignored(evse_wrapper: EvseWrapperProcess) -> None:
    async with raw(evse_wrapper, "CP-BAD5") as station:
        await station.ws.send('[3,"nobody",{"status":"Accepted"}]')
        await station.ws.send('[4,"nobody","GenericError","",{}]')
        await station.still_usable()
    await assert_still_serving(evse_wrapper)


async def test_an_oversized_frame_closes_the_socket_with_1009(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    def transfer(unique_id: str, size: int) -> str:
        frame = json.dumps([2, unique_id, "DataTransfer", {"vendorId": "x", "data": ""}])
        return frame.replace('"data": ""', '"data": "' + "d" * (size - len(frame)) + '"')

    async with raw(evse_wrapper, "CP-BIG") as station:
        # the default limit is 64 KiB: just below it is fine
        fits = transfer("fits", 65536)
        assert len(fits.encode()) == 65536
        assert (await station.exchange(fits))[:3] == [3, "fits", {"status": "Accepted"}]
        await station.ws.send(transfer("big", 65537))
        assert await station.closed_with() == 1009
    await assert_still_serving(evse_wrapper)


async def test_a_flood_is_rate_limited_and_the_other_stations_are_answered(
    wrapper_factory: WrapperFactory,
) -> None:
    wrapper = wrapper_factory(WISEEVP_RATE_LIMIT_PER_S="50", WISEEVP_RATE_LIMIT_BURST="100")
    await wrapper.started()
    flood = [json.dumps([2, f"f-{n}", "Heartbeat", {}]) for n in range(2000)]
    async with (
        relay_queue(station_key("CP-FLOOD", "heartbeat")) as relayed,
        raw(wrapper, "CP-FLOOD") as flooder,
        connected(wrapper.ws_url("CP-CALM"), "CP-CALM") as calm,
    ):
        await calm.boot()
        started = time.monotonic()
        for frame in flood:
            await flooder.ws.send(frame)
        answers: list[list[Any]] = []

        async def read_flood_answers() -> None:
            for _ in flood:
                answers.append(await flooder.answer())

        reader = asyncio.create_task(read_flood_answers())
        # the calm station's CALLs are answered while the flood is being worked off
        calm_answers = [await calm.send("Heartbeat", {}) for _ in range(20)]
        flood_answered_meanwhile = len(answers)
        await reader
        elapsed = time.monotonic() - started

        # the bucket is empty now; a station that waits as told is answered
        retry = await flooder.exchange(json.dumps([2, "after", "Heartbeat", {}]))
        if retry[0] == 4:
            await asyncio.sleep(retry[4]["retryAfterSeconds"])  # as the wrapper advised
            retry = await flooder.exchange(json.dumps([2, "after", "Heartbeat", {}]))
        assert retry[:2] == [3, "after"], retry
        heartbeats_relayed = len(await relayed.now())

    assert [a[0] for a in calm_answers] == [3] * 20
    assert flood_answered_meanwhile < len(flood)  # served before the flood was worked off
    assert [a[1] for a in answers] == [f"f-{n}" for n in range(2000)]  # each once, in order
    accepted = [a for a in answers if a[0] == 3]
    limited = [a for a in answers if a[0] == 4]
    assert len(accepted) >= 100  # the burst
    assert len(accepted) <= 100 + 50 * elapsed + 1
    assert len(accepted) + len(limited) == 2000
    for answer in limited:
        assert answer[2:4] == ["GenericError", "Rate limit exceeded"], answer
        assert set(answer[4]) == {"retryAfterSeconds"}
        assert 0 < answer[4]["retryAfterSeconds"] <= 0.021  # at most 1 token at 50/s, in ms
    # what was answered was relayed, what was refused was not
    assert heartbeats_relayed == len(accepted) + 1
    await assert_still_serving(wrapper)
