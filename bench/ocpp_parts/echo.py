"""The baseline server: a plain ``websockets`` echo server (``compression=None``, the
wrapper's ping settings) in a process of its own: what a connection and a message cost
without the wrapper's work."""

from __future__ import annotations

import time

from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from proc_stats import rss_bytes

from .children import ECHO_FLAG, Child, commands, raise_fd_limit, reply
from .errors import BenchError
from .frames import SUBPROTOCOL
from .space import HOST


async def _echo(websocket: ServerConnection) -> None:
    async for message in websocket:
        await websocket.send(message)


async def echo_child(args: list[str]) -> None:
    raise_fd_limit()
    async with serve(
        _echo,
        HOST,
        0,
        subprotocols=[Subprotocol(SUBPROTOCOL)],
        compression=None,
        max_size=65536,
        ping_interval=60,
        ping_timeout=60,
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        reply({"ready": True, "port": port})
        async for _ in commands():
            reply({})


class EchoServer:
    """The echo server process, seen from the bench (the same face as the wrapper's)."""

    name = "raw websockets echo"

    def __init__(self, label: str) -> None:
        self.child = Child(f"echo-{label}", [ECHO_FLAG])
        self.port = 0
        self.killed = False

    @property
    def pid(self) -> int:
        assert self.child.pid is not None
        return self.child.pid

    @property
    def url_prefix(self) -> str:
        return f"ws://{HOST}:{self.port}/ocpp/"

    async def start(self) -> None:
        ready = await self.child.start()
        self.port = int(ready["port"])

    def rss(self) -> int:
        self.check_alive()
        return rss_bytes(self.pid)

    def check_alive(self) -> None:
        proc = self.child.proc
        if proc is not None and proc.returncode is not None:
            raise BenchError(f"the echo server exited with {proc.returncode}:\n{self.child.tail()}")

    async def connected(self) -> int | None:
        return None

    async def stop(self, timeout: float = 10.0) -> float:
        started = time.monotonic()
        self.killed = await self.child.stop(timeout)
        return time.monotonic() - started

    def kill(self) -> None:
        self.child.kill()
