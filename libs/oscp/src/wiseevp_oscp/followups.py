"""Work that must happen after an HTTP response is sent (3.1.2: a Handshake is answered 204
*before* the HandshakeAcknowledge is sent; FR.01: respond before sending anything else).

Every task is kept until it ends and awaited (or cancelled) on stop: nothing is fire-and-forget.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("wiseevp.oscp.followups")


class FollowUps:
    name = "oscp-followups"

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        task = asyncio.get_running_loop().create_task(self._guard(work, what), name=what)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guard(work: Coroutine[Any, Any, None], what: str) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("follow-up failed: %s", what)

    async def drain(self) -> None:
        """Wait until every follow-up spawned so far has finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def healthy(self) -> bool:
        return True
