"""Writes batches of rows to the operational and long-term tables, in one transaction.

A batch mixes EV rows (:mod:`.rows`) and EVSE rows (:mod:`.evse_rows`, written by
:class:`~rt_monitor.evse_store.EvseStore`); they commit together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from wiseevp_common.storage.bulk import copy_merge
from wiseevp_common.storage.component import PostgresPool
from wiseevp_common.storage.partitions import MonthlyPartitions

from .evse_rows import EVSE_ROW_TYPES, EvseRow
from .evse_store import EvseStore
from .rows import (
    EV_COLUMNS,
    STATUS_COLUMNS,
    EvRow,
    Row,
    StatusRow,
    last_per_ev,
    latest_per_ev,
)
from .schema import SCHEMA

__all__ = ["SCHEMA", "Item", "Store", "is_transient"]

Item = Row | EvseRow
"""What the batcher carries: a row of any kind."""

_STATUS_UPDATE = ", ".join(f"{c} = EXCLUDED.{c}" for c in STATUS_COLUMNS[1:])
_EV_UPDATE = ", ".join(f"{c} = EXCLUDED.{c}" for c in EV_COLUMNS[1:] if c != "first_seen")


def as_connection(proxy: PoolConnectionProxy[asyncpg.Record]) -> asyncpg.Connection:
    """The pool lends proxies with the methods of a connection; the storage helpers of
    ``wiseevp_common`` are typed for connections."""
    return cast(asyncpg.Connection, proxy)


def is_transient(exc: BaseException) -> bool:
    """Database unreachable or restarting: worth retrying the same batch."""
    return isinstance(
        exc,
        OSError
        | asyncio.TimeoutError
        | asyncpg.PostgresConnectionError
        | asyncpg.InterfaceError
        | asyncpg.CannotConnectNowError
        | asyncpg.TooManyConnectionsError
        | asyncpg.AdminShutdownError,
    )


class Store:
    def __init__(self, db: PostgresPool) -> None:
        self.db = db
        self.status_partitions = MonthlyPartitions(f"{SCHEMA}.ev_status_history")
        self.evse = EvseStore()

    async def write(self, rows: Sequence[Item]) -> None:
        evs = [r for r in rows if isinstance(r, EvRow)]
        statuses = [r for r in rows if isinstance(r, StatusRow)]
        evse_rows: list[EvseRow] = [r for r in rows if isinstance(r, EVSE_ROW_TYPES)]
        async with self.db.pool.acquire() as proxy:
            conn = as_connection(proxy)
            if statuses:
                await self.status_partitions.ensure(conn, (r.ts for r in statuses))
            if evse_rows:
                await self.evse.prepare(conn, evse_rows)
            async with conn.transaction():
                if evse_rows:
                    await self.evse.write(conn, evse_rows)
                if evs:
                    await copy_merge(
                        conn,
                        f"{SCHEMA}.ev",
                        EV_COLUMNS,
                        [r.values for r in last_per_ev(evs)],
                        on_conflict=f"(ev_id) DO UPDATE SET {_EV_UPDATE}",
                    )
                if statuses:
                    await copy_merge(
                        conn,
                        f"{SCHEMA}.ev_status_history",
                        STATUS_COLUMNS,
                        [r.values for r in statuses],
                    )
                    await copy_merge(
                        conn,
                        f"{SCHEMA}.ev_state",
                        STATUS_COLUMNS,
                        [r.values for r in latest_per_ev(statuses)],
                        on_conflict=f"(ev_id) DO UPDATE SET {_STATUS_UPDATE} "
                        f"WHERE {SCHEMA}.ev_state.ts <= EXCLUDED.ts",
                    )
