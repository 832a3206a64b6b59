"""OCPP-J framing on the ocpp package: parse, recover UniqueIds, map errors, build frames."""

from __future__ import annotations

import json

import pytest
from ocpp.exceptions import (
    FormatViolationError,
    NotImplementedError,
    NotSupportedError,
    OCPPError,
    PropertyConstraintViolationError,
    ProtocolError,
    TypeConstraintViolationError,
)
from ocpp.messages import Call, CallError, CallResult

from evse_wrapper.framing import (
    Unrecoverable,
    call_error_frame,
    call_frame,
    check_action,
    parse_frame,
    recover_unique_id,
    validate_request,
)
from evse_wrapper.station_calls import HANDLED_ACTIONS


def test_parses_the_three_message_types() -> None:
    assert isinstance(parse_frame('[2,"a","Heartbeat",{}]'), Call)
    assert isinstance(parse_frame('[3,"a",{}]'), CallResult)
    assert isinstance(parse_frame('[4,"a","GenericError","x",{}]'), CallError)


@pytest.mark.parametrize(
    ("raw", "error", "unique_id"),
    [
        ('[2,"abc","Heartbeat",{', FormatViolationError, "abc"),
        ('[7,"x","Heartbeat",{}]', PropertyConstraintViolationError, "x"),
        ('{"not": "a list"}', None, None),
        ("hello", None, None),
        ("[]", None, None),
    ],
)
def test_malformed_frames(raw: str, error: type[OCPPError] | None, unique_id: str | None) -> None:
    if error is None:
        with pytest.raises(Unrecoverable):
            parse_frame(raw)
        return
    with pytest.raises(error) as caught:
        parse_frame(raw)
    assert caught.value.unique_id == unique_id  # type: ignore[attr-defined]


def test_unique_id_longer_than_36_is_not_ocpp() -> None:
    with pytest.raises(Unrecoverable):
        parse_frame(json.dumps([2, "x" * 37, "Heartbeat", {}]))
    assert recover_unique_id('[2,"' + "y" * 37 + '",') is None


def test_call_with_a_non_object_payload_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        parse_frame('[2,"a","Heartbeat",[]]')


def test_actions_a_central_system_does_not_handle() -> None:
    check_action("Heartbeat", HANDLED_ACTIONS)
    with pytest.raises(NotImplementedError):
        check_action("Reset", HANDLED_ACTIONS)
    with pytest.raises(NotSupportedError):
        check_action("FooBar", HANDLED_ACTIONS)


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"chargePointVendor": "V"}, ProtocolError),
        ({"chargePointVendor": "V", "chargePointModel": 5}, TypeConstraintViolationError),
        ({"chargePointVendor": "V", "chargePointModel": "M", "x": 1}, FormatViolationError),
        ({"chargePointVendor": "V" * 21, "chargePointModel": "M"}, TypeConstraintViolationError),
    ],
)
def test_schema_violations_map_to_ocpp_errors(payload: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        validate_request("BootNotification", payload)


def test_validation_leaves_the_payload_alone() -> None:
    payload = {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": -7400.5}],
            },
        },
    }
    before = json.dumps(payload)
    validate_request("SetChargingProfile", payload)  # a V2G (negative) limit is valid OCPP
    assert json.dumps(payload) == before


def test_frames_are_ocpp_j() -> None:
    assert call_frame("u1", "Reset", '{"type":"Soft"}') == '[2,"u1","Reset",{"type":"Soft"}]'
    error = json.loads(call_error_frame("u2", NotSupportedError(details={"cause": "c"})))
    assert error == [4, "u2", "NotSupported", error[3], {"cause": "c"}]


def test_ocpp16_spelling_of_error_codes() -> None:
    frame = json.loads(call_error_frame("u3", FormatViolationError()))
    assert frame[2] == "FormationViolation"  # OCPP 1.6 4.2.3 (errata 5.2: kept)
