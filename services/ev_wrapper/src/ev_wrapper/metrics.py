"""Prometheus metrics of the EV wrapper."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class WrapperMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.published = Counter(
            "wiseevp_ev_wrapper_published",
            "MQTT messages acknowledged by the broker",
            ["kind"],
            registry=registry,
        )
        self.dropped = Counter(
            "wiseevp_ev_wrapper_dropped",
            "Statuses dropped because an EV's offline buffer was full (oldest first)",
            registry=registry,
        )
        self.connected = Gauge(
            "wiseevp_ev_wrapper_connected", "EV MQTT connections currently up", registry=registry
        )
        self.buffered = Gauge(
            "wiseevp_ev_wrapper_buffered", "Messages waiting to be published", registry=registry
        )
