"""The printed report: tables of the figures, the targets, then the summary as a JSON line."""

from __future__ import annotations

import json
from pathlib import Path

from bench_report import cpu_rows, table
from bench_report import print_profile as shared_print_profile

from .config import Config
from .latency import LatencyResult
from .outcome import TARGET_P99_MS, Outcome
from .space import DATABASE, VHOST


def _cpu_rows(cpu: dict[str, float], messages: int) -> list[tuple[str, str]]:
    return cpu_rows(cpu, lambda s: f"{1e6 * s / messages:6.0f} µs/msg")


def print_profile(path: Path, limit: int = 30) -> None:
    shared_print_profile(path, "rt_monitor", limit)


def fmt(value: float | None, unit: str = "", digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{unit}"


def _latency_table(lat: LatencyResult) -> None:
    table(
        f"latency: paced at {lat.offered_rate:,.0f} msg/s (stored_at - payload timestamp)",
        [
            ("messages", f"{lat.messages:,}"),
            (
                "achieved send rate",
                f"{lat.achieved_rate:,.0f} msg/s (p99 send lag {lat.send_lag_p99_ms:.1f} ms)",
            ),
            ("last row stored after last send", f"{lat.drain_ms:,.0f} ms"),
            ("p50 / p90", f"{lat.p50_ms:.1f} ms / {lat.p90_ms:.1f} ms"),
            ("P99", f"{lat.p99_ms:.1f} ms"),
            ("p99.9 / max", f"{lat.p999_ms:.1f} ms / {lat.max_ms:.1f} ms"),
            (
                "publish → handler (received_at - ts) p50/p99",
                f"{lat.to_monitor_p50_ms:.1f} / {lat.to_monitor_p99_ms:.1f} ms",
            ),
            (
                "handler → row (stored_at - received_at) p50/p99",
                f"{lat.in_monitor_p50_ms:.1f} / {lat.in_monitor_p99_ms:.1f} ms",
            ),
            ("batches", f"{lat.batches:,}, avg {lat.batch_avg:.1f} rows"),
            *_cpu_rows(lat.cpu, lat.messages),
        ],
    )


def report(cfg: Config, outcome: Outcome, payload_bytes: int) -> None:
    settings = ", ".join(f"{k}={v}" for k, v in cfg.env.items()) or "service defaults"
    table(
        f"wiseevp ingestion benchmark ({cfg.mode})",
        [
            ("rt_monitor", f"python -m {cfg.monitor_module}; settings: {settings}"),
            ("EVs (MQTT clients)", f"{cfg.evs}, {cfg.mqtt_window} QoS 1 publishes in flight each"),
            ("payload", f"{payload_bytes} bytes (EvStatus JSON, all fields)"),
            ("bench process niceness (e2e, latency)", str(cfg.nice)),
            ("where", f"vhost {VHOST}, database {DATABASE}"),
        ],
    )
    if outcome.raw is not None:
        r = outcome.raw
        table(
            f"raw: aio-pika → {cfg.raw_queue_type} queue → aio-pika (persistent)",
            [
                ("messages", f"{r.messages:,}"),
                ("publisher", f"confirms, {cfg.raw_window} unconfirmed in flight (pipelined)"),
                ("consumer", f"manual ack per message, prefetch {cfg.raw_prefetch}"),
                (
                    "publish rate (first publish → last confirm)",
                    f"{r.messages / r.publish_seconds:,.0f} msg/s",
                ),
                ("THROUGHPUT (first publish → last ack)", f"{r.rate:,.0f} msg/s"),
                *_cpu_rows(r.cpu, r.messages),
            ],
        )
    if outcome.e2e is not None:
        e = outcome.e2e
        table(
            "e2e: MQTT QoS 1 → RabbitMQ → rt_monitor → PostgreSQL",
            [
                ("messages", f"{e.messages:,}"),
                ("MQTT publish rate (first publish → last PUBACK)", f"{e.publish_rate:,.0f} msg/s"),
                ("last row stored after last PUBACK", f"{1000 * e.drain_after_publish_s:,.0f} ms"),
                ("THROUGHPUT (first publish → last row stored)", f"{e.rate:,.0f} msg/s"),
                (
                    "batches (transactions)",
                    f"{e.batches:,}, avg {e.batch_avg:,.0f} rows, max {e.batch_max:,}",
                ),
                ("avg stored_at - received_at", fmt(e.store_wait_avg_ms, " ms", 1)),
                ("avg handler time (delivery → ack)", fmt(e.handle_avg_ms, " ms", 1)),
                *_cpu_rows(e.cpu, e.messages),
            ],
        )
    for lat in (*([outcome.latency] if outcome.latency else []), *outcome.latency_extra):
        _latency_table(lat)
    summary = outcome.summary(cfg, payload_bytes)
    verdict: list[tuple[str, str]] = []
    if summary["ratio"] is not None:
        met = "met" if summary["target_ratio_met"] else "MISSED"
        verdict.append(("e2e / raw ≥ 50 %", f"{100 * summary['ratio']:.1f} % — {met}"))
    if summary["p99_ms"] is not None:
        met = "met" if summary["target_p99_met"] else "MISSED"
        verdict.append(
            (
                f"p99 < {TARGET_P99_MS:.0f} ms at {cfg.rate:,.0f} msg/s",
                f"{summary['p99_ms']} ms — {met}",
            )
        )
    if outcome.error is not None:
        verdict.append(("RUN FAILED", outcome.error.splitlines()[0]))
    if verdict:
        table("targets", verdict)
    print(json.dumps(summary), flush=True)
