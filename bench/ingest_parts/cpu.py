"""CPU accounting of the ingest benchmark: its process groups on :mod:`proc_stats`."""

from __future__ import annotations

import os

import proc_stats
from proc_stats import CORES, CpuSnapshot

__all__ = ["CORES", "CpuMeter", "CpuSnapshot"]


class CpuMeter(proc_stats.CpuMeter):
    """The bench process itself and the consumer of the phase (the RT monitor in the e2e
    phases, the raw consumer process in the raw phase), besides RabbitMQ and PostgreSQL."""

    def __init__(self) -> None:
        self.monitor_pid: int | None = None
        super().__init__(self._groups)

    def _groups(self) -> dict[str, list[int]]:
        return {
            "bench (MQTT/AMQP clients)": [os.getpid()],
            "consumer (rt_monitor | raw)": [self.monitor_pid] if self.monitor_pid else [],
        }
