"""The system under test: ``python -m evse_wrapper`` on the bench vhost and database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from proc_stats import rss_bytes
from wiseevp_cli.processes import free_port

from .errors import BenchError
from .space import AMQP_URL, HOST, OUT_DIR, POSTGRES_URL, ROOT


class WrapperProcess:
    """One wrapper process (each phase starts its own); logs and profiles under ``.bench/``."""

    name = "evse_wrapper"

    def __init__(self, extra_env: dict[str, str], *, label: str, profile: bool) -> None:
        self.ocpp_port = free_port()
        self.http_port = free_port()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.log_path = OUT_DIR / f"evse_wrapper-{stamp}-{label}.log"
        self.profile_path: Path | None = (
            OUT_DIR / f"evse_wrapper-{stamp}-{label}.prof" if profile else None
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("WISEEVP_")}
        env.update(
            {
                "WISEEVP_AMQP_URL": AMQP_URL,
                "WISEEVP_POSTGRES_URL": POSTGRES_URL,
                "WISEEVP_OCPP_HOST": HOST,
                "WISEEVP_OCPP_PORT": str(self.ocpp_port),
                "WISEEVP_HTTP_HOST": HOST,
                "WISEEVP_HTTP_PORT": str(self.http_port),
                "WISEEVP_LOG_LEVEL": "WARNING",
                "WISEEVP_INSTANCE_ID": "bench",
            }
        )
        env.update(extra_env)
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.killed = False
        """Its last stop needed SIGKILL (it had not exited within the grace)."""

    @property
    def url_prefix(self) -> str:
        return f"ws://{HOST}:{self.ocpp_port}/ocpp/"

    @property
    def http_url(self) -> str:
        return f"http://{HOST}:{self.http_port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, timeout: float = 60.0) -> None:
        self._launch()
        await self._wait_healthy(timeout)

    def _launch(self) -> None:
        OUT_DIR.mkdir(exist_ok=True)
        cmd = [sys.executable]
        if self.profile_path is not None:
            cmd += ["-m", "cProfile", "-o", str(self.profile_path)]
        cmd += ["-m", "evse_wrapper"]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log, cwd=ROOT)

    def rss(self) -> int:
        self.check_alive()
        return rss_bytes(self.pid)

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise BenchError(
                f"evse_wrapper exited with {self.proc.returncode}; log {self.log_path}:\n"
                + self.tail()
            )

    async def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
            while time.monotonic() < deadline:
                self.check_alive()
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(self.http_url + "/healthz") as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise BenchError(f"evse_wrapper not healthy after {timeout} s:\n{self.tail()}")

    async def connected(self) -> int | None:
        """The wrapper's own count of connected stations (``/metrics``)."""
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, ValueError):
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
                http.get(self.http_url + "/metrics") as resp,
            ):
                for line in (await resp.text()).splitlines():
                    if line.startswith("wiseevp_evse_connected_stations "):
                        return int(float(line.split()[1]))
        return None

    async def stop(self, timeout: float = 20.0) -> float:
        """SIGTERM (graceful: it reports every station offline, writes the profile), SIGKILL
        after ``timeout``; the seconds it took."""
        proc = self.proc
        started = time.monotonic()
        if proc is None:
            return 0.0
        if proc.poll() is None and timeout > 0:
            proc.send_signal(signal.SIGTERM)
            deadline = started + timeout
            while proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        self.killed = proc.poll() is None
        self.kill()
        return time.monotonic() - started

    def kill(self) -> None:
        """Synchronous last resort (also used when the event loop is gone)."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

    def tail(self, chars: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""
