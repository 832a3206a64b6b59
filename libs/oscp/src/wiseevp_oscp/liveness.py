"""Heartbeats and offline detection (2.6.3-2.6.4, 3.4.2, 4.3.4).

We send each connected peer a Heartbeat every ``heartbeat_interval`` it asked for, with
``offline_mode_at = now + interval x offline_factor``. A peer that does not renew its own
``offline_mode_at`` in time is declared offline the moment it passes (the watcher sleeps on
the injected clock until the earliest deadline), its handshake is reset — it must handshake
again to recover (3.4.3) — and the listener is told at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from wiseevp_common.clock import Clock
from wiseevp_common.messages.oscp20 import Heartbeat

from .client import OscpClient
from .endpoints import Endpoint
from .errors import InvalidPayload, PeerError, PeerUnreachable
from .peers import HandshakeState, Peer, Peers
from .server import Inbound

log = logging.getLogger("wiseevp.oscp.liveness")

PeerHook = Callable[[Peer], Awaitable[None]]


async def sleep_or_wake(clock: Clock, seconds: float | None, wake: asyncio.Event) -> None:
    """Sleep ``seconds`` of clock time (forever if None) or until ``wake`` is set."""
    waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(wake.wait())]
    if seconds is not None:
        waiters.append(asyncio.ensure_future(clock.sleep(max(0.0, seconds))))
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        for waiter in waiters:
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
        # the suppress also swallows a cancellation of the caller arriving meanwhile (a
        # service stopping): re-raise it, or the caller's loop would never stop
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise asyncio.CancelledError


class Liveness:
    def __init__(
        self,
        peers: Peers,
        client: OscpClient,
        clock: Clock,
        *,
        on_offline: PeerHook,
        on_heartbeat_refused: PeerHook,
        offline_factor: float = 2.0,
    ) -> None:
        if offline_factor < 1:
            raise ValueError("offline_factor must be at least 1")
        self.peers = peers
        self.client = client
        self.clock = clock
        self.on_offline = on_offline
        self.on_heartbeat_refused = on_heartbeat_refused
        self.offline_factor = offline_factor
        self._watch_wake = asyncio.Event()
        self._send_wake = asyncio.Event()
        self._next_beat: dict[str, datetime] = {}
        self.paused = False
        """When set, no heartbeats are sent (an operator or a test simulating an outage)."""

    # -- events ------------------------------------------------------------------------

    async def connected(self, peer: Peer) -> None:
        """The handshake completed: the peer is online; heartbeats start both ways."""
        now = self.clock.now()
        peer.online = True
        expected = peer.our_behaviour.heartbeat_interval if peer.our_behaviour else None
        peer.offline_mode_at = (
            now + timedelta(seconds=expected * self.offline_factor) if expected else None
        )
        await self.peers.save(peer, now)
        self._next_beat[peer.peer_id] = now
        self._watch_wake.set()
        self._send_wake.set()

    def forget(self, peer: Peer) -> None:
        self._next_beat.pop(peer.peer_id, None)
        self._watch_wake.set()

    async def receive_heartbeat(self, inbound: Inbound) -> None:
        message = inbound.message
        assert isinstance(message, Heartbeat)
        now = self.clock.now()
        if message.offline_mode_at <= now:
            raise InvalidPayload(
                f"offline_mode_at must be a time in the future (got "
                f"{message.offline_mode_at.isoformat()}, now is {now.isoformat()}; OSCP 4.3.4)"
            )
        peer = inbound.peer
        peer.offline_mode_at = message.offline_mode_at
        peer.online = True
        await self.peers.save(peer, now)
        self._watch_wake.set()

    # -- offline detection -------------------------------------------------------------

    def _deadlines(self) -> list[Peer]:
        return [p for p in self.peers.all() if p.online and p.offline_mode_at is not None]

    async def watch(self) -> None:
        """Declare peers offline when their offline_mode_at passes. Runs forever."""
        while True:
            self._watch_wake.clear()
            now = self.clock.now()
            for peer in self._deadlines():
                if peer.offline_mode_at is not None and peer.offline_mode_at <= now:
                    await self._went_offline(peer)
            upcoming = [p.offline_mode_at for p in self._deadlines() if p.offline_mode_at]
            delay = (min(upcoming) - now).total_seconds() if upcoming else None
            await sleep_or_wake(self.clock, delay, self._watch_wake)

    async def _went_offline(self, peer: Peer) -> None:
        log.warning(
            "peer offline: no heartbeat before offline_mode_at",
            extra={"peer": peer.peer_id, "offline_mode_at": str(peer.offline_mode_at)},
        )
        peer.online = False
        peer.handshake = HandshakeState.NONE
        await self.peers.save(peer, self.clock.now())
        self._next_beat.pop(peer.peer_id, None)
        await self.on_offline(peer)

    # -- sending -----------------------------------------------------------------------

    async def beat(self) -> None:
        """Send heartbeats at each connected peer's requested interval. Runs forever."""
        while True:
            self._send_wake.clear()
            now = self.clock.now()
            due = []
            for peer in self.peers.all():
                interval = peer.their_behaviour.heartbeat_interval if peer.their_behaviour else None
                if not peer.connected or interval is None:
                    self._next_beat.pop(peer.peer_id, None)
                    continue
                at = self._next_beat.setdefault(peer.peer_id, now)
                if at <= now:
                    due.append((peer, interval))
            await asyncio.gather(*(self._send(peer, interval, now) for peer, interval in due))
            pending = list(self._next_beat.values())
            delay = (min(pending) - self.clock.now()).total_seconds() if pending else None
            await sleep_or_wake(self.clock, delay, self._send_wake)

    async def _send(self, peer: Peer, interval: int, now: datetime) -> None:
        self._next_beat[peer.peer_id] = now + timedelta(seconds=interval)
        if peer.token_out is None or self.paused:
            return
        offline_at = now + timedelta(seconds=interval * self.offline_factor)
        try:
            await self.client.send(
                peer.url(Endpoint.HEARTBEAT.value),
                peer.token_out,
                Heartbeat(offline_mode_at=offline_at),
            )
        except PeerError as exc:
            log.warning("heartbeat refused: %s", exc, extra={"peer": peer.peer_id})
            if exc.status in (401, 403):
                await self.on_heartbeat_refused(peer)
        except PeerUnreachable as exc:
            log.warning("heartbeat not delivered: %s", exc, extra={"peer": peer.peer_id})
