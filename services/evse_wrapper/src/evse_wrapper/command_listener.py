"""LISTEN for queued commands, so that the wrapper instance holding a station's connection
sends a command another instance consumed from the IOP."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import asyncpg

from .registry import COMMAND_CHANNEL

log = logging.getLogger("evse_wrapper.command_listener")


class CommandListener:
    name = "command-listener"

    def __init__(self, url: str, notify: Callable[[str], None]) -> None:
        self._url = url
        self._notify = notify
        self._conn: asyncpg.Connection | None = None

    async def start(self) -> None:
        self._conn = await asyncpg.connect(self._url)
        await self._conn.add_listener(COMMAND_CHANNEL, self._on_notification)

    async def stop(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def healthy(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    def _on_notification(self, _conn: Any, _pid: int, _channel: str, payload: object) -> None:
        self._notify(str(payload))
