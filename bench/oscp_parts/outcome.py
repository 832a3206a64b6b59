"""The results of one run and its summary, the JSON object printed last."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ocpp_parts.stats import percentile

from .config import TARGET_S, Config
from .measure import ForecastTiming, GroupRun


def quantile(values: Iterable[float], q: float) -> float | None:
    """Nearest-rank quantile, as the other benchmarks report them."""
    return percentile(sorted(values), q)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class Outcome:
    cold: list[ForecastTiming] = field(default_factory=list)
    """The first forecast of each group after the gateway started (not measured)."""
    large: GroupRun | None = None
    small: GroupRun | None = None
    empty: list[float] = field(default_factory=list)
    """Seconds of each empty aiohttp request."""
    unexpected: int = 0
    """Messages at the tap while no forecast was awaited."""
    cp_received: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def median(self, run: GroupRun | None, attr: str = "total_s") -> float | None:
        return quantile((getattr(t, attr) for t in run.timings), 0.5) if run else None

    def publish_s(self, run: GroupRun | None) -> float | None:
        """Median first cap → last cap at the tap."""
        if run is None:
            return None
        return quantile((t.last_cap_s - t.first_cap_s for t in run.timings), 0.5)

    def fp_cpu_per_forecast(self, run: GroupRun | None) -> float | None:
        if run is None or not run.timings or "oscp_fp" not in run.cpu:
            return None
        return run.cpu["oscp_fp"] / len(run.timings)

    def summary(self, cfg: Config) -> dict[str, Any]:
        large, small = self.large, self.small
        figure = self.median(large)
        p90 = quantile((t.total_s for t in large.timings), 0.9) if large else None
        empty = quantile(self.empty, 0.5)
        cold = next((t for t in self.cold if large and t.group_id == large.group_id), None)
        out: dict[str, Any] = {
            "capacity_to_profiles_s": _round(figure),
            "empty_request_s": _round(empty, 6),
            "p90_s": _round(p90),
            "ratio": round(figure / empty, 1) if figure is not None and empty else None,
            "target_s": TARGET_S,
            "met": None if figure is None else figure < TARGET_S,
            "p90_met": None if p90 is None else p90 < TARGET_S,
            "evses": cfg.evses,
            "forecasts": len(large.timings) if large else 0,
            "min_s": _round(min((t.total_s for t in large.timings), default=None))
            if large
            else None,
            "max_s": _round(max((t.total_s for t in large.timings), default=None))
            if large
            else None,
            "answered_s": _round(self.median(large, "answered_s")),
            "group_capacity_s": _round(self.median(large, "capacity_s")),
            "first_cap_s": _round(self.median(large, "first_cap_s")),
            "publish_s": _round(self.publish_s(large)),
            "cold_s": _round(cold.total_s) if cold else None,
            "fp_cpu_s_per_forecast": _round(self.fp_cpu_per_forecast(large)),
            "small_group_evses": cfg.small_evses or None,
            "small_group_s": _round(self.median(small)),
            "small_group_fp_cpu_s_per_forecast": _round(self.fp_cpu_per_forecast(small)),
            "empty_p90_s": _round(quantile(self.empty, 0.9), 6),
            "empty_requests": len(self.empty),
            "command_queue": cfg.command_queue,
            "mode": cfg.mode,
            "env": cfg.env,
            "ok": self.error is None,
        }
        out.update(self.extra)
        if self.error is not None:
            out["error"] = self.error
        return out
