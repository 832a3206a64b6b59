"""The offline queue of transaction-related messages (OCPP 1.6 §4.7)."""

from __future__ import annotations

import pytest
from ocpp.v16 import call

from cp_simulator.transaction_queue import UNKNOWN_TRANSACTION_ID, TransactionQueue

TS = "2026-03-02T08:00:00Z"


def start(connector: int = 1) -> call.StartTransaction:
    return call.StartTransaction(connector_id=connector, id_tag="T", meter_start=0, timestamp=TS)


def meter(n: int) -> call.MeterValues:
    value = {"timestamp": TS, "sampledValue": [{"value": str(n)}]}
    return call.MeterValues(
        connector_id=1, meter_value=[value], transaction_id=UNKNOWN_TRANSACTION_ID
    )


def stop() -> call.StopTransaction:
    return call.StopTransaction(meter_stop=10, timestamp=TS, transaction_id=UNKNOWN_TRANSACTION_ID)


def test_messages_leave_in_order_with_the_real_transaction_id() -> None:
    queue = TransactionQueue()
    queue.push(1, start())
    for n in range(3):
        queue.push(1, meter(n))
    queue.push(1, stop())
    assert len(queue) == 5 and queue.meter_values == 3
    head = queue.head()
    assert head is not None and head.is_start
    assert queue.request(head) == start()
    queue.pop()
    queue.resolve(1, 4711)
    sent = []
    while (head := queue.head()) is not None:
        sent.append(queue.request(head))
        queue.pop()
    assert [m.meter_value[0]["sampledValue"][0]["value"] for m in sent[:3]] == ["0", "1", "2"]
    assert {m.transaction_id for m in sent} == {4711}
    assert isinstance(sent[-1], call.StopTransaction)


def test_meter_values_wait_for_their_transaction_id() -> None:
    queue = TransactionQueue()
    queue.push(1, meter(0))
    head = queue.head()
    assert head is not None
    with pytest.raises(LookupError):
        queue.request(head)


def test_abandoning_a_transaction_drops_only_its_messages() -> None:
    queue = TransactionQueue()
    queue.push(1, start(1))
    queue.push(2, start(2))
    queue.push(1, meter(0))
    queue.push(2, meter(1))
    queue.push(1, meter(2))
    assert queue.abandon(1) == 2
    assert [m.tx_ref for m in (queue.pop(), queue.pop())] == [2, 2]
    assert len(queue) == 0
