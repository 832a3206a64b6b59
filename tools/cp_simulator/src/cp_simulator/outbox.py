"""What the station sends on its own, in the order it was produced: control messages and the
transaction queue.

Control messages (StatusNotification, triggered messages) are only queued while the station is
online and accepted; after a reconnect the station re-sends every connector's status instead.
Transaction messages are queued whatever the connection state and delivered in order, one at a
time (OCPP 1.6 §4.7): a CALLERROR is retried ``TransactionMessageAttempts`` times, every
``TransactionMessageRetryInterval`` x attempt seconds, then dropped (and counted); a lost
connection or an unanswered CALL leaves the message at the head of the queue for the next
connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from ocpp.exceptions import OCPPError

from wiseevp_common.clock import Clock

from .stats import StationStats
from .transaction_queue import QueuedMessage, TransactionQueue, TxRequest

log = logging.getLogger(__name__)

Send = Callable[[Any], Awaitable[Any]]


class Outbox:
    def __init__(self, clock: Clock, stats: StationStats) -> None:
        self.clock, self.stats = clock, stats
        self.transactions = TransactionQueue()
        self._control: deque[tuple[int, Any]] = deque()
        self._seq = itertools.count()
        self._pending = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()

    # -- producing ------------------------------------------------------------------------------

    def push_control(self, request: Any) -> None:
        self._control.append((next(self._seq), request))
        self._drained.clear()
        self._pending.set()

    def clear_control(self) -> None:
        self._control.clear()
        if not len(self.transactions):
            self._drained.set()

    def push_transaction(self, tx_ref: int, request: TxRequest) -> None:
        self.transactions.push(tx_ref, request, next(self._seq))
        self._drained.clear()
        self._pending.set()

    async def drained(self) -> None:
        """Return once nothing is waiting to be sent (transaction and control messages)."""
        await self._drained.wait()

    # -- delivering (one task per connection, once accepted) -----------------------------------

    async def run(
        self,
        send: Send,
        *,
        on_control_result: Callable[[Any, Any], None],
        on_started: Callable[[int, Any], None],
        attempts: Callable[[], int],
        retry_interval_s: Callable[[], float],
    ) -> None:
        """Send the oldest message, control or transaction, one at a time, forever."""
        while True:
            tx_head = self.transactions.head()
            if not self._control and tx_head is None:
                self._drained.set()
                self._pending.clear()
                await self._pending.wait()
                continue
            if self._control and (tx_head is None or self._control[0][0] < tx_head.seq):
                _, request = self._control.popleft()
                with contextlib.suppress(OCPPError):  # counted by ``send``; not retried
                    on_control_result(request, await send(request))
                continue
            assert tx_head is not None
            if not await self._deliver(tx_head, send, on_started, attempts()):
                await self.clock.sleep(retry_interval_s() * tx_head.attempts)

    async def _deliver(
        self,
        message: QueuedMessage,
        send: Send,
        on_started: Callable[[int, Any], None],
        attempts: int,
    ) -> bool:
        """Deliver the queue's head; ``False``: CALLERROR, retry later."""
        queue = self.transactions
        try:
            request = queue.request(message)
        except LookupError:  # its StartTransaction was dropped
            self.stats.meter_values_dropped += queue.abandon(message.tx_ref)
            return True
        try:
            result = await send(request)
        except OCPPError as exc:
            message.attempts += 1
            if message.attempts < attempts:
                return False
            name = type(request).__name__
            log.warning("dropping %s after %d CALLERRORs: %s", name, message.attempts, exc)
            queue.pop()
            if message.is_start:
                self.stats.meter_values_dropped += queue.abandon(message.tx_ref)
            elif message.is_meter_values:
                self.stats.meter_values_dropped += 1
            return True
        queue.pop()
        if message.is_meter_values:
            self.stats.meter_values_delivered += 1
        elif message.is_start:
            queue.resolve(message.tx_ref, result.transaction_id)
            on_started(message.tx_ref, result)
        else:
            queue.forget(message.tx_ref)
        return True
