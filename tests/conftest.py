"""Shared fixtures. Integration tests run against the real local RabbitMQ (vhost
``wiseevp_test``, MQTT plugin) and PostgreSQL (database ``wiseevp_test``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.support import broker
from tests.support.env import POSTGRES_URL
from wiseevp_common.storage.postgres import ensure_database


@pytest.fixture(scope="session")
async def test_database() -> str:
    await ensure_database(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
async def fresh_db(test_database: str) -> AsyncIterator[asyncpg.Connection]:
    """An empty test database: every service schema dropped before the test."""
    conn = await asyncpg.connect(test_database)
    schemas = await conn.fetch(
        "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
        "AND nspname NOT IN ('public', 'information_schema')"
    )
    for row in schemas:
        await conn.execute(f'DROP SCHEMA "{row["nspname"]}" CASCADE')
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def fresh_broker() -> None:
    """An empty test vhost: every queue deleted before the test."""
    await broker.delete_all_queues()


@pytest.fixture
def org() -> str:
    """A unique organisation id, so EV ids (and retained MQTT messages) never collide."""
    return "T" + uuid.uuid4().hex[:10].upper()
