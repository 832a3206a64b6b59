"""The simulator: every station's link, loop, job worker and EV arrivals in one TaskGroup.

Use it as ``await Simulator(config, clock).run()`` (until ``duration_s`` or :meth:`stop`) or as
an async context manager that runs it in the background::

    async with Simulator(config, clock) as sim:
        st = sim.station("CP.01")
        await st.wait_accepted()
        await st.plug_in(1, Ev(...))
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Coroutine
from types import TracebackType
from typing import Any

from wiseevp_common.clock import Clock, SystemClock

from .arrivals import run_arrivals
from .config import SimulatorConfig
from .link import run_link, ssl_context
from .station import Station
from .station_loop import run_station_loop
from .stats import total
from .timing import iso

log = logging.getLogger(__name__)


class Simulator:
    def __init__(self, config: SimulatorConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self._stations = {
            s.id: Station(
                s,
                self.clock,
                rng=random.Random(f"{config.seed}:{s.id}"),
                response_timeout_s=config.response_timeout_s,
                validate_schemas=config.validate_schemas,
                drain_timeout_s=config.drain_timeout_s,
                ev_v2g_share=config.ev_v2g_share,
            )
            for s in config.stations
        }
        self._stop = asyncio.Event()
        self._runner: asyncio.Task[dict[str, Any]] | None = None
        self.status_port: int | None = None  # bound port of the status endpoint, once running
        self.started = asyncio.Event()  # set once every task runs (and the status endpoint)

    @property
    def stations(self) -> list[Station]:
        return list(self._stations.values())

    def station(self, station_id: str) -> Station:
        try:
            return self._stations[station_id]
        except KeyError:
            raise KeyError(f"no station {station_id!r}") from None

    def stats(self) -> dict[str, Any]:
        """``{"time", "total": {...}, "stations": {id: {...}}}`` (see the README)."""
        stations = {s.id: s.stats() for s in self._stations.values()}
        return {
            "time": iso(self.clock.now()),
            "total": total(stations.values()),
            "stations": stations,
        }

    def stop(self) -> None:
        """Ask :meth:`run` to finish (delivering what it can within ``drain_timeout_s``)."""
        self._stop.set()

    async def wait_accepted(self) -> None:
        """Return once every station has been Accepted by the central system."""
        await asyncio.gather(*(s.wait_accepted() for s in self._stations.values()))

    async def run(self) -> dict[str, Any]:
        """Run until ``duration_s`` (clock seconds) has passed or :meth:`stop`; return the stats."""
        config = self.config
        tls = ssl_context(config.url, config.ca_file, config.insecure)
        runner = None
        async with asyncio.TaskGroup() as tg:
            tasks: list[asyncio.Task[None]] = []

            def spawn(work: Coroutine[Any, Any, None]) -> None:
                tasks.append(tg.create_task(work))

            for station in self._stations.values():
                rng = random.Random(f"{config.seed}:{station.id}:link")
                spawn(
                    run_link(
                        station, config.url, self.clock, tls=tls, rng=rng,
                        min_backoff_s=config.reconnect_min_s, max_backoff_s=config.reconnect_max_s,
                    )
                )  # fmt: skip
                spawn(run_station_loop(station.sessions))
                spawn(station.run_jobs())
                if config.random_arrivals:
                    for cid in station.sessions.connectors:
                        arrivals_rng = random.Random(f"{config.seed}:{station.id}:{cid}")
                        spawn(
                            run_arrivals(
                                station, cid, self.clock, arrivals_rng, config.mean_arrival_gap_s
                            )
                        )
            try:
                if config.status_port is not None:
                    # aiohttp is slow to import: only when the endpoint is wanted
                    from .status_http import start_status_server  # noqa: PLC0415

                    runner, self.status_port = await start_status_server(
                        self.stats, config.status_port
                    )
                self.started.set()
                await self._until_done()
                await self._drain()
            finally:
                for task in tasks:
                    task.cancel()
                if runner is not None:
                    await runner.cleanup()
        return self.stats()

    async def _until_done(self) -> None:
        waiters: set[asyncio.Future[Any]] = {asyncio.ensure_future(self._stop.wait())}
        if self.config.duration_s is not None:
            waiters.add(asyncio.ensure_future(self.clock.sleep(self.config.duration_s)))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    async def _drain(self) -> None:
        online = [s for s in self._stations.values() if s.online]
        if not online:
            return
        try:
            async with asyncio.timeout(self.config.drain_timeout_s):
                await asyncio.gather(*(s.drained() for s in online))
        except TimeoutError:
            log.warning("stopping with undelivered transaction messages")

    async def __aenter__(self) -> Simulator:
        self._runner = asyncio.create_task(self.run())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if self._runner is not None:
            await self._runner
