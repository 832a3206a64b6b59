"""Monthly range partitions of long-term tables, created on demand.

A time-series table is declared ``PARTITION BY RANGE (ts)``; before writing a batch the writer
calls :meth:`MonthlyPartitions.ensure` with the batch's timestamps, which creates any missing
month (``<table>_pYYYYMM``) once per process. Old months can be detached or dropped cheaply.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import UTC, datetime

import asyncpg

from .bulk import check_identifier


def month_start(ts: datetime) -> datetime:
    ts = ts.astimezone(UTC)
    return datetime(ts.year, ts.month, 1, tzinfo=UTC)


def next_month(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


class MonthlyPartitions:
    def __init__(self, table: str) -> None:
        self.table = check_identifier(table)
        self._known: set[datetime] = set()

    def partition_name(self, start: datetime) -> str:
        return f"{self.table}_p{start:%Y%m}"

    async def ensure(self, conn: asyncpg.Connection, timestamps: Iterable[datetime]) -> None:
        for start in sorted({month_start(ts) for ts in timestamps} - self._known):
            # another writer may create it between our check and our CREATE
            with contextlib.suppress(asyncpg.DuplicateTableError, asyncpg.UniqueViolationError):
                await conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.partition_name(start)} "
                    f"PARTITION OF {self.table} FOR VALUES FROM ('{start.isoformat()}') "
                    f"TO ('{next_month(start).isoformat()}')"
                )
            self._known.add(start)
