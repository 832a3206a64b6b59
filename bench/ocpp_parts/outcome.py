"""The results of one run and its summary, the JSON object printed last."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .config import Config
from .connections import ConnectionsResult
from .throughput import ThroughputResult

TARGET_CONNECTIONS = 10_000
TARGET_RATE = 2_000.0
TARGET_P99_MS = 50.0


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


@dataclass
class Outcome:
    connections: ConnectionsResult | None = None
    raw_connections: ConnectionsResult | None = None
    throughput: ThroughputResult | None = None
    latency: ThroughputResult | None = None
    latency_extra: list[ThroughputResult] = field(default_factory=list)
    raw_throughput: ThroughputResult | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self, cfg: Config) -> dict[str, Any]:
        conn, raw_conn = self.connections, self.raw_connections
        tput, raw_tput, lat = self.throughput, self.raw_throughput, self.latency
        held = conn.held if conn else None
        per_conn = conn.bytes_per_connection if conn else None
        raw_per_conn = raw_conn.bytes_per_connection if raw_conn else None
        rate = tput.rate if tput else None
        raw_rate = raw_tput.rate if raw_tput else None
        saturated = tput.publish_ms if tput and tput.publish_ms else {}
        publish = lat.publish_ms if lat and lat.publish_ms else {}
        p99 = publish.get("p99")
        unsent = lat.unsent if lat else 0
        out: dict[str, Any] = {
            "connections_held": held,
            "bytes_per_connection": _round(per_conn, 0),
            "metervalues_per_s": _round(rate),
            "p99_ms": _round(p99),
            "raw_ws_msgs_per_s": _round(raw_rate),
            "connections": cfg.connections,
            "connections_opened": conn.opened if conn else None,
            "raw_connections_held": raw_conn.held if raw_conn else None,
            "raw_bytes_per_connection": _round(raw_per_conn, 0),
            "memory_ratio": _ratio(per_conn, raw_per_conn),
            "p50_ms": _round(publish.get("p50")),
            "callresult_p99_ms": _round(lat.answer_ms["p99"]) if lat else None,
            "latency_rate": cfg.rate,
            "latency_answered_per_s": _round(lat.rate) if lat else None,
            "latency_unsent": unsent if lat else None,
            "saturated_p99_ms": _round(saturated.get("p99")),
            "saturated_callresult_p99_ms": _round(tput.answer_ms["p99"]) if tput else None,
            "raw_ws_p99_ms": _round(raw_tput.answer_ms["p99"]) if raw_tput else None,
            "throughput_ratio": _ratio(rate, raw_rate),
            "published_seen": saturated.get("count"),
            "answered": tput.answered if tput else None,
            "stations": cfg.stations,
            "seconds": cfg.seconds,
            "latency_seconds": cfg.latency_seconds,
            "mode": cfg.mode,
            "env": cfg.env,
            "target_connections_met": (
                None
                if held is None or cfg.connections < TARGET_CONNECTIONS
                else held >= TARGET_CONNECTIONS
            ),
            "target_throughput_met": None if rate is None else rate >= TARGET_RATE,
            "target_p99_met": (
                None
                if p99 is None or cfg.rate < TARGET_RATE  # not measured at the target's load
                else p99 < TARGET_P99_MS and not unsent
            ),
            "ok": self.error is None,
        }
        if self.latency_extra:
            out["p99_ms_by_rate"] = {
                f"{r.offered_rate:g}": _round((r.publish_ms or {}).get("p99"))
                for r in (*([lat] if lat else []), *self.latency_extra)
            }
        out.update(self.extra)
        if self.error is not None:
            out["error"] = self.error
        return out
