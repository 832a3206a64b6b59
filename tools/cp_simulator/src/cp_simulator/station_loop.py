"""The station's loop: wakes at the next meter sample, EV departure, EV full/empty, reservation
expiry or charging-profile period boundary (on the clock), or when something changed
(``sessions.wake``), and brings the station's state up to that time."""

from __future__ import annotations

from .sessions import SessionManager
from .timing import sleep_or_wake


async def run_station_loop(sessions: SessionManager) -> None:
    clock = sessions.clock
    while True:
        now = clock.now()
        sessions.refresh(now)
        await sleep_or_wake(clock, sessions.next_event(now), sessions.wake)
