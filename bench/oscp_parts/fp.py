"""The system under test: ``python -m oscp_fp`` on the bench vhost and database, a fixed HTTP
port (its public URL), the bench's groups file, the snapshot stub as its RT monitor.

Started with the CLI's :class:`~wiseevp_cli.processes.Proc` (SIGTERM, SIGKILL after a grace);
only the bench's ``WISEEVP_*`` settings reach it, none of the caller's environment."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from ocpp_parts.errors import BenchError
from wiseevp_cli.processes import Proc

from .space import ADMIN_TOKEN, AMQP_URL, HOST, OUT_DIR, POSTGRES_URL

NAME = "oscp_fp"


class FpProcess(Proc):
    def __init__(
        self, groups_file: Path, snapshots_url: str, extra_env: dict[str, str], *, profile: bool
    ) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.profile_path: Path | None = OUT_DIR / f"{NAME}-{stamp}.prof" if profile else None
        module, args = NAME, []
        if self.profile_path is not None:
            module, args = "cProfile", ["-o", str(self.profile_path), "-m", NAME]
        env = {
            "WISEEVP_AMQP_URL": AMQP_URL,
            "WISEEVP_POSTGRES_URL": POSTGRES_URL,
            "WISEEVP_HTTP_HOST": HOST,
            "WISEEVP_INSTANCE_ID": "bench",
            "WISEEVP_ADMIN_TOKEN": ADMIN_TOKEN,
            "WISEEVP_OSCP_GROUPS_FILE": str(groups_file),
            "WISEEVP_RT_MONITOR_URL": snapshots_url,
            **extra_env,
        }
        OUT_DIR.mkdir(exist_ok=True)
        super().__init__(f"{NAME}-{stamp}", module, env, OUT_DIR, args)
        # Proc starts from os.environ: keep only the bench's own WISEEVP_* settings
        self.env = {
            k: v
            for k, v in self.env.items()
            if not k.startswith("WISEEVP_") or k in env or k == "WISEEVP_HTTP_PORT"
        }

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    async def started(self, timeout: float) -> None:
        self.start()
        try:
            await self.wait_healthy(timeout)
        except RuntimeError as exc:
            raise BenchError(f"{exc}:\n{self.tail()}") from None

    async def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, SIGKILL after ``timeout``; its log is removed if it wrote nothing."""
        await super().stop(timeout)
        with contextlib.suppress(OSError):
            if self.log_path.stat().st_size == 0:
                self.log_path.unlink()

    def check_alive(self) -> None:
        if self.popen is not None and not self.alive:
            raise BenchError(
                f"oscp_fp exited with {self.popen.returncode}; log {self.log_path}:\n" + self.tail()
            )

    def tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""
