"""What a consumer handler receives, and the exception that dead-letters a message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..topology import DeadLetterReason


@dataclass(frozen=True)
class Delivery:
    """One message taken from a queue (transport details stripped)."""

    body: bytes
    exchange: str
    routing_key: str
    headers: Mapping[str, Any]
    message_id: str | None
    correlation_id: str | None
    timestamp: datetime | None
    attempt: int
    """1 for the first delivery, counted by the broker across consumer crashes."""


class InvalidMessage(Exception):
    """Raised by a handler for a message that can never succeed; it is dead-lettered at once."""

    def __init__(self, reason: DeadLetterReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


Handler = Callable[[Delivery], Awaitable[None]]
