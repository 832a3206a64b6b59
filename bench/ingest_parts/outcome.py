"""The results of one run and its summary, the JSON object printed last."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .config import Config
from .e2e import E2eResult
from .latency import LatencyResult
from .raw import RawResult

TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0


@dataclass
class Outcome:
    raw: RawResult | None = None
    e2e: E2eResult | None = None
    latency: LatencyResult | None = None
    latency_extra: list[LatencyResult] = field(default_factory=list)
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self, cfg: Config, payload_bytes: int) -> dict[str, Any]:
        raw = self.raw.rate if self.raw else None
        e2e = self.e2e.rate if self.e2e else None
        ratio = e2e / raw if raw and e2e else None
        p99 = self.latency.p99_ms if self.latency else None
        out: dict[str, Any] = {
            "e2e_msgs_per_s": None if e2e is None else round(e2e, 1),
            "raw_msgs_per_s": None if raw is None else round(raw, 1),
            "ratio": None if ratio is None else round(ratio, 3),
            "p99_ms": None if p99 is None else round(p99, 1),
            "p50_ms": round(self.latency.p50_ms, 1) if self.latency else None,
            "messages": cfg.e2e_messages,
            "raw_messages": None if cfg.skip_raw else cfg.raw_messages,
            "latency_messages": self.latency.messages if self.latency else None,
            "latency_rate": cfg.rate,
            "evs": cfg.evs,
            "payload_bytes": payload_bytes,
            "mode": cfg.mode,
            "env": cfg.env,
            "monitor_module": cfg.monitor_module,
            "nice": cfg.nice,
            "target_ratio_met": None if ratio is None else ratio >= TARGET_RATIO,
            "target_p99_met": None if p99 is None else p99 < TARGET_P99_MS,
            "ok": self.error is None,
        }
        if self.latency_extra:
            out["p99_ms_by_rate"] = {
                f"{lat.offered_rate:g}": round(lat.p99_ms, 1)
                for lat in (*([self.latency] if self.latency else []), *self.latency_extra)
            }
        out.update(self.extra)
        if self.error is not None:
            out["error"] = self.error
        return out
