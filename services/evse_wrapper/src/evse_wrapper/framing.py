"""OCPP-J framing and validation, on the ``ocpp`` package (its messages and official schemas).

What this module adds: recovering the UniqueId of a frame too broken to parse, so that the
station still gets a CALLERROR it can match, and synchronous validation (the package's
``validate_payload`` hops to a thread per message, too slow for thousands of stations).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from functools import cache
from typing import Any

import fastjsonschema
from ocpp import messages as ocpp_messages
from ocpp.exceptions import NotImplementedError as OcppNotImplemented
from ocpp.exceptions import NotSupportedError, OCPPError, ProtocolError
from ocpp.messages import Call, CallError, CallResult, unpack
from ocpp.v16.enums import Action

from wiseevp_common.ocpp_topology import ocpp16_schema

OCPP_VERSION = "1.6"
SUBPROTOCOL = "ocpp1.6"
_UNIQUE_ID = re.compile(r'^\s*\[\s*\d+\s*,\s*"((?:[^"\\]|\\.){1,36})"')

Frame = Any
"""A Call, CallResult or CallError of the ocpp package (untyped)."""


class Unrecoverable(Exception):
    """A frame so broken that no UniqueId can be read: not OCPP, the socket is closed."""


def parse_frame(raw: str) -> Frame:
    """A Call, CallResult or CallError; :class:`OCPPError` (with ``unique_id`` set) if the
    frame is malformed but its UniqueId readable; :class:`Unrecoverable` otherwise."""
    try:
        frame: Frame = unpack(raw)
    except OCPPError as exc:
        exc.unique_id = recover_unique_id(raw)
        if exc.unique_id is None:
            raise Unrecoverable(str(exc)) from None
        raise
    if not isinstance(frame.unique_id, str) or not 0 < len(frame.unique_id) <= 36:
        raise Unrecoverable("UniqueId must be a string of 1 to 36 characters")
    if isinstance(frame, Call) and not (
        isinstance(frame.action, str) and isinstance(frame.payload, dict)
    ):
        wrong = ProtocolError(details={"cause": "action/payload of wrong type"})
        wrong.unique_id = frame.unique_id
        raise wrong
    return frame


def recover_unique_id(raw: str) -> str | None:
    try:
        parsed = json.loads(raw)
    except ValueError:
        m = _UNIQUE_ID.match(raw)
        return json.loads(f'"{m.group(1)}"') if m else None
    if isinstance(parsed, list) and len(parsed) > 1 and isinstance(parsed[1], str):
        return parsed[1] if 0 < len(parsed[1]) <= 36 else None
    return None


def check_action(action: str, handled: frozenset[str]) -> None:
    """Raise the CALLERROR OCPP prescribes for an action this side does not handle."""
    if action in handled:
        return
    try:
        Action(action)
    except ValueError:
        raise NotSupportedError(details={"cause": f"{action} is not an OCPP 1.6 action"}) from None
    raise OcppNotImplemented(details={"cause": f"a central system does not handle {action}"})


DECIMAL_ACTIONS = frozenset({"SetChargingProfile", "RemoteStartTransaction"})
"""Requests whose ``multipleOf: 0.1`` numbers the package validates as decimals."""


@cache
def _compiled(action: str) -> Callable[[Any], Any] | None:
    """The official schema of ``action``'s request compiled to Python (fastjsonschema)."""
    if action in DECIMAL_ACTIONS:
        return None
    schema = {k: v for k, v in ocpp16_schema(action).items() if k not in ("$schema", "id")}
    validator: Callable[[Any], Any] = fastjsonschema.compile(schema, use_default=False)
    return validator


def validate_request(action: str, payload: dict[str, Any]) -> None:
    """Validate a request payload against the official schema; raise the mapped OCPPError.

    Valid payloads take the fast path: the same official schema (``ocpp`` package), compiled.
    A payload it rejects is judged again by the package's own validator, whose verdict and
    error code (its mapping of the violated rule) stand. The payload is not modified (the
    package parses some floats as Decimal in place)."""
    fast = _compiled(action)
    if fast is not None:
        try:
            fast(payload)
        except fastjsonschema.JsonSchemaException:
            pass
        else:
            return
    ocpp_messages._validate_payload(Call("x", action, copy.deepcopy(payload)), OCPP_VERSION)


def validate_response(action: str, payload: dict[str, Any]) -> None:
    result = CallResult("x", copy.deepcopy(payload), action)
    ocpp_messages._validate_payload(result, OCPP_VERSION)


OCPP16_ERROR_CODES = {
    "FormatViolation": "FormationViolation",
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
}
"""The ``ocpp`` package raises some errors with their OCPP 2.0.1 codes; OCPP 1.6 JSON (section
4.2.3, and errata 5.2: "will not be fixed") spells them ``FormationViolation`` and
``OccurenceConstraintViolation``. A 1.6 station gets the 1.6 spelling."""


def error_code(error: OCPPError) -> str:
    code = str(error.code)
    return OCPP16_ERROR_CODES.get(code, code)


def call_error_frame(unique_id: str, error: OCPPError) -> str:
    frame: str = CallError(
        unique_id, error_code(error), error.description, error.details or {}
    ).to_json()
    return frame


def call_result_frame(unique_id: str, payload: dict[str, Any]) -> str:
    frame: str = CallResult(unique_id, payload).to_json()
    return frame


def call_frame(unique_id: str, action: str, payload_json: str) -> str:
    """A CALL whose payload is sent exactly as given (already-serialised JSON object)."""
    return f"[2,{json.dumps(unique_id)},{json.dumps(action)},{payload_json}]"
