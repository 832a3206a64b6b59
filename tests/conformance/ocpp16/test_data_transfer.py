"""DataTransfer, both directions: from the station (answered Accepted, relayed on
``datatransfer``) and to the station (command ``senddatatransfer``)."""

from __future__ import annotations

import pytest

from tests.support.evse import EvseWrapperProcess, result_key, send_command, station_key, tap
from tests.support.ocpp_checks import relay_queue, schema_errors
from tests.support.ocpp_station import connected

pytestmark = pytest.mark.integration


async def test_datatransfer_from_the_station_is_accepted_and_relayed(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    requests = [
        {"vendorId": "com.emotion", "messageId": "battery", "data": '{"soc":54}'},
        {"vendorId": "com.emotion"},
    ]
    async with (
        relay_queue(station_key("CP-DT", "datatransfer")) as relayed,
        connected(evse_wrapper.ws_url("CP-DT"), "CP-DT") as station,
    ):
        for request in requests:
            answer = await station.ok("DataTransfer", request)
            assert answer == {"status": "Accepted"}
            assert schema_errors("DataTransferResponse", answer) == []
        assert await relayed.now() == requests


async def test_senddatatransfer_reaches_the_station_and_its_answer_is_the_result(
    evse_wrapper: EvseWrapperProcess,
) -> None:
    request = {"vendorId": "com.emotion", "messageId": "ping", "data": "hello"}
    answer = {"status": "Accepted", "data": "pong"}
    async with (
        tap() as seen,
        connected(
            evse_wrapper.ws_url("CP-DT2"), "CP-DT2", answers={"DataTransfer": answer}
        ) as station,
    ):
        await station.boot()
        await send_command("CP-DT2", "senddatatransfer", request, "dt-1")
        results = await seen.wait_for(result_key("CP-DT2", "senddatatransfer", "dt-1"))
        assert results == [[3, "dt-1", answer]]
        [received] = station.calls("DataTransfer", unique_id="dt-1")
        assert received.payload == request
        [handled] = [h for h in station.handled if h.unique_id == "dt-1"]
        assert handled.kwargs == {"vendor_id": "com.emotion", "message_id": "ping", "data": "hello"}
        # a station's DataTransfer never goes out on the station-initiated topic
        assert seen.on(station_key("CP-DT2", "datatransfer")) == []
