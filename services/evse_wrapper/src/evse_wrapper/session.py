"""One station's OCPP-J session over one WebSocket: read, dispatch, answer, and call out.

CALLs from the station are handled one at a time, in arrival order (transaction messages must
be processed in order); the answer is sent only after the handler returned, i.e. after the
request was safely published. Calls to the station go one at a time as OCPP-J requires, and a
CALLRESULT/CALLERROR is matched to the outstanding call by its UniqueId.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ocpp.exceptions import GenericError, InternalError, OCPPError
from ocpp.messages import Call, CallError, CallResult
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from .framing import (
    Unrecoverable,
    call_error_frame,
    call_frame,
    call_result_frame,
    check_action,
    parse_frame,
    validate_request,
)
from .rate_limit import TokenBucket

log = logging.getLogger("evse_wrapper.session")

CallHandler = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
"""(action, request payload) → response payload; raises OCPPError for a CALLERROR."""


class StationOffline(Exception):
    """The socket closed before the station answered."""


@dataclass(frozen=True)
class Answer:
    """What the station answered to one of our CALLs."""

    result: dict[str, Any] | None
    error: tuple[str, str, dict[str, Any]] | None  # errorCode, description, details


class OcppSession:
    def __init__(
        self,
        station_id: str,
        websocket: ServerConnection,
        handler: CallHandler,
        handled_actions: frozenset[str],
        *,
        call_timeout: float,
        rate_limit: TokenBucket,
        on_activity: Callable[[], None],
        on_answered: Callable[[str], None] = lambda action: None,
    ) -> None:
        self.station_id = station_id
        self.websocket = websocket
        self._handler = handler
        self._handled = handled_actions
        self._call_timeout = call_timeout
        self._rate_limit = rate_limit
        self._on_activity = on_activity
        self._on_answered = on_answered
        self._call_lock = asyncio.Lock()
        self._pending: tuple[str, asyncio.Future[Answer]] | None = None
        self.closed = asyncio.Event()

    async def run(self) -> None:
        """Serve until the socket closes."""
        try:
            async for raw in self.websocket:
                self._on_activity()
                if isinstance(raw, bytes):
                    await self.websocket.close(1003, "OCPP-J uses text frames")
                    break
                await self._receive(raw)
                # yield to the other stations: frames a station has already buffered are read
                # without suspending, so a flood would otherwise hold the loop until worked off
                await asyncio.sleep(0)
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()
            if self._pending is not None and not self._pending[1].done():
                self._pending[1].set_exception(StationOffline(self.station_id))

    async def _receive(self, raw: str) -> None:
        try:
            frame = parse_frame(raw)
        except Unrecoverable as exc:
            log.warning("closing %s: not OCPP: %s", self.station_id, exc)
            await self.websocket.close(1002, "not an OCPP-J message")
            return
        except OCPPError as error:
            await self._send(call_error_frame(error.unique_id, error))
            return
        if isinstance(frame, Call):
            await self._handle_call(frame)
        else:
            self._resolve(frame)

    async def _handle_call(self, call: Call) -> None:
        try:
            if not self._rate_limit.take():
                raise GenericError(
                    description="Rate limit exceeded",
                    # rounded up: a station retrying after a rounded-down 0 s is refused again
                    details={
                        "retryAfterSeconds": math.ceil(self._rate_limit.retry_after() * 1000) / 1000
                    },
                )
            check_action(call.action, self._handled)
            validate_request(call.action, call.payload)
            response = await self._handler(call.action, call.payload)
        except OCPPError as error:
            await self._send(call_error_frame(call.unique_id, error))
            return
        except ConnectionClosed:
            raise
        except Exception:
            log.exception("%s: %s handler failed", self.station_id, call.action)
            internal = InternalError(description="The central system could not process it now")
            await self._send(call_error_frame(call.unique_id, internal))
            return
        await self._send(call_result_frame(call.unique_id, response))
        self._on_answered(call.action)

    def _resolve(self, frame: CallResult | CallError) -> None:
        pending = self._pending
        if pending is None or pending[0] != frame.unique_id or pending[1].done():
            log.warning("%s: answer to no outstanding call: %s", self.station_id, frame.unique_id)
            return
        if isinstance(frame, CallResult):
            payload = frame.payload if isinstance(frame.payload, dict) else {}
            pending[1].set_result(Answer(payload, None))
        else:
            details = frame.error_details if isinstance(frame.error_details, dict) else {}
            pending[1].set_result(
                Answer(None, (str(frame.error_code), str(frame.error_description), details))
            )

    async def call(self, unique_id: str, action: str, payload_json: str) -> Answer:
        """Send a CALL (payload as given) and wait for its answer.

        Raises :class:`TimeoutError` without an answer in time, :class:`StationOffline` if the
        socket closes first."""
        async with self._call_lock:
            if self.closed.is_set():
                raise StationOffline(self.station_id)
            future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
            self._pending = (unique_id, future)
            try:
                try:
                    await self._send(call_frame(unique_id, action, payload_json))
                except ConnectionClosed:
                    raise StationOffline(self.station_id) from None
                async with asyncio.timeout(self._call_timeout):
                    return await future
            finally:
                self._pending = None

    async def call_json(self, unique_id: str, action: str, payload: dict[str, Any]) -> Answer:
        return await self.call(unique_id, action, json.dumps(payload, separators=(",", ":")))

    async def _send(self, text: str) -> None:
        await self.websocket.send(text)

    async def close(self, code: int = 1001, reason: str = "") -> None:
        await self.websocket.close(code, reason)
