"""The offline queue of transaction-related messages (OCPP 1.6 §4.7): pure, no I/O.

StartTransaction, MeterValues with a transactionId and StopTransaction are queued in the order
they were produced and delivered one at a time, oldest first, whatever the state of the
connection. A transaction is known locally by a reference (``tx_ref``) until the response to
its StartTransaction gives its transactionId; the queued MeterValues/StopTransaction carry the
real id when they are sent (:meth:`TransactionQueue.request`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Any, TypeAlias

from ocpp.v16 import call

# call.StartTransaction | call.MeterValues | call.StopTransaction (the ocpp library is untyped)
TxRequest: TypeAlias = Any
UNKNOWN_TRANSACTION_ID = -1


@dataclass
class QueuedMessage:
    tx_ref: int
    request: TxRequest
    seq: int = 0  # production order among everything the station sends
    attempts: int = 0

    @property
    def is_start(self) -> bool:
        return isinstance(self.request, call.StartTransaction)

    @property
    def is_meter_values(self) -> bool:
        return isinstance(self.request, call.MeterValues)


class TransactionQueue:
    """FIFO of transaction messages plus the ``tx_ref`` → transactionId map."""

    def __init__(self) -> None:
        self._items: deque[QueuedMessage] = deque()
        self._ids: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._items)

    @property
    def meter_values(self) -> int:
        """MeterValues messages waiting (including the one being delivered)."""
        return sum(1 for m in self._items if m.is_meter_values)

    def push(self, tx_ref: int, request: TxRequest, seq: int = 0) -> None:
        self._items.append(QueuedMessage(tx_ref, request, seq))

    def head(self) -> QueuedMessage | None:
        return self._items[0] if self._items else None

    def pop(self) -> QueuedMessage:
        return self._items.popleft()

    def resolve(self, tx_ref: int, transaction_id: int) -> None:
        """The StartTransaction of ``tx_ref`` was answered with ``transaction_id``."""
        self._ids[tx_ref] = transaction_id

    def transaction_id(self, tx_ref: int) -> int | None:
        return self._ids.get(tx_ref)

    def forget(self, tx_ref: int) -> None:
        """The transaction is over and its StopTransaction delivered."""
        self._ids.pop(tx_ref, None)

    def request(self, message: QueuedMessage) -> TxRequest:
        """The request to send for ``message``, with the transaction's real id filled in.

        Raises ``LookupError`` when a MeterValues/StopTransaction comes before its
        transaction's id is known (cannot happen in FIFO order unless the start was dropped).
        """
        if message.is_start:
            return message.request
        transaction_id = self._ids.get(message.tx_ref)
        if transaction_id is None:
            raise LookupError(f"transaction {message.tx_ref} has no transactionId yet")
        return replace(message.request, transaction_id=transaction_id)

    def abandon(self, tx_ref: int) -> int:
        """Drop every queued message of ``tx_ref`` (its StartTransaction failed for good);
        return how many MeterValues were dropped."""
        dropped = [m for m in self._items if m.tx_ref == tx_ref]
        self._items = deque(m for m in self._items if m.tx_ref != tx_ref)
        return sum(1 for m in dropped if m.is_meter_values)
