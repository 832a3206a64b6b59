"""IOP EVSE handler: validated OCPP 1.6 request → rows → batch write; acked after the write."""

from __future__ import annotations

from prometheus_client import Counter

from wiseevp_common.bus import InvalidMessage, IopMessage
from wiseevp_common.clock import Clock
from wiseevp_common.messages.ocpp16 import (
    BootNotificationRequest,
    MeterValuesRequest,
    StartTransactionRequest,
    StatusNotificationRequest,
    StopTransactionRequest,
)
from wiseevp_common.topology import DeadLetterReason, IopTopic

from .batcher import Submitter
from .evse_rows import (
    EvseRow,
    UnstorableMessage,
    boot_row,
    connector_status_row,
    meter_values_row,
    start_row,
    stop_row,
)

EVSE_ID_PARAMETER = IopTopic.EVSE_STATUS.parameters[0]


class EvseIngest:
    """Stores what charge points say on the five IOP EVSE topics."""

    def __init__(self, batcher: Submitter[EvseRow], clock: Clock, received: Counter) -> None:
        self.batcher = batcher
        self.clock = clock
        self.received = received
        """Valid IOP messages by topic (see :func:`.ingest.received_counter`)."""

    async def handle(self, message: IopMessage) -> None:
        self.received.labels(message.topic.template).inc()
        evse_id = message.params[EVSE_ID_PARAMETER]
        try:
            row = self.to_row(message, evse_id)
        except UnstorableMessage as exc:
            raise InvalidMessage(DeadLetterReason.INVALID_PAYLOAD, str(exc)) from None
        await self.batcher.submit(row)

    def to_row(self, message: IopMessage, evse_id: str) -> EvseRow:
        payload, topic, now = message.payload, message.topic, self.clock.now()
        if topic is IopTopic.EVSE_METERVALUES and isinstance(payload, MeterValuesRequest):
            return meter_values_row(evse_id, payload, now)
        if topic is IopTopic.EVSE_STATUS and isinstance(payload, StatusNotificationRequest):
            return connector_status_row(evse_id, payload, now)
        if topic is IopTopic.EVSE_BOOTNOTIFICATION and isinstance(payload, BootNotificationRequest):
            return boot_row(evse_id, payload, now)
        if topic is IopTopic.EVSE_STARTTRANSACTION and isinstance(payload, StartTransactionRequest):
            return start_row(evse_id, payload, now)
        if topic is IopTopic.EVSE_STOPTRANSACTION and isinstance(payload, StopTransactionRequest):
            return stop_row(evse_id, payload, now)
        raise InvalidMessage(
            DeadLetterReason.UNKNOWN_TOPIC, f"the RT monitor does not store {topic.template}"
        )
