"""A party run inside another program, without the service runner: its endpoints (and any
extra routes) on an HTTP server, its loops as tasks kept until :meth:`ServedParty.stop`.

For embedding a CP or CO in a tool (an EMS, a benchmark, a test); services use the runner."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiohttp import web
from prometheus_client import CollectorRegistry

from wiseevp_common.http import HttpServer, build_app

from .party import OscpParty


class ServedParty:
    def __init__(
        self, party: OscpParty, host: str, port: int, routes: Iterable[web.RouteDef] = ()
    ) -> None:
        self.party = party
        self.http = HttpServer(
            build_app(CollectorRegistry(), {}, [*party.routes(), *routes]), host, port
        )
        self._loops: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.party.start()
        await self.http.start()
        self._loops = [asyncio.create_task(loop()) for loop in self.party.loops()]

    async def stop(self) -> None:
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        self._loops = []
        await self.http.stop()
        await self.party.stop()
