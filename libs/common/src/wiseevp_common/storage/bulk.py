"""Bulk writes: COPY into a temporary staging table, then one idempotent INSERT ... SELECT.

COPY is the fastest way into PostgreSQL but cannot skip duplicates; messages are delivered at
least once, so rows are staged and merged with ``ON CONFLICT DO NOTHING`` (or an upsert)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import asyncpg

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


def check_identifier(identifier: str) -> str:
    """Accept ``name`` or ``schema.name`` made of lower-case letters, digits and underscores."""
    if not _IDENT.match(identifier):
        raise ValueError(f"bad SQL identifier {identifier!r}")
    return identifier


async def copy_merge(
    conn: asyncpg.Connection,
    table: str,
    columns: Sequence[str],
    records: Sequence[Sequence[Any]],
    *,
    on_conflict: str = "DO NOTHING",
) -> int:
    """COPY ``records`` into a staging copy of ``table`` and merge them; return rows written.

    ``on_conflict`` is the clause after ``ON CONFLICT`` (e.g. ``(id) DO UPDATE SET ...``); an
    upsert needs ``records`` to hold each key once. Run it inside a transaction.
    """
    if not records:
        return 0
    check_identifier(table)
    cols = ", ".join(check_identifier(c) for c in columns)
    staging = "staging_" + table.replace(".", "_")
    await conn.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {staging} "
        f"(LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    await conn.copy_records_to_table(staging, records=records, columns=list(columns))
    status = await conn.execute(
        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging} ON CONFLICT {on_conflict}"
    )
    await conn.execute(f"TRUNCATE {staging}")
    return int(status.rsplit(" ", 1)[-1])
