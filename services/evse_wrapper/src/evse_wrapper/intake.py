"""Commands from the IOP: validated at the edge, stored in the station's durable queue.

The AMQP message is acknowledged once the command is stored (PostgreSQL), so a command
survives a wrapper restart and waits for a station that is offline. Invalid commands get
their CALLERROR result and are dead-lettered with the reason.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from ocpp.exceptions import FormatViolationError, OCPPError

from wiseevp_common.bus.delivery import Delivery, InvalidMessage
from wiseevp_common.clock import Clock
from wiseevp_common.ocpp_topology import ResultReason, parse_command_key
from wiseevp_common.topology import DeadLetterReason

from .framing import error_code, validate_request
from .registry import QueuedCommand, Registry
from .results import ResultPublisher


@dataclass
class _Turn:
    """Commands of one station being stored (FIFO lock) and how many wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class CommandIntake:
    def __init__(
        self,
        registry: Registry,
        results: ResultPublisher,
        clock: Clock,
        *,
        queue_max: int,
        expiry_s: float,
        notify: Callable[[str], None],
    ) -> None:
        self._registry = registry
        self._results = results
        self._clock = clock
        self._queue_max = queue_max
        self._expiry = timedelta(seconds=expiry_s)
        self._notify = notify
        self._turns: dict[str, _Turn] = {}

    @asynccontextmanager
    async def _turn(self, evse_id: str) -> AsyncIterator[None]:
        turn = self._turns.setdefault(evse_id, _Turn())
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if turn.users == 0:
                del self._turns[evse_id]

    async def handle(self, delivery: Delivery) -> None:
        address = parse_command_key(delivery.routing_key)
        if address is None:
            raise InvalidMessage(
                DeadLetterReason.UNKNOWN_TOPIC, f"no command topic {delivery.routing_key!r}"
            )
        topic, evse_id = address.topic, address.evse_id
        request_id = address.request_id or delivery.message_id or uuid.uuid4().hex
        try:
            text = delivery.body.decode("utf-8")
            payload = json.loads(text)
            if not isinstance(payload, dict):
                raise FormatViolationError(details={"cause": "the payload must be a JSON object"})
            validate_request(topic.action, payload)
        except (UnicodeDecodeError, ValueError, OCPPError) as exc:
            error = (
                exc
                if isinstance(exc, OCPPError)
                else FormatViolationError(details={"cause": f"not JSON: {exc}"})
            )
            await self._results.wrapper_error(
                topic,
                evse_id,
                request_id,
                reason=ResultReason.INVALID_COMMAND,
                description=f"Invalid {topic.action}.req: {error.description}",
                code=error_code(error),
                cause=str((error.details or {}).get("cause", "")),
            )
            raise InvalidMessage(
                DeadLetterReason.INVALID_PAYLOAD, f"{error_code(error)}: {error.details}"
            ) from None
        # The consumer runs deliveries concurrently; the queue's order (its seq) is the order
        # the station gets them in, so a station's commands are stored one at a time, in
        # delivery order (nothing above awaits: turns are taken in delivery order).
        async with self._turn(evse_id):
            if await self._registry.station(evse_id) is None:
                await self._results.wrapper_error(
                    topic,
                    evse_id,
                    request_id,
                    reason=ResultReason.STATION_UNKNOWN,
                    description=f"No charge point {evse_id!r} is registered",
                )
                return
            now = self._clock.now()
            stored = await self._registry.enqueue_command(
                QueuedCommand(
                    0, evse_id, request_id, topic.level, topic.action, text, now, now + self._expiry
                ),
                self._queue_max,
            )
            if stored is False:
                await self._results.wrapper_error(
                    topic,
                    evse_id,
                    request_id,
                    reason=ResultReason.QUEUE_FULL,
                    description=f"{self._queue_max} commands already wait for this station",
                )
                return
            if stored:
                self._notify(evse_id)
