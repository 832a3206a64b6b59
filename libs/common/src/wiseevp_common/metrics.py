"""Prometheus metrics of a service, in a registry of its own (no global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class BusMetrics:
    """Counters every service shares: what its consumers did with each message."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.consumed = Counter(
            "wiseevp_messages_consumed",
            "Messages taken from a queue, by outcome (ack, retry, dead_letter)",
            ["queue", "outcome"],
            registry=registry,
        )
        self.published = Counter(
            "wiseevp_messages_published",
            "Messages published, by exchange",
            ["exchange"],
            registry=registry,
        )
        self.handle_seconds = Histogram(
            "wiseevp_message_handle_seconds",
            "Time from delivery to acknowledgement",
            ["queue"],
            registry=registry,
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
