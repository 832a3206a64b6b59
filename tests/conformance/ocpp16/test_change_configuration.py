"""ChangeConfiguration (command ``changeconfiguration``): sent exactly as published; the
station's answer (Accepted, Rejected, NotSupported) is the result."""

from __future__ import annotations

import pytest

from tests.support.evse import EvseWrapperProcess
from tests.support.ocpp_checks import command_roundtrip, schema_errors

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("HeartbeatInterval", "Accepted"),
        ("NumberOfConnectors", "Rejected"),  # read-only
        ("NoSuchKey", "NotSupported"),
    ],
)
async def test_changeconfiguration_reaches_the_station_and_its_answer_is_the_result(
    evse_wrapper: EvseWrapperProcess, key: str, status: str
) -> None:
    request = {"key": key, "value": "60"}
    outcome = await command_roundtrip(
        evse_wrapper, "CP-CF", "changeconfiguration", request, request_id="cf-1"
    )
    assert outcome.call.action == "ChangeConfiguration"
    assert [h.kwargs for h in outcome.handled] == [request]
    assert outcome.result == [3, "cf-1", {"status": status}]
    assert schema_errors("ChangeConfigurationResponse", outcome.result[2]) == []
    values = {k["key"]: k["value"] for k in outcome.station.keys}
    if status == "Accepted":
        assert values[key] == "60"
