"""Prometheus gauges of the wrapper (``/metrics``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge

from .links import Links


class WrapperMetrics:
    def __init__(self, registry: CollectorRegistry, links: Links) -> None:
        connected = Gauge(
            "wiseevp_evse_connected_stations",
            "Charge points connected to this wrapper instance.",
            registry=registry,
        )
        connected.set_function(lambda: len(links))
