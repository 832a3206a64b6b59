"""Run wiseevp services as real processes in tests."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

from wiseevp_cli.processes import free_port, wait_until_healthy

from .env import service_env


class ServiceProcess:
    """``python -m <module>`` with a test environment; logs go to a temporary file."""

    def __init__(self, module: str, **env: str) -> None:
        self.module = module
        self.port = int(env.pop("WISEEVP_HTTP_PORT", 0)) or free_port()
        self.env = service_env(WISEEVP_HTTP_PORT=str(self.port), **env)
        self.log_path = Path(tempfile.mkstemp(prefix=f"{module}-", suffix=".log")[1])
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module], env=self.env, stdout=log, stderr=log
        )
        return self

    async def wait_healthy(self, timeout: float = 30.0) -> None:
        alive = lambda: self.proc is None or self.proc.poll() is None  # noqa: E731
        problem = await wait_until_healthy(self.url, alive, timeout)
        if problem is not None:
            raise AssertionError(f"{self.module} {problem}:\n{self.logs()}")

    async def started(self, timeout: float = 30.0) -> Self:
        self.start()
        await self.wait_healthy(timeout)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    async def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, then wait; SIGKILL if it does not exit in time. Returns the exit code."""
        if self.proc is None:
            return None
        self.kill(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self.proc.poll() is None:
            self.kill(signal.SIGKILL)
            self.proc.wait()
        return self.proc.returncode

    async def wait_exit(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        code = self.proc.poll()
        if code is None:
            raise AssertionError(f"{self.module} still running after {timeout} s")
        return code

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")[-20_000:]


def simulated_wrapper(org: str, fleet: int = 3, **env: str) -> ServiceProcess:
    """An EV wrapper publishing a simulated fleet of ``org`` on a fast clock (60 simulated
    seconds between statuses, 0.1 s of real time)."""
    return ServiceProcess(
        "ev_wrapper",
        WISEEVP_ORGANISATION=org,
        WISEEVP_FLEET_SIZE=str(fleet),
        WISEEVP_CLOCK="simulated",
        WISEEVP_CLOCK_SPEED="600",
        WISEEVP_STATUS_INTERVAL_S="60",
        **env,
    )
