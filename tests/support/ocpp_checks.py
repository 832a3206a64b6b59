"""Checks of the OCPP 1.6 conformance tests around a ``RecordingStation`` (ocpp_station):
:func:`command_roundtrip` (publish one command, check what the station got and the one
result), :func:`relay_queue` (to check a station message was published *before* its answer
was sent), :func:`publish_command` (with an AMQP message_id), :func:`schema_errors` (official
schemas, ``date-time`` checked), :func:`basic_auth` and :func:`run_admin` (the wrapper's
operator command line).
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aio_pika
from jsonschema import Draft4Validator  # type: ignore[import-untyped]

from tests.support.env import AMQP_URL
from tests.support.evse import EvseWrapperProcess, result_key, send_command, tap
from tests.support.ocpp16_schemas import FORMATS, load_schema
from tests.support.ocpp_station import (
    Answer,
    Handled,
    ReceivedCall,
    RecordingStation,
    connected,
)
from wiseevp_common.topology import encode_level


def schema_errors(schema: str, payload: Any) -> list[str]:
    """Why ``payload`` violates the official schema ``schema`` (e.g. ``HeartbeatResponse``),
    ``format: date-time`` included; empty if it is valid."""
    validator = Draft4Validator(load_schema(schema), format_checker=FORMATS)
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(payload)]


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
