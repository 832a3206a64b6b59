"""The OCPP-J frames the simulated stations send, and the send-time marker in MeterValues.

The marker is the meter value's ``timestamp``: the wall-clock time of the send, with
microseconds. The wrapper relays the payload exactly, so the tap reads it back from the
published message (CALL → publish latency = arrival at the tap - marker).
"""

from __future__ import annotations

import calendar
import time
from datetime import datetime

SUBPROTOCOL = "ocpp1.6"
GET_CONFIGURATION_RESULT = (
    '{"configurationKey":[{"key":"SupportedFeatureProfiles","readonly":true,'
    '"value":"Core,SmartCharging"}]}'
)
_TIMESTAMP_KEY = b'"timestamp":"'


def boot_frame(uid: str) -> str:
    return f'[2,"{uid}","BootNotification",{{"chargePointVendor":"B","chargePointModel":"M"}}]'


def heartbeat_frame(uid: str) -> str:
    return f'[2,"{uid}","Heartbeat",{{}}]'


def meter_values_frame(uid: str, sent: float) -> str:
    return (
        f'[2,"{uid}","MeterValues",{{"connectorId":1,"transactionId":1,"meterValue":'
        f'[{{"timestamp":"{marker(sent)}","sampledValue":[{{"value":"123.4",'
        f'"measurand":"Energy.Active.Import.Register","unit":"Wh"}}]}}]}}]'
    )


def micros(t: float) -> int:
    """A wall-clock time in whole µs: what the marker carries (compare markers this way)."""
    return int(t * 1_000_000)


def marker(sent: float) -> str:
    """``2026-01-01T00:00:00.123456Z``: a valid OCPP dateTime carrying the send time."""
    seconds, fraction = divmod(micros(sent), 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:06d}Z"


def read_marker(body: bytes) -> int | None:
    """The send time (µs) in a relayed MeterValues.req, None if it carries none."""
    at = body.find(_TIMESTAMP_KEY)
    if at < 0:
        return None
    start = at + len(_TIMESTAMP_KEY)
    end = body.find(b'"', start)
    try:
        stamp = datetime.fromisoformat(body[start:end].decode())
    except ValueError:
        return None
    return calendar.timegm(stamp.utctimetuple()) * 1_000_000 + stamp.microsecond


def is_result_for(answer: str, uid: str) -> bool:
    """A CALLRESULT to the CALL ``uid`` (the wrapper writes frames without spaces)."""
    return answer.startswith(f'[3,"{uid}"')


def call_result(uid: str, payload_json: str) -> str:
    return f'[3,"{uid}",{payload_json}]'
