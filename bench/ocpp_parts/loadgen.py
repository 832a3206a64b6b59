"""The load generator processes (``stations.py``), seen from the bench: the stations split
evenly over them, one command to all at once, merged answers."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from .children import STATIONS_FLAG, Child


class Server(Protocol):
    """The wrapper or the echo server: what the phases need of either."""

    name: str
    killed: bool

    @property
    def pid(self) -> int: ...

    @property
    def url_prefix(self) -> str: ...

    def rss(self) -> int: ...

    def check_alive(self) -> None: ...

    async def connected(self) -> int | None: ...

    async def stop(self, timeout: float) -> float: ...


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


class LoadGenerators:
    def __init__(
        self, server: Server, stations: int, *, procs: int, concurrency: int, label: str
    ) -> None:
        echo = "0" if server.name == "evse_wrapper" else "1"
        procs = max(1, min(procs, stations))
        self.children: list[Child] = []
        self.remaining: list[int] = []
        first = 1
        for index, count in enumerate(split(stations, procs)):
            args = [STATIONS_FLAG, server.url_prefix, first, count, echo, concurrency]
            self.children.append(Child(f"stations-{label}-{index}", [str(a) for a in args]))
            self.remaining.append(count)
            first += count

    @property
    def pids(self) -> list[int]:
        return [c.pid for c in self.children if c.pid is not None]

    async def start(self) -> None:
        await asyncio.gather(*(c.start() for c in self.children))

    async def all(self, command: dict[str, Any], timeout: float) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(c.request(command, timeout) for c in self.children)))

    async def connect(self, count: int, timeout: float) -> list[dict[str, Any]]:
        """Connect and boot ``count`` more stations, spread evenly over the processes."""
        wanted = split(count, len(self.children))
        counts = [min(c, r) for c, r in zip(wanted, self.remaining, strict=True)]
        self.remaining = [r - c for c, r in zip(counts, self.remaining, strict=True)]
        return list(
            await asyncio.gather(
                *(
                    child.request({"cmd": "connect", "count": c}, timeout)
                    for child, c in zip(self.children, counts, strict=True)
                )
            )
        )

    async def send(
        self, plan: dict[str, Any], stations: int, timeout: float
    ) -> list[dict[str, Any]]:
        """MeterValues from the connected stations (``sending.Plan``); the ``stations``
        are interleaved over the processes for pacing."""
        procs = len(self.children)
        return list(
            await asyncio.gather(
                *(
                    child.request(
                        {
                            "cmd": "run",
                            "plan": {**plan, "total": stations, "offset": k, "stride": procs},
                        },
                        timeout,
                    )
                    for k, child in enumerate(self.children)
                )
            )
        )

    async def stop(self) -> None:
        await asyncio.gather(*(c.stop() for c in self.children), return_exceptions=True)

    def kill(self) -> None:
        for child in self.children:
            child.kill()
