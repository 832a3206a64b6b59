"""Matching transactions to the ids the central system gave them (pure functions, no I/O).

The rules are in ``migrations/0002_evse_tables.sql``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .meter_values import TxHint
from .transactions import TxKey


@dataclass(frozen=True)
class OpenTx:
    """A transaction without a stop, with the id learned so far."""

    key: TxKey
    transaction_id: int | None


@dataclass(frozen=True)
class PendingStop:
    """A stop not yet matched to a transaction."""

    evse_id: str
    transaction_id: int
    ts: datetime
    id_tag: str | None


@dataclass(frozen=True)
class LinkPlan:
    links: dict[TxKey, int]
    """Transactions that learn their id."""
    closes: dict[TxKey, PendingStop]
    """Transactions matched to their stop (their id is in ``links`` if it was unknown)."""


def plan_links(
    open_txs: Iterable[OpenTx],
    hints: Iterable[tuple[TxHint, TxKey | None]],
    stops: Iterable[PendingStop],
) -> LinkPlan:
    """Decide which transactions learn their id and which are closed (rules in the migration).

    ``hints`` pairs each meter-values hint with the key of the latest transaction started on
    its connector at or before it (open or not; None if there is none). ``open_txs`` are the
    open transactions of the evses concerned, ``stops`` their unmatched stops.
    """
    open_ids: dict[TxKey, int | None] = {tx.key: tx.transaction_id for tx in open_txs}
    links: dict[TxKey, int] = {}
    closes: dict[TxKey, PendingStop] = {}

    def held(evse_id: str, transaction_id: int) -> bool:
        return any(k.evse_id == evse_id and t == transaction_id for k, t in open_ids.items())

    for hint, target in sorted(hints, key=lambda h: (h[0].ts, h[0].connector_id)):
        if target is None or target not in open_ids or open_ids[target] is not None:
            continue  # no transaction, or the latest one is closed or already has its id
        if held(hint.evse_id, hint.transaction_id):
            continue
        open_ids[target] = links[target] = hint.transaction_id

    for stop in sorted(stops, key=lambda s: (s.ts, s.evse_id, s.transaction_id)):
        started = [k for k in open_ids if k.evse_id == stop.evse_id and k.start_ts <= stop.ts]
        linked = [k for k in started if open_ids[k] == stop.transaction_id]
        if linked:
            key = max(linked)
        elif held(stop.evse_id, stop.transaction_id):
            continue  # the id belongs to a transaction started after this stop
        else:
            unlinked = [k for k in started if open_ids[k] is None]
            same_tag = [k for k in unlinked if stop.id_tag is not None and k.id_tag == stop.id_tag]
            if len(same_tag) == 1:
                key = same_tag[0]
            elif len(unlinked) == 1:
                key = unlinked[0]
            else:
                continue  # unknown or ambiguous: try again when the evse's transactions change
            links[key] = stop.transaction_id
        closes[key] = stop
        del open_ids[key]
    return LinkPlan(links, closes)
