"""Versioned SQL migrations, per service schema.

Each service owns a PostgreSQL schema (``rt_monitor``, ...) and a directory of files named
``NNNN_description.sql``. Applied versions are recorded in ``<schema>.schema_migrations`` with
a checksum; an edited, already-applied migration is an error. Concurrent starts of several
replicas are serialised by an advisory lock.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from .postgres import ensure_database

log = logging.getLogger("wiseevp.storage.migrations")

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]*$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(directory: Path) -> list[Migration]:
    found: list[Migration] = []
    for path in sorted(directory.iterdir()):
        if path.suffix != ".sql":
            continue
        m = _NAME.match(path.name)
        if m is None:
            raise MigrationError(f"migration file {path.name!r} is not named NNNN_name.sql")
        found.append(Migration(int(m.group(1)), m.group(2), path.read_text()))
    versions = [mig.version for mig in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migrations in {directory} must be numbered 1..n, got {versions}")
    return found


async def apply_migrations(conn: asyncpg.Connection, schema: str, directory: Path) -> list[int]:
    """Apply the pending migrations of ``directory`` to ``schema``; return the versions applied."""
    if not _SCHEMA.match(schema):
        raise MigrationError(f"bad schema name {schema!r}")
    migrations = load_migrations(directory)
    applied_now: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"wiseevp:{schema}")
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        await conn.execute(
            f"""CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        rows = await conn.fetch(f"SELECT version, checksum FROM {schema}.schema_migrations")
        done = {r["version"]: r["checksum"] for r in rows}
        for mig in migrations:
            if mig.version in done:
                if done[mig.version] != mig.checksum:
                    raise MigrationError(
                        f"{schema} migration {mig.version:04d}_{mig.name} was changed after "
                        "being applied; add a new migration instead"
                    )
                continue
            await conn.execute(f"SET LOCAL search_path TO {schema}, public")
            await conn.execute(mig.sql)
            await conn.execute(
                f"INSERT INTO {schema}.schema_migrations (version, name, checksum) "
                "VALUES ($1, $2, $3)",
                mig.version,
                mig.name,
                mig.checksum,
            )
            applied_now.append(mig.version)
            log.info("applied migration %s %04d_%s", schema, mig.version, mig.name)
    return applied_now


async def migrate(url: str, schema: str, directory: Path) -> list[int]:
    """Connect, apply ``schema``'s migrations, disconnect."""
    conn = await asyncpg.connect(url)
    try:
        return await apply_migrations(conn, schema, directory)
    finally:
        await conn.close()


async def migrate_database(url: str, schema: str, directory: Path) -> list[int]:
    """What a service does before it starts: create its database if missing, then apply
    ``schema``'s pending migrations. The versions applied now."""
    await ensure_database(url)
    return await migrate(url, schema, directory)
