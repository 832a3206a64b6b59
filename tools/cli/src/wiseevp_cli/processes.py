"""Start and stop service processes (the CLI never imports a service)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_until_healthy(
    url: str, alive: Callable[[], bool], timeout: float, interval: float = 0.1
) -> str | None:
    """Poll ``url``/healthz until it answers 200; the problem (exited, timeout) or None."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if not alive():
                return "exited"
            try:
                async with http.get(url + "/healthz") as resp:
                    if resp.status == 200:
                        return None
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(interval)
    return f"not healthy after {timeout} s"


class Proc:
    def __init__(
        self,
        name: str,
        module: str,
        env: dict[str, str],
        log_dir: Path,
        args: list[str] | None = None,
    ) -> None:
        self.name = name
        self.module = module
        self.args = args or []
        self.port = free_port()
        self.env = {**os.environ, **env, "WISEEVP_HTTP_PORT": str(self.port)}
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", self.module, *self.args],
                env=self.env,
                stdout=log,
                stderr=log,
            )

    async def wait_healthy(self, timeout: float = 60.0) -> None:
        problem = await wait_until_healthy(self.url, lambda: self.alive, timeout)
        if problem is not None:
            raise RuntimeError(f"{self.name} {problem}; see {self.log_path}")

    def kill(self) -> None:
        if self.popen is not None and self.alive:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()

    async def stop(self, timeout: float = 30.0) -> None:
        if self.popen is None or not self.alive:
            return
        self.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.alive and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        self.kill()
