"""Loops of the wrapper: silent stations go offline; commands of offline stations expire."""

from __future__ import annotations

import logging
from datetime import timedelta

from wiseevp_common.clock import Clock

from .delivery import CommandDelivery
from .links import Links
from .registry import Registry

log = logging.getLogger("evse_wrapper.watchdog")


class Watchdog:
    def __init__(
        self,
        links: Links,
        registry: Registry,
        delivery: CommandDelivery,
        clock: Clock,
        *,
        heartbeat_interval_s: float,
        missed_heartbeats: float,
    ) -> None:
        self._links = links
        self._registry = registry
        self._delivery = delivery
        self._clock = clock
        self._silence = timedelta(seconds=heartbeat_interval_s * missed_heartbeats)
        self._period = max(1.0, heartbeat_interval_s / 4)

    async def run(self) -> None:
        while True:
            await self._clock.sleep(self._period)
            await self.check_silence()
            await self.expire_commands()

    async def check_silence(self) -> None:
        deadline = self._clock.now() - self._silence
        for link in self._links.all():
            if link.last_seen < deadline:
                log.warning("%s: silent since %s, closing", link.station_id, link.last_seen)
                link.close_reason = "heartbeat timeout"
                await link.session.close(1000, "heartbeat timeout")

    async def expire_commands(self) -> None:
        """Commands that outlived their expiry (their stations stayed offline)."""
        for command in await self._registry.claim_expired_commands(self._clock.now()):
            await self._delivery.expire(command)
