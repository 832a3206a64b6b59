"""Report pieces every benchmark prints the same way: aligned tables, CPU per process, and the
profile of the service under test."""

from __future__ import annotations

import pstats
from collections.abc import Callable
from pathlib import Path

from proc_stats import CORES


def table(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n{title}")
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


def cpu_rows(cpu: dict[str, float], per_unit: Callable[[float], str]) -> list[tuple[str, str]]:
    """One row per process (CPU seconds, share of a core, ``per_unit(seconds)``), then how
    busy the whole machine was."""
    wall = cpu.get("wall s", 0.0)
    rows = []
    for name, seconds in cpu.items():
        if name in ("wall s", "machine busy %"):
            continue
        share = 100 * seconds / wall if wall else 0.0
        rows.append(
            (f"CPU {name}", f"{seconds:6.2f} s  {share:5.1f} % of a core  {per_unit(seconds)}")
        )
    rows.append((f"machine busy ({CORES} cores)", f"{cpu.get('machine busy %', 0.0):.0f} %"))
    return rows


def print_profile(path: Path, process: str, limit: int = 30) -> None:
    """Hot spots of the profiled process (own time, then cumulative)."""
    stats = pstats.Stats(str(path))
    print(f"\n{process} profile ({path}), top {limit} by own time:")
    stats.sort_stats("tottime").print_stats(limit)
    print(f"{process} profile, top {limit} by cumulative time:")
    stats.sort_stats("cumulative").print_stats(limit)
