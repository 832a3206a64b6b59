"""Bulk writes: COPY into a temporary staging table, then one idempotent INSERT ... SELECT.

COPY is the fastest way into PostgreSQL but cannot skip duplicates; messages are delivered at
least once, so rows are staged and merged with ``ON CONFLICT DO NOTHING`` (or an upsert).

Staging tables are created once per connection (they live as long as the connection; the
pool's reset does not drop temporary tables) and emptied by the merge itself, so a batch
costs one COPY and one statement per table.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from typing import Any

import asyncpg

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")

_staged: weakref.WeakKeyDictionary[object, set[str]] = weakref.WeakKeyDictionary()
"""Staging tables already created, per underlying connection."""


def check_identifier(identifier: str) -> str:
    """Accept ``name`` or ``schema.name`` made of lower-case letters, digits and underscores."""
    if not _IDENT.match(identifier):
        raise ValueError(f"bad SQL identifier {identifier!r}")
    return identifier


def _connection_key(conn: asyncpg.Connection) -> object:
    # a pool lends proxies; the temporary tables belong to the connection behind them
    return getattr(conn, "_con", None) or conn


async def stage(
    conn: asyncpg.Connection,
    table: str,
    columns: Sequence[str],
    records: Sequence[Sequence[Any]],
    *,
    prefix: str = "staging",
) -> str:
    """COPY ``records`` into ``table``'s temporary staging copy (emptied at commit at the
    latest); return its name. Run it inside a transaction."""
    check_identifier(table)
    staging = f"{prefix}_{table.replace('.', '_')}"
    created = _staged.setdefault(_connection_key(conn), set())
    if staging not in created:
        await conn.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} "
            f"(LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        created.add(staging)
    await conn.copy_records_to_table(staging, records=records, columns=list(columns))
    return staging


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
    cols = ", ".join(check_identifier(c) for c in columns)
    staging = await stage(conn, table, columns, records)
    status = await conn.execute(
        f"WITH moved AS (DELETE FROM {staging} RETURNING {cols}) "
        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM moved ON CONFLICT {on_conflict}"
    )
    return int(status.rsplit(" ", 1)[-1])
