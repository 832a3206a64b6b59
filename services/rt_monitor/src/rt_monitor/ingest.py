"""IOP message handlers: validated message → rows → batch write; acked after the write."""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter

from wiseevp_common.bus import IopMessage
from wiseevp_common.clock import Clock
from wiseevp_common.messages.iop import EvCharacteristics, EvStatus
from wiseevp_common.topology import IopTopic

from .batcher import Submitter
from .rows import Row, ev_row, status_row

log = logging.getLogger("rt_monitor.ingest")


def received_counter(registry: CollectorRegistry) -> Counter:
    """Valid IOP messages received by the monitor, by topic (EV and EVSE handlers)."""
    return Counter(
        "wiseevp_rt_monitor_received",
        "Valid IOP messages received, by topic",
        ["topic"],
        registry=registry,
    )


class EvIngest:
    """Stores EV characteristics and statuses; ``public`` views are not stored (they are a
    lossy copy of the status the monitor already keeps)."""

    def __init__(self, batcher: Submitter[Row], clock: Clock, received: Counter) -> None:
        self.batcher = batcher
        self.clock = clock
        self.received = received

    async def handle(self, message: IopMessage) -> None:
        self.received.labels(message.topic.template).inc()
        payload = message.payload
        now = self.clock.now()
        if message.topic is IopTopic.EV_STATUS and isinstance(payload, EvStatus):
            await self.batcher.submit(status_row(payload, now))
        elif message.topic is IopTopic.EV_CHARACTERISTICS and isinstance(
            payload, EvCharacteristics
        ):
            await self.batcher.submit(ev_row(payload, now))
