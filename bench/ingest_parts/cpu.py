"""CPU accounting from ``/proc`` (read only): CPU seconds per process group in a phase."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


def _proc_cpu(pid: int) -> float | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _pids_named(*names: str) -> list[int]:
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


class CpuMeter:
    """CPU seconds per process group between two snapshots (who saturates the 2 cores)."""

    def __init__(self) -> None:
        self.monitor_pid: int | None = None

    def snapshot(self) -> CpuSnapshot:
        groups: dict[str, list[int]] = {
            "bench (MQTT/AMQP clients)": [os.getpid()],
            # the RT monitor in the e2e phases, the raw consumer process in the raw phase
            "consumer (rt_monitor | raw)": [self.monitor_pid] if self.monitor_pid else [],
            "rabbitmq (whole broker)": _pids_named("beam.smp"),
            "postgres (all backends)": _pids_named("postgres"),
        }
        values: dict[str, dict[int, float]] = {}
        for name, pids in groups.items():
            values[name] = {}
            for pid in pids:
                cpu = _proc_cpu(pid)
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
