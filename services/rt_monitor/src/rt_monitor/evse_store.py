"""Writes EVSE rows: registry, connector status, transactions, status and meter values history.

:meth:`EvseStore.write` runs inside the batch's transaction opened by
:meth:`rt_monitor.store.Store.write`, so EV and EVSE rows of a batch commit together. Every
statement is idempotent (see ``migrations/0002_evse_tables.sql``): a redelivered message
changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from wiseevp_common.storage.bulk import copy_merge, stage
from wiseevp_common.storage.partitions import MonthlyPartitions

from .evse_rows import (
    BOOT_COLUMNS,
    CONNECTOR_STATUS_COLUMNS,
    SAMPLE_COLUMNS,
    SEEN_COLUMNS,
    START_COLUMNS,
    STOP_COLUMNS,
    BootRow,
    ConnectorStatusRow,
    EvseRow,
    LinkPlan,
    MeterValuesRow,
    OpenTx,
    PendingStop,
    SampleRow,
    StartRow,
    StopRow,
    TxHint,
    TxKey,
    latest_boot_per_evse,
    latest_per_connector,
    plan_links,
    seen_rows,
    with_connector,
    without_repeats,
)
from .schema import SCHEMA

_BOOT_UPDATE = ", ".join(f"{c} = EXCLUDED.{c}" for c in BOOT_COLUMNS[1:11])
_CONNECTOR_UPDATE = ", ".join(f"{c} = EXCLUDED.{c}" for c in CONNECTOR_STATUS_COLUMNS[2:])
_STATUS_COLS = ", ".join(CONNECTOR_STATUS_COLUMNS)
_SAME_STATUS = " AND ".join(
    f"{{current}}.{c} IS NOT DISTINCT FROM {{new}}.{c}"
    for c in ("status", "error_code", "info", "vendor_id", "vendor_error_code")
)
"""A notification repeats the connector's latest one (same content, whatever the time)."""

_LOCK_EVSES = f"""
SELECT pg_advisory_xact_lock(k)
FROM (SELECT hashtextextended('{SCHEMA}.evse_transaction:' || e, 0) AS k
      FROM unnest($1::text[]) AS e ORDER BY 1) AS ordered
"""
_OPEN_TRANSACTIONS = f"""
SELECT evse_id, start_ts, connector_id, id_tag, transaction_id
FROM {SCHEMA}.evse_transaction WHERE evse_id = ANY($1::text[]) AND stop_ts IS NULL
"""
_PENDING_STOPS = f"""
SELECT evse_id, transaction_id, ts, id_tag
FROM {SCHEMA}.evse_transaction_stop WHERE evse_id = ANY($1::text[]) AND start_ts IS NULL
"""
_HINT_TARGETS = f"""
SELECT h.i, t.evse_id, t.start_ts, t.connector_id, t.id_tag
FROM unnest($1::text[], $2::integer[], $3::timestamptz[]) WITH ORDINALITY
     AS h(evse_id, connector_id, ts, i)
CROSS JOIN LATERAL (
    SELECT * FROM {SCHEMA}.evse_transaction t
    WHERE t.evse_id = h.evse_id AND t.connector_id = h.connector_id AND t.start_ts <= h.ts
    ORDER BY t.start_ts DESC LIMIT 1
) AS t
"""
_LINK = f"""
UPDATE {SCHEMA}.evse_transaction SET transaction_id = $5
WHERE evse_id = $1 AND start_ts = $2 AND connector_id = $3 AND id_tag = $4
  AND transaction_id IS NULL
"""
_CLOSE = f"""
UPDATE {SCHEMA}.evse_transaction t
SET stop_ts = s.ts, meter_stop_wh = s.meter_stop_wh, stop_id_tag = s.id_tag,
    stop_reason = s.reason, stop_received_at = s.received_at
FROM {SCHEMA}.evse_transaction_stop s
WHERE s.evse_id = $1 AND s.transaction_id = $5 AND s.ts = $6
  AND t.evse_id = $1 AND t.start_ts = $2 AND t.connector_id = $3 AND t.id_tag = $4
  AND t.stop_ts IS NULL
"""
_MATCH_STOP = f"""
UPDATE {SCHEMA}.evse_transaction_stop SET connector_id = $4, start_ts = $5
WHERE evse_id = $1 AND transaction_id = $2 AND ts = $3 AND start_ts IS NULL
"""
_STOP_CONNECTORS = f"""
SELECT s.evse_id, s.transaction_id, s.ts, s.connector_id
FROM unnest($1::text[], $2::integer[], $3::timestamptz[]) AS b(evse_id, transaction_id, ts)
JOIN {SCHEMA}.evse_transaction_stop s USING (evse_id, transaction_id, ts)
"""


class EvseStore:
    def __init__(self) -> None:
        self.status_partitions = MonthlyPartitions(f"{SCHEMA}.evse_status_history")
        self.meter_partitions = MonthlyPartitions(f"{SCHEMA}.evse_meter_value")

    async def prepare(self, conn: asyncpg.Connection, rows: Sequence[EvseRow]) -> None:
        """Create the partitions the rows need (before the batch's transaction)."""
        statuses = [r.ts for r in rows if isinstance(r, ConnectorStatusRow)]
        samples = [s.ts for r in rows if isinstance(r, MeterValuesRow | StopRow) for s in r.samples]
        if statuses:
            await self.status_partitions.ensure(conn, statuses)
        if samples:
            await self.meter_partitions.ensure(conn, samples)

    async def write(self, conn: asyncpg.Connection, rows: Sequence[EvseRow]) -> None:
        """Write a batch of EVSE rows; call inside a transaction, after :meth:`prepare`."""
        if not rows:
            return
        boots = [r for r in rows if isinstance(r, BootRow)]
        statuses = [r for r in rows if isinstance(r, ConnectorStatusRow)]
        meters = [r for r in rows if isinstance(r, MeterValuesRow)]
        starts = [r for r in rows if isinstance(r, StartRow)]
        stops = [r for r in rows if isinstance(r, StopRow)]

        await self._write_registry(conn, boots, rows)
        if starts:
            await copy_merge(
                conn, f"{SCHEMA}.evse_transaction", START_COLUMNS, [r.values for r in starts]
            )
        if stops:
            await copy_merge(
                conn, f"{SCHEMA}.evse_transaction_stop", STOP_COLUMNS, [r.values for r in stops]
            )
        hints = [h for h in (m.hint for m in meters) if h is not None]
        touched = {r.evse_id for r in starts} | {r.evse_id for r in stops}
        touched |= {h.evse_id for h in hints}
        if touched:
            await self._match_transactions(conn, sorted(touched), hints)

        samples = [s for m in meters for s in m.samples]
        samples += await self._transaction_data(conn, stops)
        if samples:
            await copy_merge(
                conn, f"{SCHEMA}.evse_meter_value", SAMPLE_COLUMNS, [s.values for s in samples]
            )
        if statuses:
            await self._write_statuses(conn, statuses)

    async def _write_registry(
        self, conn: asyncpg.Connection, boots: list[BootRow], rows: Sequence[EvseRow]
    ) -> None:
        if boots:
            await copy_merge(
                conn,
                f"{SCHEMA}.evse",
                BOOT_COLUMNS,
                [r.values for r in latest_boot_per_evse(boots)],
                on_conflict=f"(evse_id) DO UPDATE SET {_BOOT_UPDATE} "
                f"WHERE {SCHEMA}.evse.last_boot_at IS NULL "
                f"OR {SCHEMA}.evse.last_boot_at <= EXCLUDED.last_boot_at",
            )
        await copy_merge(
            conn,
            f"{SCHEMA}.evse",
            SEEN_COLUMNS,
            seen_rows(rows),
            on_conflict=f"(evse_id) DO UPDATE SET "
            f"first_seen = LEAST({SCHEMA}.evse.first_seen, EXCLUDED.first_seen), "
            f"last_seen = GREATEST({SCHEMA}.evse.last_seen, EXCLUDED.last_seen)",
        )

    async def _match_transactions(
        self, conn: asyncpg.Connection, evses: list[str], hints: list[TxHint]
    ) -> None:
        """Link transactions to their ids and close them (rules: 0002_evse_tables.sql)."""
        await conn.execute(_LOCK_EVSES, evses)
        open_txs = [
            OpenTx(
                TxKey(r["evse_id"], r["start_ts"], r["connector_id"], r["id_tag"]),
                r["transaction_id"],
            )
            for r in await conn.fetch(_OPEN_TRANSACTIONS, evses)
        ]
        pending = [
            PendingStop(r["evse_id"], r["transaction_id"], r["ts"], r["id_tag"])
            for r in await conn.fetch(_PENDING_STOPS, evses)
        ]
        unlinked = {tx.key.evse_id for tx in open_txs if tx.transaction_id is None}
        hints = [h for h in hints if h.evse_id in unlinked]
        if not unlinked and not pending:
            return
        targets: dict[int, TxKey] = {}
        if hints:
            found = await conn.fetch(
                _HINT_TARGETS,
                [h.evse_id for h in hints],
                [h.connector_id for h in hints],
                [h.ts for h in hints],
            )
            targets = {
                r["i"] - 1: TxKey(r["evse_id"], r["start_ts"], r["connector_id"], r["id_tag"])
                for r in found
            }
        plan = plan_links(open_txs, [(h, targets.get(i)) for i, h in enumerate(hints)], pending)
        await self._apply(conn, plan)

    @staticmethod
    async def _apply(conn: asyncpg.Connection, plan: LinkPlan) -> None:
        if plan.links:
            await conn.executemany(
                _LINK,
                [
                    (k.evse_id, k.start_ts, k.connector_id, k.id_tag, tid)
                    for k, tid in plan.links.items()
                ],
            )
        if plan.closes:
            await conn.executemany(
                _CLOSE,
                [
                    (k.evse_id, k.start_ts, k.connector_id, k.id_tag, s.transaction_id, s.ts)
                    for k, s in plan.closes.items()
                ],
            )
            await conn.executemany(
                _MATCH_STOP,
                [
                    (s.evse_id, s.transaction_id, s.ts, k.connector_id, k.start_ts)
                    for k, s in plan.closes.items()
                ],
            )

    @staticmethod
    async def _transaction_data(conn: asyncpg.Connection, stops: list[StopRow]) -> list[SampleRow]:
        """transactionData samples, with the connector of the transaction their stop matched."""
        with_data = [s for s in stops if s.samples]
        if not with_data:
            return []
        found = await conn.fetch(
            _STOP_CONNECTORS,
            [s.evse_id for s in with_data],
            [s.transaction_id for s in with_data],
            [s.ts for s in with_data],
        )
        connectors = {
            (r["evse_id"], r["transaction_id"], r["ts"]): r["connector_id"] for r in found
        }
        samples: list[SampleRow] = []
        for stop in with_data:
            connector = connectors.get((stop.evse_id, stop.transaction_id, stop.ts))
            samples += with_connector(stop.samples, connector)
        return samples

    @staticmethod
    async def _write_statuses(conn: asyncpg.Connection, statuses: list[ConnectorStatusRow]) -> None:
        table = f"{SCHEMA}.evse_status_history"
        records = [r.values for r in without_repeats(statuses)]
        staging = await stage(conn, table, CONNECTOR_STATUS_COLUMNS, records)
        # A notification without timestamp is stamped with its receipt time, which differs on
        # redelivery: it is skipped (history and latest state) when it repeats the connector's
        # latest status.
        await conn.execute(
            f"INSERT INTO {table} ({_STATUS_COLS}) SELECT {_STATUS_COLS} FROM {staging} s "
            "WHERE s.timestamp_reported OR NOT EXISTS ("
            f"  SELECT 1 FROM {SCHEMA}.evse_connector c"
            "   WHERE c.evse_id = s.evse_id AND c.connector_id = s.connector_id"
            f"    AND {_SAME_STATUS.format(current='c', new='s')}) "
            "ON CONFLICT DO NOTHING"
        )
        await conn.execute(f"DELETE FROM {staging}")
        await copy_merge(
            conn,
            f"{SCHEMA}.evse_connector",
            CONNECTOR_STATUS_COLUMNS,
            [r.values for r in latest_per_connector(statuses)],
            on_conflict=f"(evse_id, connector_id) DO UPDATE SET {_CONNECTOR_UPDATE} "
            f"WHERE {SCHEMA}.evse_connector.ts <= EXCLUDED.ts AND (EXCLUDED.timestamp_reported "
            f"OR ({_SAME_STATUS.format(current=f'{SCHEMA}.evse_connector', new='EXCLUDED')})"
            " IS NOT TRUE)",
        )
