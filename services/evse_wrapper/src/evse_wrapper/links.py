"""The stations connected to this wrapper instance, each with its session, command pump and
configuration probe, under one task group per connection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from wiseevp_common.clock import Clock

from .connection_status import ConnectionStatus
from .delivery import CommandDelivery
from .registry import Registry
from .session import OcppSession, StationOffline

log = logging.getLogger("evse_wrapper.links")


@dataclass
class StationLink:
    station_id: str
    session: OcppSession
    connected_at: datetime
    last_seen: datetime
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    probe_needed: asyncio.Event = field(default_factory=asyncio.Event)
    close_reason: str = "socket closed"
    finished: asyncio.Event = field(default_factory=asyncio.Event)


class Links:
    """Active links by station id; a station that reconnects replaces its old link."""

    def __init__(
        self,
        registry: Registry,
        delivery: CommandDelivery,
        status: ConnectionStatus,
        clock: Clock,
        *,
        replace_wait_s: float = 35.0,
        recheck_s: float = 30.0,
    ) -> None:
        self._registry = registry
        self._delivery = delivery
        self._status = status
        self._clock = clock
        self._replace_wait_s = replace_wait_s
        self._recheck_s = recheck_s
        self._links: dict[str, StationLink] = {}

    def __len__(self) -> int:
        return len(self._links)

    def get(self, station_id: str) -> StationLink | None:
        return self._links.get(station_id)

    def all(self) -> list[StationLink]:
        return list(self._links.values())

    def notify(self, station_id: str) -> None:
        """A command was queued for ``station_id``: wake its pump if it is connected here."""
        link = self._links.get(station_id)
        if link is not None:
            link.wake.set()

    def seen(self, link: StationLink) -> None:
        link.last_seen = self._clock.now()

    async def serve(self, link: StationLink, *, probe: bool) -> None:
        """Run one connection to its end: session, command pump, probe; status on both ends."""
        previous = self._links.get(link.station_id)
        self._links[link.station_id] = link
        if previous is not None:
            await previous.session.close(1000, "replaced by a new connection")
            # its pump may be finishing a command the station answered: the new pump must not
            # read that command before it is removed, or the station would get it twice
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(previous.finished.wait(), self._replace_wait_s)
        if probe:
            link.probe_needed.set()
            link.wake.set()
        await self._status.online(link.station_id, link.connected_at)
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._pump(link))
                await link.session.run()
                link.wake.set()  # the pump sees the session closed and ends
                # The pump is not cancelled: it ends by itself once the session is closed (its
                # calls fail at once). Cancelling it could interrupt a command the station had
                # answered between its result and its removal from the queue, and the command
                # would be sent again at the next connection (a second result).
        except Exception:
            log.exception("%s: link failed", link.station_id)
            link.close_reason = "wrapper error"
        finally:
            link.finished.set()
            if self._links.get(link.station_id) is link:
                del self._links[link.station_id]
                await asyncio.shield(
                    self._status.offline(
                        link.station_id, self._clock.now(), link.last_seen, link.close_reason
                    )
                )

    async def _pump(self, link: StationLink) -> None:
        """Outgoing calls of one station, one at a time: the probe, then queued commands."""
        try:
            while not link.session.closed.is_set():
                if link.probe_needed.is_set():
                    link.probe_needed.clear()
                    await self._probe(link)
                    continue
                link.wake.clear()  # before reading: a later enqueue sets it again
                command = await self._registry.next_command(link.station_id)
                if command is None:
                    if link.probe_needed.is_set() or link.session.closed.is_set():
                        continue
                    # woken by a local enqueue, a PostgreSQL notification, a boot or the end
                    # of the session; the timeout re-reads the queue should a wake-up be lost
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(link.wake.wait(), self._recheck_s)
                    continue
                if command.expires_at <= self._clock.now():
                    if await self._registry.delete_command(command.seq):
                        await self._delivery.expire(command)
                    continue
                station = await self._registry.station(link.station_id)
                if station is None:
                    return
                await self._delivery.deliver(link.session, station, command)
                await self._registry.delete_command(command.seq)
        except StationOffline:
            return

    async def _probe(self, link: StationLink) -> None:
        """Read the station's configuration (SupportedFeatureProfiles, max-current keys)."""
        try:
            answer = await link.session.call_json(str(uuid.uuid4()), "GetConfiguration", {})
        except TimeoutError:
            log.warning("%s: no answer to GetConfiguration", link.station_id)
            return
        if answer.result is None:
            log.warning("%s: GetConfiguration refused: %s", link.station_id, answer.error)
            return
        keys = answer.result.get("configurationKey", [])
        profiles: list[str] | None = None
        for entry in keys:
            if entry.get("key") == "SupportedFeatureProfiles":
                profiles = [p.strip() for p in str(entry.get("value", "")).split(",") if p.strip()]
        await self._registry.record_configuration(link.station_id, profiles, keys)

    def on_answered(self, link: StationLink, action: str) -> None:
        if action == "BootNotification":
            link.probe_needed.set()
            link.wake.set()
