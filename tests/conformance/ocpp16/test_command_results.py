"""Every command gets exactly one result on ``MQTT.EVSE.<id>.result.<level>.<request id>``:
the station's CALLRESULT or CALLERROR, or the wrapper's own CALLERROR (timeout, invalid
command). The request id is the topic's last level, else the AMQP message_id, else made up."""

from __future__ import annotations

import json

import pytest
from aio_pika.abc import AbstractIncomingMessage
from ocpp.exceptions import (
    FormationViolationError,
    InternalError,
    NotSupportedError,
    ProtocolError,
    TypeConstraintViolationError,
)

from tests.conformance.ocpp16.conftest import WrapperFactory
from tests.support.broker import drain
from tests.support.evse import EvseWrapperProcess, result_key, send_command, station_key, tap
from tests.support.ocpp_checks import publish_command
from tests.support.ocpp_station import NO_ANSWER, connected
from tests.support.waiting import wait_for_value
from wiseevp_common.topology import encode_level

pytestmark = pytest.mark.integration


def results_of(seen_messages: list[tuple[str, bytes]], station_id: str) -> list[str]:
    prefix = f"MQTT.EVSE.{encode_level(station_id)}.result."
    return [key for key, _ in seen_messages if key.startswith(prefix)]


async def test_without_request_id_the_message_id_is_the_request_id(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    async with (
        tap() as seen,
        connected(evse_wrapper.ws_url("CP-MID"), "CP-MID") as station,
    ):
        await station.boot()  # registered (auto-registration) once it is answered
        await publish_command(station_key("CP-MID", "reset"), {"type": "Soft"}, message_id="m-42")
        results = await seen.wait_for(result_key("CP-MID", "reset", "m-42"))
        assert results == [[3, "m-42", {"status": "Accepted"}]]
        assert [(c.action, c.payload) for c in station.calls(unique_id="m-42")] == [
            ("Reset", {"type": "Soft"})
        ]
        assert results_of(seen.messages, "CP-MID") == [result_key("CP-MID", "reset", "m-42")]


async def test_without_request_id_nor_message_id_one_is_made_up(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    async with (
        tap() as seen,
        connected(evse_wrapper.ws_url("CP-GEN"), "CP-GEN") as station,
    ):
        await station.boot()  # registered (auto-registration) once it is answered
        await send_command("CP-GEN", "unlockconnector", {"connectorId": 1}, None)
        [received] = await station.wait_for_call("UnlockConnector")
        request_id = received.unique_id
        results = await seen.wait_for(result_key("CP-GEN", "unlockconnector", request_id))
        assert results == [[3, request_id, {"status": "Unlocked"}]]
        # a second command, then: still the one result for the first
        await send_command("CP-GEN", "reset", {"type": "Soft"}, "after")
        await seen.wait_for(result_key("CP-GEN", "reset", "after"))
        assert results_of(seen.messages, "CP-GEN") == [
            result_key("CP-GEN", "unlockconnector", request_id),
            result_key("CP-GEN", "reset", "after"),
        ]


async def test_request_ids_needing_encoding_or_too_long_for_a_unique_id(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    dotted = "job.7/a b"
    long_id = "x" * 37  # an OCPP-J UniqueId has at most 36 characters
    async with (
        tap() as seen,
        connected(evse_wrapper.ws_url("CP.ENC/1"), "CP.ENC/1") as station,
    ):
        await station.boot()  # registered (auto-registration) once it is answered
        await send_command("CP.ENC/1", "reset", {"type": "Soft"}, dotted)
        assert await seen.wait_for(result_key("CP.ENC/1", "reset", dotted)) == [
            [3, dotted, {"status": "Accepted"}]
        ]
        assert [c.action for c in station.calls(unique_id=dotted)] == ["Reset"]

        await send_command("CP.ENC/1", "reset", {"type": "Hard"}, long_id)
        assert await seen.wait_for(result_key("CP.ENC/1", "reset", long_id)) == [
            [3, long_id, {"status": "Accepted"}]
        ]
        [hard] = [c for c in station.calls("Reset") if c.payload == {"type": "Hard"}]
        assert 0 < len(hard.unique_id) <= 36


async def test_a_callerror_of_the_station_is_the_result(evse_wrapper: EvseWrapperProcess) -> None:
    answers = {
        "Reset": InternalError(description="relay welded", details={"relay": 2}),
        "UnlockConnector": NotSupportedError(description="no lock"),
    }
    async with (
        tap() as seen,
        connected(evse_wrapper.ws_url("CP-ERR"), "CP-ERR", answers=answers) as station,
    ):
        await station.boot()  # registered (auto-registration) once it is answered
        await send_command("CP-ERR", "reset", {"type": "Hard"}, "r-1")
        await send_command("CP-ERR", "unlockconnector", {"connectorId": 1}, "u-1")
        assert await seen.wait_for(result_key("CP-ERR", "reset", "r-1")) == [
            [4, "r-1", "InternalError", "relay welded", {"relay": 2}]
        ]
        assert await seen.wait_for(result_key("CP-ERR", "unlockconnector", "u-1")) == [
            [4, "u-1", "NotSupported", "no lock", {}]
        ]


async def test_a_station_that_never_answers_gets_a_timeout_result_and_a_late_answer_is_ignored(
    wrapper_factory: WrapperFactory,
) -> None:
    wrapper = wrapper_factory(WISEEVP_CALL_TIMEOUT_S="1")
    await wrapper.started()
    async with (
        tap() as seen,
        connected(wrapper.ws_url("CP-TO"), "CP-TO", answers={"Reset": NO_ANSWER}) as station,
    ):
        await station.boot()  # registered (auto-registration) once it is answered
        await send_command("CP-TO", "reset", {"type": "Soft"}, "t-1")
        results = await seen.wait_for(result_key("CP-TO", "reset", "t-1"))
        assert results == [
            [4, "t-1", "GenericError", "No answer within 1 s", {"reason": "timeout"}]
        ]
        assert [c.action for c in station.calls(unique_id="t-1")] == ["Reset"]

        # the answer comes too late: no second result; the next command goes through
        await station.send_text(json.dumps([3, "t-1", {"status": "Accepted"}]))
        await send_command("CP-TO", "unlockconnector", {"connectorId": 1}, "t-2")
        assert await seen.wait_for(result_key("CP-TO", "unlockconnector", "t-2")) == [
            [3, "t-2", {"status": "Unlocked"}]
        ]
        assert results_of(seen.messages, "CP-TO") == [
            result_key("CP-TO", "reset", "t-1"),
            result_key("CP-TO", "unlockconnector", "t-2"),
        ]


async def test_an_invalid_command_gets_a_callerror_result_and_is_dead_lettered(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    invalid = {
        "missing": (b"{}", ProtocolError.code),
        "wrongtype": (b'{"connectorId": "one"}', TypeConstraintViolationError.code),
        # OCPP 1.6's spelling (section 4.2.3; errata 5.2), not the package's FormatViolation
        "notjson": (b'{"connectorId": 1', FormationViolationError.code),
        "extra": (b'{"connectorId": 1, "force": true}', FormationViolationError.code),
        "notobject": (b"[1]", FormationViolationError.code),
    }
    async with (
        tap() as seen,
        connected(evse_wrapper.ws_url("CP-INV"), "CP-INV") as station,
    ):
        await station.boot()  # registered (auto-registration) once it is answered
        for request_id, (body, _) in invalid.items():
            await publish_command(f"{station_key('CP-INV', 'unlockconnector')}.{request_id}", body)
        for request_id, (_, code) in invalid.items():
            [result] = await seen.wait_for(result_key("CP-INV", "unlockconnector", request_id))
            assert result[:3] == [4, request_id, code], result
            assert result[3].startswith("Invalid UnlockConnector.req: ")
            assert result[4]["reason"] == "invalid-command"
            assert result[4]["cause"]

        # nothing of it reached the station; a valid command still does
        await send_command("CP-INV", "unlockconnector", {"connectorId": 2}, "valid")
        await seen.wait_for(result_key("CP-INV", "unlockconnector", "valid"))
        assert [c.unique_id for c in station.commands()] == ["valid"]

    dead: list[AbstractIncomingMessage] = []

    async def take() -> list[AbstractIncomingMessage]:
        dead.extend(await drain("wiseevp.dead-letter"))
        return dead

    def all_there(letters: list[AbstractIncomingMessage]) -> bool:
        return len(letters) >= len(invalid)

    await wait_for_value(take, all_there, what="dead letters")
    letters = {m.headers["x-wiseevp-original-routing-key"]: m for m in dead}
    for request_id, (body, _) in invalid.items():
        letter = letters[f"{station_key('CP-INV', 'unlockconnector')}.{request_id}"]
        assert letter.body == body
        assert letter.headers["x-wiseevp-reason"] == "invalid-payload"
    assert len(dead) == len(invalid)
