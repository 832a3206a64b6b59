"""Read-only ``/proc`` accounting shared by the benchmarks: resident memory of a process,
CPU seconds per process group during a phase (who saturates the 2 cores)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


def rss_bytes(pid: int) -> int:
    """``VmRSS`` of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise ValueError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def pids_named(*names: str) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in names:
                    found.append(int(entry.name))
    return found


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


@dataclass
class CpuSnapshot:
    at: float
    groups: dict[str, dict[int, float]]
    machine: tuple[int, int]


Groups = Callable[[], dict[str, list[int]]]
"""The process groups of a phase, by name: their pids right now."""


class CpuMeter:
    """CPU seconds per process group between two snapshots: the given groups, RabbitMQ,
    PostgreSQL, and the rest of the machine."""

    def __init__(self, groups: Groups) -> None:
        self.groups = groups

    def snapshot(self) -> CpuSnapshot:
        values: dict[str, dict[int, float]] = {}
        groups = self.groups()
        groups["rabbitmq (whole broker)"] = pids_named("beam.smp")
        groups["postgres (all backends)"] = pids_named("postgres")
        for name, pids in groups.items():
            values[name] = {}
            for pid in pids:
                cpu = cpu_seconds(pid)
                if cpu is not None:
                    values[name][pid] = cpu
        return CpuSnapshot(time.monotonic(), values, _machine_jiffies())

    @staticmethod
    def delta(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, pids in after.groups.items():
            prev = before.groups.get(name, {})
            out[name] = sum(max(0.0, cpu - prev.get(pid, 0.0)) for pid, cpu in pids.items())
        busy = after.machine[0] - before.machine[0]
        total = after.machine[1] - before.machine[1]
        wall = after.at - before.at
        busy_share = busy / total if total else 0.0
        ours = sum(out.values())
        out["everything else (other tests, ...)"] = max(0.0, busy_share * CORES * wall - ours)
        out["machine busy %"] = 100.0 * busy_share
        out["wall s"] = wall
        return out


async def settle(
    pid: int, *, idle_share: float = 0.1, window: float = 0.3, timeout: float = 15.0
) -> float:
    """Wait until the process uses less than ``idle_share`` of a core over ``window`` s (its
    backlog of work is done); the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = cpu_seconds(pid)
        await asyncio.sleep(window)
        after = cpu_seconds(pid)
        if before is None or after is None or after - before < window * idle_share:
            break
    return time.monotonic() - started
