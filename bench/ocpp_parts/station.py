"""One simulated charge point: a plain ``websockets`` client connection (``compression=None``,
no client pings) with a reader task that answers the wrapper's CALLs (GetConfiguration) and
hands every other frame to the one CALL the station has outstanding: like a real charge
point, a station waits for the answer to a CALL before it sends the next. Against the echo
server (``echo``) the answer is the frame itself.
"""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .frames import GET_CONFIGURATION_RESULT, call_result, is_result_for


class StationClosed(Exception):
    """The connection closed while a CALL was outstanding."""


class Station:
    __slots__ = ("echo", "open", "reader", "seq", "server_calls", "station_id", "waiter", "ws")

    def __init__(self, station_id: str, ws: ClientConnection, *, echo: bool) -> None:
        self.station_id = station_id
        self.ws = ws
        self.echo = echo
        self.open = True
        self.seq = 0
        self.server_calls = 0
        self.waiter: asyncio.Future[str] | None = None
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if not isinstance(message, str):
                    continue
                if not self.echo and message.startswith("[2,"):
                    await self._answer(message)
                    continue
                waiter = self.waiter
                if waiter is not None and not waiter.done():
                    waiter.set_result(message)
        except ConnectionClosed:
            pass
        finally:
            self.open = False
            waiter = self.waiter
            if waiter is not None and not waiter.done():
                waiter.set_exception(StationClosed(self.station_id))

    async def _answer(self, message: str) -> None:
        """A CALL from the wrapper: GetConfiguration gets the features, anything else {}."""
        frame = json.loads(message)
        self.server_calls += 1
        payload = GET_CONFIGURATION_RESULT if frame[2] == "GetConfiguration" else "{}"
        await self.ws.send(call_result(frame[1], payload))

    def next_uid(self) -> str:
        self.seq += 1
        return f"{self.station_id}-{self.seq}"

    async def call(self, uid: str, frame: str) -> bool:
        """Send a CALL, wait for its answer: True for its CALLRESULT (echo: the frame)."""
        if not self.open:
            raise StationClosed(self.station_id)
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.waiter = waiter
        await self.ws.send(frame)
        answer = await waiter
        return answer == frame if self.echo else is_result_for(answer, uid)
