"""The printed report: tables of the figures, the targets, then the summary as a JSON line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench_report import cpu_rows, table
from bench_report import print_profile as shared_print_profile

from .config import Config
from .connections import ConnectionsResult
from .outcome import TARGET_CONNECTIONS, TARGET_P99_MS, TARGET_RATE, Outcome
from .space import DATABASE, VHOST
from .throughput import ThroughputResult

MB = 1024 * 1024


def _cpu_rows(cpu: dict[str, float], count: int, unit: str) -> list[tuple[str, str]]:
    return cpu_rows(cpu, lambda s: f"{1e6 * s / count if count else 0.0:6.0f} µs/{unit}")


def print_profile(path: Path, limit: int = 30) -> None:
    shared_print_profile(path, "evse_wrapper", limit)


def _ms(values: dict[str, Any], *keys: str) -> str:
    return " / ".join("n/a" if values.get(k) is None else f"{values[k]:.1f}" for k in keys) + " ms"


def _connections_table(c: ConnectionsResult) -> None:
    errors = ", ".join(f"{k} {v}" for k, v in c.errors.items()) or "none"
    per = c.bytes_per_connection
    steps = " + ".join(f"{s.rss_after - s.rss_before:,}" for s in c.steps)
    rows = [
        ("stations opened / booted", f"{c.opened:,} / {c.booted:,} of {c.requested:,}"),
        ("failures", errors + (f" (first: {c.first_error})" if c.first_error else "")),
        ("connect + boot", f"{c.connect_seconds:.1f} s ({c.connect_rate:,.0f} stations/s)"),
        ("busy after the last boot", f"{c.settle_seconds:.1f} s"),
        ("RSS first / last", f"{c.rss_first / MB:,.1f} / {c.rss_last / MB:,.1f} MB"),
        ("RSS growth while connecting", f"{steps} B"),
        ("BYTES PER CONNECTION", "n/a" if per is None else f"{per:,.0f} B ({per / 1024:.1f} kB)"),
        ("HELD (open, answered a Heartbeat at the end)", f"{c.held:,} (open: {c.open_at_end:,})"),
    ]
    if c.counted_by_server is not None:
        rows.append(("connected stations (its /metrics)", f"{c.counted_by_server:,}"))
        rows.append(("CALLs from the wrapper answered", f"{c.server_calls:,} (GetConfiguration)"))
    if c.stop_seconds is not None:
        how = ", not done: killed (--stop-timeout)" if c.stop_killed else ""
        if c.stop_killed and c.stop_seconds < 0.5:
            how = " (not measured: killed at once, --stop-timeout 0)"
        rows.append(("stop (SIGTERM → exit, stations connected)", f"{c.stop_seconds:.1f} s{how}"))
    rows += _cpu_rows(c.cpu, c.booted, "station")
    table(f"connections: {c.server} (connect + boot, until settled)", rows)


def _throughput_table(t: ThroughputResult) -> None:
    paced = t.offered_rate is not None
    rows = [
        ("stations, measured", f"{t.stations:,}, {t.seconds:g} s"),
        (
            "answered in the window" if paced else "THROUGHPUT (answered CALLs)",
            f"{t.rate:,.0f} msg/s ({t.completed if paced else t.answered:,})",
        ),
        ("CALL → answer p50 / p90 / p99", _ms(t.answer_ms, "p50", "p90", "p99")),
        ("CALL → answer p99.9 / max", _ms(t.answer_ms, "p999", "max")),
    ]
    if t.send_lag_p99_ms is not None and paced:
        rows.append(
            ("send lag p99 (waiting for the previous answer)", f"{t.send_lag_p99_ms:.1f} ms")
        )
    if t.publish_ms is not None:
        p = t.publish_ms
        rows += [
            ("CALL → publish (at the tap) p50 / p90", _ms(p, "p50", "p90")),
            ("CALL → publish P99" if paced else "CALL → publish p99", _ms(p, "p99")),
            ("CALL → publish p99.9 / max", _ms(p, "p999", "max")),
            ("published / answered (measured CALLs)", f"{p['count']:,} / {t.answered:,}"),
        ]
    if paced:
        behind = f"{t.unsent:,} CALLs due in the window never sent" if t.unsent else "none"
        rows.append(("backlog at the end (+1 s)", behind))
    if t.refused or t.closed or t.stuck:
        rows.append(("refused / closed / stuck", f"{t.refused} / {t.closed} / {t.stuck}"))
    rows += _cpu_rows(t.cpu, t.completed if paced else t.answered, "msg")
    how = f"paced at {t.offered_rate:,.0f} msg/s" if paced else "back to back"
    title = "latency" if paced else "throughput"
    table(f"{title}: {t.server} (MeterValues {how}, one CALL at a time per station)", rows)


def _targets(cfg: Config, s: dict[str, Any], outcome: Outcome) -> list[tuple[str, str]]:
    def verdict(met: bool | None) -> str:
        return "not measured" if met is None else ("met" if met else "MISSED")

    rows: list[tuple[str, str]] = []
    if s["connections_held"] is not None:
        met = s["target_connections_met"]
        why = f"not tested (opened {cfg.connections:,})" if met is None else verdict(met)
        rows.append(
            (f"connections held ≥ {TARGET_CONNECTIONS:,}", f"{s['connections_held']:,} — {why}")
        )
    if s["metervalues_per_s"] is not None:
        rows.append(
            (
                f"MeterValues ≥ {TARGET_RATE:,.0f} msg/s at {cfg.stations:,} stations",
                f"{s['metervalues_per_s']:,.0f} — {verdict(s['target_throughput_met'])}",
            )
        )
    if s["p99_ms"] is not None:
        unsent = s["latency_unsent"]
        bound = f" (at least: {unsent:,} CALLs fell behind, never sent)" if unsent else ""
        rows.append(
            (
                f"CALL → publish p99 < {TARGET_P99_MS:.0f} ms at {cfg.rate:,.0f} msg/s",
                f"{s['p99_ms']} ms{bound} — "
                + (
                    f"not tested (the target is at {TARGET_RATE:,.0f} msg/s)"
                    if cfg.rate < TARGET_RATE
                    else verdict(s["target_p99_met"])
                ),
            )
        )
    if s.get("p99_ms_by_rate"):
        text = ", ".join(f"{float(k):,.0f}/s: {v} ms" for k, v in s["p99_ms_by_rate"].items())
        rows.append(("CALL → publish p99 by offered rate", text))
    if s["memory_ratio"] is not None:
        rows.append(("memory per connection, wrapper / echo", f"{s['memory_ratio']:.2f} x"))
    if s["throughput_ratio"] is not None:
        rows.append(("throughput, wrapper / echo", f"{100 * s['throughput_ratio']:.1f} %"))
    if outcome.error is not None:
        rows.append(("RUN FAILED", outcome.error.splitlines()[0]))
    return rows


def report(cfg: Config, outcome: Outcome) -> None:
    settings = ", ".join(f"{k}={v}" for k, v in cfg.env.items()) or "service defaults"
    table(
        f"wiseevp OCPP benchmark ({cfg.mode})",
        [
            ("wrapper", f"python -m evse_wrapper; settings: {settings}"),
            (
                "load generators",
                f"{cfg.procs} processes, websockets clients (compression=None), "
                f"{cfg.concurrency} handshakes at once each",
            ),
            ("where", f"vhost {VHOST}, database {DATABASE}"),
        ],
    )
    for conn in (outcome.connections, outcome.raw_connections):
        if conn is not None:
            _connections_table(conn)
    for tput in (
        outcome.throughput,
        outcome.latency,
        *outcome.latency_extra,
        outcome.raw_throughput,
    ):
        if tput is not None:
            _throughput_table(tput)
    summary = outcome.summary(cfg)
    rows = _targets(cfg, summary, outcome)
    if rows:
        table("targets", rows)
    print(json.dumps(summary), flush=True)
