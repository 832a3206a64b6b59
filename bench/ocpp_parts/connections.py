"""Connections: stations connect to one server process and boot; its resident memory before
and after gives the bytes per connection; at the end every station sends a Heartbeat, and
those answered count as held."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from proc_stats import CpuMeter, settle

from .loadgen import LoadGenerators, Server


@dataclass
class ConnectStep:
    """One batch of stations connected and booted (and the server settled after it)."""

    requested: int
    opened: int
    booted: int
    seconds: float
    settle_seconds: float
    rss_before: int
    rss_after: int
    errors: Counter[str]
    first_error: str | None
    cpu: dict[str, float]


async def connect_step(
    gens: LoadGenerators, server: Server, meter: CpuMeter, count: int, timeout: float
) -> ConnectStep:
    await settle(server.pid)
    rss_before = server.rss()
    before = meter.snapshot()
    started = time.perf_counter()
    answers = await gens.connect(count, timeout)
    seconds = time.perf_counter() - started
    server.check_alive()
    settle_seconds = await settle(server.pid)
    errors: Counter[str] = Counter()
    for answer in answers:
        errors.update(answer["errors"])
    return ConnectStep(
        requested=count,
        opened=sum(a["opened"] for a in answers),
        booted=sum(a["booted"] for a in answers),
        seconds=seconds,
        settle_seconds=settle_seconds,
        rss_before=rss_before,
        rss_after=server.rss(),
        errors=errors,
        first_error=next((a["first_error"] for a in answers if a["first_error"]), None),
        cpu=meter.delta(before, meter.snapshot()),
    )


@dataclass
class ConnectionsResult:
    server: str
    steps: list[ConnectStep] = field(default_factory=list)
    held: int = 0
    open_at_end: int = 0
    server_calls: int = 0
    counted_by_server: int | None = None
    stop_seconds: float | None = None
    stop_killed: bool = False

    @property
    def requested(self) -> int:
        return sum(s.requested for s in self.steps)

    @property
    def opened(self) -> int:
        return sum(s.opened for s in self.steps)

    @property
    def booted(self) -> int:
        return sum(s.booted for s in self.steps)

    @property
    def connect_seconds(self) -> float:
        return sum(s.seconds for s in self.steps)

    @property
    def settle_seconds(self) -> float:
        return sum(s.settle_seconds for s in self.steps)

    @property
    def rss_growth(self) -> int:
        """What the connections added (growth in between, e.g. a throughput run, left out)."""
        return sum(s.rss_after - s.rss_before for s in self.steps)

    @property
    def rss_first(self) -> int:
        return self.steps[0].rss_before

    @property
    def rss_last(self) -> int:
        return self.steps[-1].rss_after

    @property
    def bytes_per_connection(self) -> float | None:
        return self.rss_growth / self.opened if self.opened else None

    @property
    def connect_rate(self) -> float:
        return self.booted / self.connect_seconds if self.connect_seconds else 0.0

    @property
    def errors(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for step in self.steps:
            total.update(step.errors)
        return total

    @property
    def first_error(self) -> str | None:
        return next((s.first_error for s in self.steps if s.first_error), None)

    @property
    def cpu(self) -> dict[str, float]:
        total: dict[str, float] = {}
        busy = 0.0
        for step in self.steps:
            for name, value in step.cpu.items():
                total[name] = total.get(name, 0.0) + value
            busy += step.cpu["machine busy %"] * step.cpu["wall s"]
        if total.get("wall s"):
            total["machine busy %"] = busy / total["wall s"]
        return total

    def end(self, beats: list[dict[str, Any]]) -> None:
        self.held = sum(b["answered"] for b in beats)
        self.open_at_end = sum(b["open"] for b in beats)
        self.server_calls = sum(b["server_calls"] for b in beats)
