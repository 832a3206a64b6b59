"""The printed report: tables of the figures, the target, then the summary as a JSON line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench_report import cpu_rows, table
from bench_report import print_profile as shared_print_profile
from wiseevp_common.ocpp_topology import EVSE_WRAPPER_COMMANDS

from .config import TARGET_S, Config
from .measure import GroupRun
from .outcome import Outcome, quantile
from .space import DATABASE, VHOST


def _cpu_rows(cpu: dict[str, float], forecasts: int) -> list[tuple[str, str]]:
    return cpu_rows(cpu, lambda s: f"{1000 * s / forecasts if forecasts else 0.0:7.1f} ms/forecast")


def print_profile(path: Path, limit: int = 35) -> None:
    shared_print_profile(path, "oscp_fp", limit)


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds * 1000:8.3f} ms" if seconds < 0.01 else f"{seconds * 1000:8.1f} ms"


def _spread(values: list[float]) -> str:
    """median, p90, min - max of seconds, in ms."""
    if not values:
        return "n/a"
    p50, p90 = quantile(values, 0.5), quantile(values, 0.9)
    low, high = min(values) * 1000, max(values) * 1000
    return f"{_ms(p50)}   p90 {_ms(p90)}   min-max {low:.1f}-{high:.1f} ms"


def _group_rows(run: GroupRun) -> list[tuple[str, str]]:
    t = run.timings
    publish = [x.last_cap_s - x.first_cap_s for x in t]
    per_cap = quantile(publish, 0.5)
    rows = [
        ("FORECAST → ALL CAPS + GroupCapacity", _spread([x.total_s for x in t])),
        ("  forecast → 204 at the CP", _spread([x.answered_s for x in t])),
        ("  forecast → GroupCapacity at the tap", _spread([x.capacity_s for x in t])),
        ("  forecast → first cap at the tap", _spread([x.first_cap_s for x in t])),
        ("  first → last cap (publishing)", _spread(publish)),
    ]
    if per_cap is not None and run.evses > 1:
        rows.append(("  per cap (first → last / EVSEs)", f"{per_cap / run.evses * 1e6:8.0f} µs"))
    changed = [x.changed for x in t]
    rows += [
        (
            "caps changed from the forecast before",
            f"{min(changed):,}-{max(changed):,} of {run.evses:,}",
        ),
        (
            "caps in force now / group capacity",
            f"{t[-1].cap_sum:,.1f} / {t[-1].capacity:,.1f} A (last)",
        ),
        ("GroupCapacity mode", ", ".join(sorted({x.mode for x in t}))),
        ("messages after completion", f"{sum(x.late for x in t)}"),
    ]
    return rows


def report(cfg: Config, outcome: Outcome) -> None:
    summary: dict[str, Any] = outcome.summary(cfg)
    print(f"\nOSCP gateway (python -m oscp_fp), {cfg.mode} run: vhost {VHOST}, database {DATABASE}")
    print(
        f"caps stored in {EVSE_WRAPPER_COMMANDS.name} (durable quorum queue, as in production)"
        if cfg.command_queue
        else "caps reach only the tap (--no-command-queue: no durable queue, no disk write)"
    )
    large, small = outcome.large, outcome.small
    if large is not None and large.timings:
        table(
            f"group {large.group_id}: {large.evses:,} EVSEs, {len(large.timings)} forecasts "
            "(median, p90, min-max)",
            _group_rows(large),
        )
        if large.cpu:
            table("CPU during those forecasts", _cpu_rows(large.cpu, len(large.timings)))
    if small is not None and small.timings:
        rows = _group_rows(small)[:5]
        if small.cpu:
            rows += _cpu_rows(small.cpu, len(small.timings))[:1]
        table(f"group {small.group_id}: {small.evses:,} EVSEs (fixed costs)", rows)
    if outcome.cold:
        table(
            "first forecast of each group after start-up (not measured)",
            [(t.group_id, _ms(t.total_s)) for t in outcome.cold],
        )
    figure, empty = summary["capacity_to_profiles_s"], summary["empty_request_s"]
    met = summary["met"]
    rows = [
        ("capacity_to_profiles_s (median)", _ms(figure)),
        ("empty_request_s (median)", f"{_ms(empty)}   ({len(outcome.empty)} requests)"),
        ("ratio", "n/a" if summary["ratio"] is None else f"{summary['ratio']:,.0f} x"),
        (
            f"TARGET < {TARGET_S:g} s for {cfg.evses:,} EVSEs",
            "n/a"
            if met is None
            else ("met" if met else "MISSED")
            + (
                ""
                if summary["p90_met"] is None
                else f" (p90: {'met' if summary['p90_met'] else 'MISSED'})"
            ),
        ),
        ("tap: messages while no forecast was awaited", str(outcome.unexpected)),
        (
            "CP received from the gateway",
            ", ".join(f"{k} {v}" for k, v in sorted(outcome.cp_received.items())) or "nothing",
        ),
    ]
    table("figures", rows)
    print(json.dumps(summary, separators=(", ", ": "), ensure_ascii=False))
