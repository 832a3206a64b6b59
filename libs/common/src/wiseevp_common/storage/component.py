"""A PostgreSQL pool as a runner component (closed on shutdown, checked by ``/healthz``)."""

from __future__ import annotations

import asyncpg

from .postgres import create_pool


class PostgresPool:
    name = "postgres"

    def __init__(self, url: str, *, max_size: int = 5) -> None:
        self.url = url
        self.max_size = max_size
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the PostgreSQL pool is not started")
        return self._pool

    async def start(self) -> None:
        self._pool = await create_pool(self.url, max_size=self.max_size)

    async def stop(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def healthy(self) -> bool:
        try:
            return bool(await self.pool.fetchval("SELECT 1", timeout=2) == 1)
        except Exception:
            return False
