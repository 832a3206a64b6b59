"""A charge point for the OCPP 1.6 conformance tests, on the ``ocpp`` package's own
``ocpp.v16.ChargePoint`` (an implementation independent of the wrapper's).

:class:`RecordingStation` records every CALL the central system sends it (raw frame and
payload, and what its ``@on`` handler received), answers each command with a configurable
answer (a payload, an OCPP error to raise, or :data:`NO_ANSWER`), answers GetConfiguration
from its configuration (``SupportedFeatureProfiles`` and a writable max-current key by
default) and sends station-initiated CALLs with exactly the payload given.

Also here: :func:`connected` (a station on a wrapper, reading). The checks built on it are in
:mod:`tests.support.ocpp_checks`.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

import websockets
from ocpp.charge_point import camel_to_snake_case
from ocpp.exceptions import OCPPError
from ocpp.routing import on as ocpp_on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

OCPP16 = Subprotocol("ocpp1.6")
ALL_PROFILES = (
    "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger"
)
BOOT = {"chargePointVendor": "Emotion", "chargePointModel": "Spotlink EVO"}


def configuration(
    profiles: str = ALL_PROFILES, *, max_current_key: str | None = "MaxChargingCurrent"
) -> list[dict[str, Any]]:
    """A station's configuration keys (GetConfiguration.conf ``configurationKey``)."""
    keys: list[dict[str, Any]] = [
        {"key": "SupportedFeatureProfiles", "readonly": True, "value": profiles},
        {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
        {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
    ]
    if max_current_key is not None:
        keys.append({"key": max_current_key, "readonly": False, "value": "32"})
    return keys


Handler = TypeVar("Handler", bound=Callable[..., Any])


def on(action: Action) -> Callable[[Handler], Handler]:
    """``ocpp.routing.on``, typed."""
    decorator: Callable[[Handler], Handler] = ocpp_on(action)
    return decorator


class _NoAnswer:
    def __repr__(self) -> str:
        return "NO_ANSWER"


NO_ANSWER = _NoAnswer()
"""Answer of a station that never answers a CALL of that action (it is still recorded)."""

Answer: TypeAlias = dict[str, Any] | OCPPError | _NoAnswer

DEFAULT_ANSWERS: dict[str, dict[str, Any]] = {
    "CancelReservation": {"status": "Accepted"},
    "ChangeAvailability": {"status": "Accepted"},
    "ClearChargingProfile": {"status": "Accepted"},
    "DataTransfer": {"status": "Accepted"},
    "GetCompositeSchedule": {"status": "Rejected"},
    "RemoteStartTransaction": {"status": "Accepted"},
    "RemoteStopTransaction": {"status": "Accepted"},
    "ReserveNow": {"status": "Accepted"},
    "Reset": {"status": "Accepted"},
    "SetChargingProfile": {"status": "Accepted"},
    "TriggerMessage": {"status": "Accepted"},
    "UnlockConnector": {"status": "Unlocked"},
}


@dataclass(frozen=True)
class ReceivedCall:
    """A CALL the central system sent: its frame as received and its parts."""

    unique_id: str
    action: str
    payload: dict[str, Any]
    raw: str


@dataclass(frozen=True)
class Handled:
    """What the station's ``@on`` handler got: the keyword arguments the ocpp package made of
    the payload (snake_case) after validating it against the official schema."""

    unique_id: str
    action: str
    kwargs: dict[str, Any]


class RecordingStation(ChargePoint):  # type: ignore[misc]  # ocpp is untyped
    def __init__(
        self,
        station_id: str,
        connection: ClientConnection,
        *,
        keys: list[dict[str, Any]] | None = None,
        answers: dict[str, Answer] | None = None,
        response_timeout: float = 10,
    ) -> None:
        super().__init__(station_id, connection, response_timeout=response_timeout)
        self.keys = configuration() if keys is None else copy.deepcopy(keys)
        self.answers: dict[str, Answer] = dict(answers or {})
        self.received: list[ReceivedCall] = []
        self.handled: list[Handled] = []
        self._changed = asyncio.Event()

    # -- CALLs from the central system ----------------------------------------------------

    async def route_message(self, raw_msg: str) -> None:
        try:
            frame = json.loads(raw_msg)
        except ValueError:
            frame = None
        if isinstance(frame, list) and len(frame) == 4 and frame[0] == 2:
            received = ReceivedCall(frame[1], frame[2], frame[3], raw_msg)
            self.received.append(received)
            self._changed.set()
            if self.answers.get(received.action) is NO_ANSWER:
                return
        await super().route_message(raw_msg)

    def calls(self, action: str | None = None, unique_id: str | None = None) -> list[ReceivedCall]:
        return [
            c
            for c in self.received
            if (action is None or c.action == action)
            and (unique_id is None or c.unique_id == unique_id)
        ]

    def commands(self) -> list[ReceivedCall]:
        """Every CALL but the wrapper's own GetConfiguration probes (and fallbacks): those
        carry a UUID4 UniqueId, commands their request id."""
        return [c for c in self.received if not _is_uuid4(c.unique_id)]

    async def wait_for_call(
        self,
        action: str | None = None,
        *,
        unique_id: str | None = None,
        count: int = 1,
        timeout: float = 10.0,
    ) -> list[ReceivedCall]:
        deadline = time.monotonic() + timeout
        while len(self.calls(action, unique_id)) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [(c.action, c.unique_id) for c in self.received]
                raise AssertionError(
                    f"{count} {action or 'CALL'}(s) {unique_id or ''} not received in "
                    f"{timeout} s; received: {seen}"
                )
            self._changed.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return self.calls(action, unique_id)

    def _answer(self, action: str, unique_id: str, kwargs: dict[str, Any]) -> Any:
        self.handled.append(Handled(unique_id, action, kwargs))
        answer = self.answers.get(action)
        if isinstance(answer, OCPPError):
            raise answer
        if answer is None:
            answer = self._default_answer(action, kwargs)
        assert isinstance(answer, dict)
        return getattr(call_result, action)(**camel_to_snake_case(answer))

    def _default_answer(self, action: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        if action == "GetConfiguration":
            wanted = kwargs.get("key")
            if not wanted:
                return {"configurationKey": self.keys}
            known = {k["key"]: k for k in self.keys}
            out: dict[str, Any] = {"configurationKey": [known[k] for k in wanted if k in known]}
            unknown = [k for k in wanted if k not in known]
            if unknown:
                out["unknownKey"] = unknown
            return out
        if action == "ChangeConfiguration":
            for entry in self.keys:
                if entry["key"] == kwargs["key"]:
                    if entry["readonly"]:
                        return {"status": "Rejected"}
                    entry["value"] = kwargs["value"]
                    return {"status": "Accepted"}
            return {"status": "NotSupported"}
        return DEFAULT_ANSWERS[action]

    @on(Action.cancel_reservation)
    def _on_cancel_reservation(self, call_unique_id: str, **kwargs: Any) -> Any:
        return self._answer("CancelReservation", call_unique_id, kwargs)

    @on(Action.change_availability)
    def _on_change_availability(self, call_unique_id: str, **kwargs: Any) -> Any:
        return self._answer("ChangeAvailability", call_unique_id, kwargs)

    @on(Action.change_configuration)
    def _on_change_configuration(self, call_unique_id: str, **kwargs: Any) -> Any:
        return self._answer("ChangeConfiguration", call_unique_id, kwargs)

    @on(Action.clear_charging_profile)
    def _on_clear_charging_profile(self, call_unique_id: str, **kwargs: Any) -> Any:
        return self._answer("ClearChargingProfile", call_unique_id, kwargs)

    @on(Action.data_transfer)
    def _on_data_transfer(self, call_unique_id: str, **kwargs: Any) -> Any:
        return self._answer("DataTransfer", call_unique_id, kwargs)

    @on(Action.get_composite_schedule)
    def _on_get_composite_schedule(self, call_unique_id: str, **kwargs: Any) -> Any:
        return self._answer("GetCompositeSchedule", call_unique_id, kwargs)

    @on(Action.get_configuration)
    def _on_get_configuration(self, call_unique_id: str, **kwargs: Any) -> Any:
        return self._answer("GetConfiguration", call_unique_id, kwargs)

    @on(Action.remote_start_transaction)
    def _on_remote_start_transaction(self, call_unique_id: str, **kwargs: Any) -> Any:
        return self._answer("RemoteStartTransaction", call_unique_id, kwargs)

    @on(Action.remote_stop_transaction)
    def _on_remote_stop_transaction(self, call_unique_id: str, **kwargs: Any) -> Any:
        return self._answer("RemoteStopTransaction", call_unique_id, kwargs)

    @on(Action.reserve_now)
    def _on_reserve_now(self, call_unique_id: str, **kwargs: Any) -> Any:
        return self._answer("ReserveNow", call_unique_id, kwargs)

    @on(Action.reset)
    def _on_reset(self, call_unique_id: str, **kwargs: Any) -> Any:
        return self._answer("Reset", call_unique_id, kwargs)

    @on(Action.set_charging_profile)
    def _on_set_charging_profile(self, call_unique_id: str, **kwargs: Any) -> Any:
        return self._answer("SetChargingProfile", call_unique_id, kwargs)

    @on(Action.trigger_message)
    def _on_trigger_message(self, call_unique_id: str, **kwargs: Any) -> Any:
        return self._answer("TriggerMessage", call_unique_id, kwargs)

    @on(Action.unlock_connector)
    def _on_unlock_connector(self, call_unique_id: str, **kwargs: Any) -> Any:
        return self._answer("UnlockConnector", call_unique_id, kwargs)

    # -- CALLs from the station -----------------------------------------------------------

    async def send(
        self, action: str, payload: dict[str, Any], unique_id: str | None = None
    ) -> list[Any]:
        """Send a CALL with exactly ``payload``; the answer frame as received:
        ``[3, id, payload]`` or ``[4, id, code, description, details]``."""
        unique_id = unique_id or str(uuid.uuid4())
        frame = json.dumps([2, unique_id, action, payload], separators=(",", ":"))
        async with self._call_lock:
            await self._send(frame)
            response = await self._get_specific_response(unique_id, self._response_timeout)
        answer: list[Any] = json.loads(response.to_json())
        return answer

    @property
    def websocket(self) -> ClientConnection:
        connection: ClientConnection = self._connection
        return connection

    async def send_text(self, text: str) -> None:
        """Send any text frame as is (a late answer, a malformed frame...)."""
        await self._send(text)

    async def ok(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a CALL that must be answered with a CALLRESULT; its payload."""
        answer = await self.send(action, payload)
        assert answer[0] == 3, answer
        result: dict[str, Any] = answer[2]
        return result

    async def boot(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.ok("BootNotification", payload or BOOT)


def _is_uuid4(text: str) -> bool:
    try:
        return uuid.UUID(text).version == 4 and str(uuid.UUID(text)) == text
    except ValueError:
        return False


@asynccontextmanager
async def connected(
    url: str,
    station_id: str,
    *,
    keys: list[dict[str, Any]] | None = None,
    answers: dict[str, Answer] | None = None,
    **connect: Any,
) -> AsyncIterator[RecordingStation]:
    """A :class:`RecordingStation` connected to ``url`` (subprotocol ocpp1.6), reading."""
    async with websockets.connect(url, subprotocols=[OCPP16], **connect) as ws:
        station = RecordingStation(station_id, ws, keys=keys, answers=answers)
        reader = asyncio.create_task(station.start())
        try:
            yield station
        finally:
            reader.cancel()
            with suppress(asyncio.CancelledError, ConnectionClosed):
                await reader
