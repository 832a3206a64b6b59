"""Matching transactions to the ids the central system gave them (``plan_links``)."""

from __future__ import annotations

from rt_monitor.evse_rows import OpenTx, PendingStop, TxHint, TxKey, plan_links
from tests.unit.rt_monitor.evse_times import ts

A1 = TxKey("A", ts(0), 1, "TAG1")
A2 = TxKey("A", ts(5), 2, "TAG2")


def test_a_meter_value_links_the_latest_open_start_of_its_connector() -> None:
    plan = plan_links(
        [OpenTx(A1, None), OpenTx(A2, None)],
        [(TxHint("A", 1, 101, ts(10)), A1), (TxHint("A", 2, 102, ts(10)), A2)],
        [],
    )
    assert plan.links == {A1: 101, A2: 102}
    assert plan.closes == {}


def test_a_hint_does_not_relink_or_steal_an_id() -> None:
    # A1 already has its id; A2's hint carries the id A1 holds (a stale or bogus sample)
    plan = plan_links(
        [OpenTx(A1, 101), OpenTx(A2, None)],
        [(TxHint("A", 1, 999, ts(10)), A1), (TxHint("A", 2, 101, ts(10)), A2)],
        [],
    )
    assert plan.links == {}
    # the latest start on the connector is closed (not open): nothing to link
    assert plan_links([OpenTx(A1, None)], [(TxHint("A", 2, 5, ts(10)), A2)], []).links == {}
    assert plan_links([OpenTx(A1, None)], [(TxHint("A", 1, 5, ts(10)), None)], []).links == {}


def test_a_stop_closes_the_transaction_holding_its_id() -> None:
    stop = PendingStop("A", 101, ts(30), None)
    plan = plan_links([OpenTx(A1, 101), OpenTx(A2, None)], [], [stop])
    assert plan.closes == {A1: stop}
    assert plan.links == {}


def test_a_stop_in_the_same_batch_as_the_hint_closes_the_linked_transaction() -> None:
    stop = PendingStop("A", 102, ts(30), None)
    plan = plan_links(
        [OpenTx(A1, None), OpenTx(A2, None)], [(TxHint("A", 2, 102, ts(10)), A2)], [stop]
    )
    assert plan.links == {A2: 102}
    assert plan.closes == {A2: stop}


def test_a_stop_with_an_unknown_id_takes_the_only_unlinked_start_before_it() -> None:
    stop = PendingStop("A", 7, ts(30), "OTHER")  # the stop's idTag may differ from the start's
    plan = plan_links([OpenTx(A1, None)], [], [stop])
    assert plan.links == {A1: 7}
    assert plan.closes == {A1: stop}
    # a start after the stop is not a candidate
    assert plan_links([OpenTx(A2, None)], [], [PendingStop("A", 7, ts(1), None)]).closes == {}
    # an open transaction of another evse is not a candidate
    assert plan_links([OpenTx(A1, None)], [], [PendingStop("B", 7, ts(30), None)]).closes == {}


def test_among_several_unlinked_starts_the_id_tag_decides_or_the_stop_waits() -> None:
    by_tag = PendingStop("A", 7, ts(30), "TAG2")
    assert plan_links([OpenTx(A1, None), OpenTx(A2, None)], [], [by_tag]).closes == {A2: by_tag}
    ambiguous = PendingStop("A", 7, ts(30), None)
    plan = plan_links([OpenTx(A1, None), OpenTx(A2, None)], [], [ambiguous])
    assert plan.closes == {}
    assert plan.links == {}


def test_a_stop_whose_id_belongs_to_a_later_transaction_is_left_alone() -> None:
    stop = PendingStop("A", 102, ts(1), None)  # before A2 (ts 5) started, which holds 102
    assert plan_links([OpenTx(A1, None), OpenTx(A2, 102)], [], [stop]).closes == {}


def test_two_stops_close_two_transactions_in_time_order() -> None:
    first = PendingStop("A", 7, ts(3), None)  # only A1 had started: A1
    second = PendingStop("A", 8, ts(30), None)  # then only A2 is left
    plan = plan_links([OpenTx(A1, None), OpenTx(A2, None)], [], [second, first])
    assert plan.closes == {A1: first, A2: second}
    assert plan.links == {A1: 7, A2: 8}
