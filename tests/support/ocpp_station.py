"""A charge point for the OCPP 1.6 conformance tests, on the ``ocpp`` package's own
``ocpp.v16.ChargePoint`` (an implementation independent of the wrapper's).

:class:`RecordingStation` records every CALL the central system sends it (raw frame and
payload, and what its ``@on`` handler received), answers each command with a configurable
answer (a payload, an OCPP error to raise, or :data:`NO_ANSWER`), answers GetConfiguration
from its configuration (``SupportedFeatureProfiles`` and a writable max-current key by
default) and sends station-initiated CALLs with exactly the payload given.

Also here: :func:`connected` (a station on a wrapper, reading), :func:`command_roundtrip`
(publish one command, check what the station got and the one result), :func:`relay_queue`
(to check a station message was published *before* its answer was sent),
:func:`publish_command` (with an AMQP message_id), :func:`schema_errors` (official schemas,
``date-time`` checked) and :func:`run_admin` (the wrapper's operator command line).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

import aio_pika
import websockets
from jsonschema import Draft4Validator  # type: ignore[import-untyped]
from ocpp.charge_point import camel_to_snake_case
from ocpp.exceptions import OCPPError
from ocpp.routing import on as ocpp_on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tests.support.env import AMQP_URL
from tests.support.evse import EvseWrapperProcess, result_key, send_command, tap
from tests.support.ocpp16_schemas import FORMATS, load_schema
from wiseevp_common.topology import encode_level

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


def schema_errors(schema: str, payload: Any) -> list[str]:
    """Why ``payload`` violates the official schema ``schema`` (e.g. ``HeartbeatResponse``),
    ``format: date-time`` included; empty if it is valid."""
    validator = Draft4Validator(load_schema(schema), format_checker=FORMATS)
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(payload)]


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


@dataclass(frozen=True)
class CommandOutcome:
    station: RecordingStation
    received: list[ReceivedCall]
    """The CALLs the station received with the request id as UniqueId."""
    handled: list[Handled]
    """What the station's ``@on`` handler got for it (none if the ocpp package refused it)."""
    result: list[Any]
    """The one result frame published on the result topic."""

    @property
    def call(self) -> ReceivedCall:
        """The one CALL the station received for the command."""
        [call] = self.received
        return call


async def command_roundtrip(
    wrapper: EvseWrapperProcess,
    station_id: str,
    level: str,
    payload: dict[str, Any],
    *,
    request_id: str,
    answers: dict[str, Answer] | None = None,
    keys: list[dict[str, Any]] | None = None,
    expect_call: bool = True,
) -> CommandOutcome:
    """Connect a station, publish one command for it on ``MQTT.EVSE.<id>.<level>.<request
    id>``, wait for its result; check the station got exactly the payload published (the
    very JSON text) with the request id as UniqueId — or, ``expect_call=False``, that it got
    no CALL with that UniqueId — and that one result was published."""
    body = json.dumps(payload)
    async with (
        tap(f"MQTT.EVSE.{encode_level(station_id)}.result.#") as seen,
        connected(wrapper.ws_url(station_id), station_id, keys=keys, answers=answers) as station,
    ):
        await station.boot()  # answered: the station is registered (auto-registration)
        await send_command(station_id, level, payload, request_id)
        results = await seen.wait_for(result_key(station_id, level, request_id))
        received = station.calls(unique_id=request_id)
        if not expect_call:
            assert received == []
        else:
            [call] = received
            assert call.payload == payload
            assert call.raw == f"[2,{json.dumps(request_id)},{json.dumps(call.action)},{body}]"
        assert len(results) == 1, results
        assert [key for key, _ in seen.messages] == [result_key(station_id, level, request_id)], (
            seen.messages
        )
        handled = [h for h in station.handled if h.unique_id == request_id]
        return CommandOutcome(station, received, handled, results[0])


def basic_auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


# -- the IOP side ---------------------------------------------------------------------------


class RelayQueue:
    """A queue bound to one routing key before the station acts; :meth:`now` takes what is
    in it at that instant (no waiting). The wrapper publishes with publisher confirms before
    it answers, so a station message is in the queue by the time its answer arrived."""

    def __init__(self, queue: aio_pika.abc.AbstractQueue) -> None:
        self._queue = queue

    async def now(self) -> list[Any]:
        bodies: list[Any] = []
        while (message := await self._queue.get(fail=False, no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
        return bodies


@asynccontextmanager
async def relay_queue(routing_key: str) -> AsyncIterator[RelayQueue]:
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind("amq.topic", routing_key)
        yield RelayQueue(queue)
    finally:
        await connection.close()


async def publish_command(
    routing_key: str, payload: dict[str, Any] | bytes, *, message_id: str | None = None
) -> None:
    """Publish a command (persistent, confirmed) with an optional AMQP message_id."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("amq.topic")
        await exchange.publish(
            aio_pika.Message(
                body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=message_id
            ),
            routing_key,
        )


async def run_admin(wrapper: EvseWrapperProcess, *args: str, stdin: str | None = None) -> str:
    """``python -m evse_wrapper <args>`` with the wrapper's environment; its stdout."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "evse_wrapper",
        *args,
        env=wrapper.env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate(stdin.encode() if stdin is not None else b"")
    assert proc.returncode == 0, f"evse_wrapper {' '.join(args)} failed: {err.decode()}"
    return out.decode()
