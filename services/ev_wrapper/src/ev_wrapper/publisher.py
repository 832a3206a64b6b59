"""The IOP publisher: the :class:`EvSink` that sources feed, one :class:`EvLink` per EV."""

from __future__ import annotations

import asyncio
import logging

from wiseevp_common.clock import Clock
from wiseevp_common.messages.iop import EvCharacteristics, EvStatus, EvStatusValue

from .link import EvLink, nocomm
from .metrics import WrapperMetrics
from .settings import EvWrapperSettings

log = logging.getLogger("ev_wrapper.publisher")


class IopPublisher:
    """Creates a link per EV on first sight and publishes ``nocomm`` for EVs gone silent."""

    name = "iop-publisher"

    def __init__(self, settings: EvWrapperSettings, clock: Clock, metrics: WrapperMetrics) -> None:
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        self.links: dict[str, EvLink] = {}
        self._group: asyncio.TaskGroup | None = None
        self._ready = asyncio.Event()

    async def run(self) -> None:
        """Own the links' tasks; watch for silent EVs. Runs until cancelled."""
        async with asyncio.TaskGroup() as group:
            self._group = group
            self._ready.set()
            try:
                await self._watch_staleness()
            finally:
                self._ready.clear()
                self._group = None

    async def _link(self, ev_id: str) -> EvLink:
        link = self.links.get(ev_id)
        if link is None:
            await self._ready.wait()
            assert self._group is not None
            link = EvLink(ev_id, self.settings, self.clock, self.metrics)
            self.links[ev_id] = link
            self._group.create_task(link.run(), name=f"ev-link-{ev_id}")  # the group keeps it
        return link

    async def characteristics(self, ev: EvCharacteristics) -> None:
        (await self._link(ev.id)).set_characteristics(ev)

    async def status(self, status: EvStatus) -> None:
        link = await self._link(status.id)
        if link.characteristics is None:
            log.warning("status of %s before its characteristics", status.id)
        link.push_status(status)

    async def lost(self, ev_id: str) -> None:
        link = self.links.get(ev_id)
        if link is not None and not _is_nocomm(link.last_status):
            link.push_status(nocomm(ev_id, self.clock))

    async def _watch_staleness(self) -> None:
        period = self.settings.stale_after_s / 4
        while True:
            await self.clock.sleep(period)
            now = self.clock.now()
            for ev_id, link in list(self.links.items()):
                last = link.last_status
                if last is not None and not _is_nocomm(last):
                    silent = (now - last.timestamp).total_seconds()
                    if silent > self.settings.stale_after_s:
                        log.info("%s silent for %.0f s: nocomm", ev_id, silent)
                        await self.lost(ev_id)

    # -- component protocol (health) ------------------------------------------------------
    async def healthy(self) -> bool:
        return self._ready.is_set()


def _is_nocomm(status: EvStatus | None) -> bool:
    return status is not None and status.status is EvStatusValue.NOCOMM
