"""Counters the real-world sources share: what came in and what was rejected.

``wiseevp_ev_wrapper_source_events_total{source, event}``, e.g. ``{source="obd",
event="malformed"}``. Sources take an optional registry; without one they count into a private
registry (tests read it, nothing exposes it).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class SourceMetrics:
    def __init__(self, source: str, registry: CollectorRegistry | None = None) -> None:
        self.source = source
        self.registry = registry if registry is not None else CollectorRegistry()
        self._events = Counter(
            "wiseevp_ev_wrapper_source_events",
            "What a source received or did, by event (reading, malformed, refused, timeout, ...)",
            ["source", "event"],
            registry=self.registry,
        )

    def count(self, event: str) -> None:
        self._events.labels(self.source, event).inc()

    def value(self, event: str) -> float:
        """Current count of ``event`` (0 if never counted)."""
        sample = self.registry.get_sample_value(
            "wiseevp_ev_wrapper_source_events_total", {"source": self.source, "event": event}
        )
        return sample or 0.0
