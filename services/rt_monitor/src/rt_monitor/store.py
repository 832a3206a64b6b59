"""Writes batches of rows to the operational and long-term tables, in one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg

from wiseevp_common.storage.bulk import copy_merge
from wiseevp_common.storage.component import PostgresPool
from wiseevp_common.storage.partitions import MonthlyPartitions

from .rows import (
    EV_COLUMNS,
    STATUS_COLUMNS,
    EvRow,
    Row,
    StatusRow,
    last_per_ev,
    latest_per_ev,
)

SCHEMA = "rt_monitor"

_STATUS_UPDATE = ", ".join(f"{c} = EXCLUDED.{c}" for c in STATUS_COLUMNS[1:])
_EV_UPDATE = ", ".join(f"{c} = EXCLUDED.{c}" for c in EV_COLUMNS[1:] if c != "first_seen")


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

    async def write(self, rows: Sequence[Row]) -> None:
        evs = [r for r in rows if isinstance(r, EvRow)]
        statuses = [r for r in rows if isinstance(r, StatusRow)]
        async with self.db.pool.acquire() as conn:
            if statuses:
                await self.status_partitions.ensure(conn, (r.ts for r in statuses))
            async with conn.transaction():
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
