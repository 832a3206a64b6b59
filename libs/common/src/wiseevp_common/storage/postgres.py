"""Connection pools and database creation."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

import asyncpg

log = logging.getLogger("wiseevp.storage")


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database of the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise ValueError(f"no database name in {url!r}")
    return name


async def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it does not exist; True if created.

    Needs a role allowed to create databases (local development, CI, the demo); in a
    production deployment the database is provisioned beforehand and this is a no-op.
    """
    name = database_name(url)
    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        pass
    else:
        await conn.close()
        return False
    admin = await asyncpg.connect(with_database(url, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        log.info("created database %s", name)
        return True
    except asyncpg.DuplicateDatabaseError:
        return False
    finally:
        await admin.close()


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 5) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size)
    if pool is None:  # pragma: no cover - asyncpg returns None only when not awaited
        raise RuntimeError("could not create the PostgreSQL pool")
    return pool
