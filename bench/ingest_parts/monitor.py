"""The ``rt_monitor`` process under test: started, health-checked, read, stopped."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time

import aiohttp

from wiseevp_cli.processes import free_port

from .errors import BenchError
from .space import AMQP_URL, OUT_DIR, POSTGRES_URL, ROOT


class MonitorProcess:
    """``python -m rt_monitor`` on the bench vhost/database; logs under ``.bench/``."""

    def __init__(self, extra_env: dict[str, str], *, module: str, profile: bool) -> None:
        self.module = module
        self.port = free_port()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.log_path = OUT_DIR / f"rt_monitor-{stamp}.log"
        self.profile_path = OUT_DIR / f"rt_monitor-{stamp}.prof" if profile else None
        env = {k: v for k, v in os.environ.items() if not k.startswith("WISEEVP_")}
        env.update(
            {
                "WISEEVP_AMQP_URL": AMQP_URL,
                "WISEEVP_POSTGRES_URL": POSTGRES_URL,
                "WISEEVP_HTTP_HOST": "127.0.0.1",
                "WISEEVP_HTTP_PORT": str(self.port),
                "WISEEVP_LOG_LEVEL": "INFO",
                "WISEEVP_INSTANCE_ID": "bench",
            }
        )
        env.update(extra_env)
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self) -> None:
        OUT_DIR.mkdir(exist_ok=True)
        cmd = [sys.executable]
        if self.profile_path is not None:
            cmd += ["-m", "cProfile", "-o", str(self.profile_path)]
        cmd += ["-m", self.module]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log, cwd=ROOT)

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise BenchError(
                f"rt_monitor exited with {self.proc.returncode}; log {self.log_path}:\n"
                + self.tail()
            )

    async def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
            while time.monotonic() < deadline:
                self.check_alive()
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(self.url + "/healthz") as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise BenchError(f"rt_monitor not healthy after {timeout} s:\n{self.tail()}")

    async def metrics(self) -> dict[str, float]:
        """Sums of the Prometheus samples we read (handler time, outcomes)."""
        out: dict[str, float] = {}
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
            http.get(self.url + "/metrics") as resp,
        ):
            text = await resp.text()
        for line in text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            name_labels, _, value = line.rpartition(" ")
            name = name_labels.split("{", 1)[0]
            if name.startswith(("wiseevp_message_handle_seconds", "wiseevp_messages_consumed")):
                key = name
                if 'outcome="' in name_labels:
                    key += ":" + name_labels.split('outcome="', 1)[1].split('"', 1)[0]
                with contextlib.suppress(ValueError):
                    out[key] = out.get(key, 0.0) + float(value)
        return out

    async def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (graceful: flushes, writes the profile), SIGKILL after ``timeout``."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        self.kill()
        return proc.returncode

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
