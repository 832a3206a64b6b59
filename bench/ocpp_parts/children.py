"""Child processes of the bench (load generators, echo server, tap): started as
``bench/ocpp.py <child flag> ...``, driven by one JSON command per line on stdin, answering
one JSON line each on stdout. A child ends when its stdin closes (the bench exited)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import resource
import signal
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from .errors import BenchError
from .space import ENTRY_SCRIPT, OUT_DIR

STATIONS_FLAG = "--stations-child"
ECHO_FLAG = "--echo-child"
TAP_FLAG = "--tap-child"
ENTRIES = {
    STATIONS_FLAG: ("stations", "stations_child"),
    ECHO_FLAG: ("echo", "echo_child"),
    TAP_FLAG: ("tap", "tap_child"),
}
"""Child flag → (module of this package, its async main): imported only in that child, so a
child does not import what the bench needs (database, HTTP, ...)."""
LINE_LIMIT = 1 << 26
"""Replies carry latency samples: far beyond asyncio's 64 kB default line limit."""


def raise_fd_limit() -> None:
    """Soft open-files limit up to the hard one (thousands of sockets per process)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# -- child side ---------------------------------------------------------------------------


def run_child(args: Sequence[str]) -> int | None:
    """Run the child that ``args`` name (its exit code); None if they name none."""
    entry = ENTRIES.get(args[0]) if args else None
    if entry is None:
        return None
    module = importlib.import_module(f"{__package__}.{entry[0]}")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(getattr(module, entry[1])(list(args[1:])))
    return 0


async def commands() -> AsyncIterator[dict[str, Any]]:
    """The commands from the bench, until it closes our stdin."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        yield json.loads(line)


def reply(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


# -- bench side ---------------------------------------------------------------------------


class Child:
    """One child process; its stderr goes to a log file under ``.bench/``."""

    def __init__(self, name: str, args: Sequence[str]) -> None:
        self.name = name
        self.args = [str(a) for a in args]
        self.proc: asyncio.subprocess.Process | None = None
        self.log_path = OUT_DIR / f"ocpp-{name}-{time.strftime('%Y%m%d-%H%M%S')}.log"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    async def start(self, timeout: float = 30.0) -> dict[str, Any]:
        """Start it and wait for its first line (``{"ready": ...}``)."""
        OUT_DIR.mkdir(exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                str(ENTRY_SCRIPT),
                *self.args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                limit=LINE_LIMIT,
            )
        return await self._read(timeout, "start")

    async def request(self, command: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command).encode() + b"\n")
        await self.proc.stdin.drain()
        return await self._read(timeout, str(command.get("cmd")))

    async def _read(self, timeout: float, what: str) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except TimeoutError:
            raise BenchError(f"{self.name}: no answer to {what} within {timeout:.0f} s") from None
        if not line:
            raise BenchError(f"{self.name} ended during {what}:\n{self.tail()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def stop(self, timeout: float = 10.0) -> bool:
        """Close its stdin (it ends by itself), kill it if it does not in time: killed?"""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return False
        if proc.stdin is not None:
            with contextlib.suppress(Exception):
                proc.stdin.close()
        killed = False
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            self.kill()
            await proc.wait()
            killed = True
        with contextlib.suppress(OSError):
            if self.log_path.stat().st_size == 0:
                self.log_path.unlink()  # keep only the logs that say something
        return killed

    def kill(self) -> None:
        """Synchronous last resort (also when the event loop is gone): SIGKILL by pid."""
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)

    def tail(self, chars: int = 2000) -> str:
        with contextlib.suppress(OSError):
            return Path(self.log_path).read_text(errors="replace")[-chars:]
        return ""
