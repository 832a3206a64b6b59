"""The PostgreSQL peer store of an OSCP party (``PostgresPeerStore``): every field of a peer
survives a round trip, updates replace, deletes remove, and a restart resumes with the same
tokens, handshake results and liveness state."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from wiseevp_common.messages.oscp20 import MeasurementConfiguration, RequiredBehaviour
from wiseevp_common.storage.component import PostgresPool
from wiseevp_common.storage.migrations import migrate
from wiseevp_oscp.endpoints import Role
from wiseevp_oscp.peer_store import MIGRATIONS, PostgresPeerStore
from wiseevp_oscp.peers import HandshakeState, Peer, Peers, Registration
from wiseevp_oscp.tokens import hash_token

pytestmark = [pytest.mark.integration]

SCHEMA = "oscp_test_peers"
T0 = datetime(2026, 3, 1, 6, 0, 0, 123000, tzinfo=UTC)


@pytest.fixture
async def pool(fresh_db: asyncpg.Connection, test_database: str) -> AsyncIterator[PostgresPool]:
    assert await migrate(test_database, SCHEMA, MIGRATIONS) == [1]
    component = PostgresPool(test_database)
    await component.start()
    try:
        yield component
    finally:
        await component.stop()


def full_peer() -> Peer:
    return Peer(
        peer_id="grid-operator",
        role=Role.CP,
        registration=Registration.REGISTERED,
        token_in_hash=hash_token("token-c"),
        token_in_next_hash=hash_token("token-c2"),
        token_out="token-b",
        base_url="https://cp.example.com/oscp/cp/2.0",
        version="2.0",
        handshake=HandshakeState.COMPLETE,
        their_behaviour=RequiredBehaviour(heartbeat_interval=30),
        our_behaviour=RequiredBehaviour(
            heartbeat_interval=60,
            measurement_configuration=[MeasurementConfiguration.INTERMITTENT],
        ),
        offline_mode_at=T0 + timedelta(minutes=2),
        online=True,
        updated_at=T0,
    )


async def test_every_field_survives_a_round_trip(pool: PostgresPool) -> None:
    store = PostgresPeerStore(pool, SCHEMA)
    saved = full_peer()
    await store.save(saved)
    (loaded,) = await store.load()
    assert loaded == saved
    assert loaded.offline_mode_at is not None and loaded.offline_mode_at.tzinfo is not None


async def test_an_empty_peer_round_trips_with_nulls(pool: PostgresPool) -> None:
    store = PostgresPeerStore(pool.pool, SCHEMA)  # an open pool works as well
    invited = Peer(peer_id="co", role=Role.CO, registration=Registration.INVITED)
    await store.save(invited)
    (loaded,) = await store.load()
    assert loaded.updated_at is not None  # now(), when none was given
    assert dataclasses.replace(loaded, updated_at=None) == invited


async def test_behaviour_with_an_empty_configuration_list_round_trips(pool: PostgresPool) -> None:
    store = PostgresPeerStore(pool, SCHEMA)
    peer = dataclasses.replace(
        full_peer(), their_behaviour=RequiredBehaviour(measurement_configuration=[])
    )
    await store.save(peer)
    (loaded,) = await store.load()
    assert loaded.their_behaviour == RequiredBehaviour(measurement_configuration=[])


async def test_save_updates_and_delete_removes(pool: PostgresPool) -> None:
    store = PostgresPeerStore(pool, SCHEMA)
    peer = full_peer()
    await store.save(peer)
    await store.save(
        dataclasses.replace(
            peer, peer_id="optimizer", role=Role.CO, token_in_hash=hash_token("other")
        )
    )
    offline = dataclasses.replace(
        peer,
        registration=Registration.UNREGISTERED,
        token_in_hash=None,
        token_in_next_hash=None,
        token_out=None,
        handshake=HandshakeState.NONE,
        their_behaviour=None,
        our_behaviour=None,
        offline_mode_at=None,
        online=False,
        updated_at=T0 + timedelta(hours=1),
    )
    await store.save(offline)
    loaded = await store.load()
    assert [p.peer_id for p in loaded] == ["grid-operator", "optimizer"]
    assert loaded[0] == offline
    await store.delete("grid-operator")
    await store.delete("nobody")
    assert [p.peer_id for p in await store.load()] == ["optimizer"]


async def test_a_restart_resumes_with_the_same_peers(pool: PostgresPool) -> None:
    before = Peers(PostgresPeerStore(pool, SCHEMA))
    await before.load()
    await before.save(full_peer(), T0)
    after = Peers(PostgresPeerStore(pool, SCHEMA))
    await after.load()
    resumed = after.by_token("token-c")
    assert resumed == full_peer()
    assert resumed.connected and resumed.online


async def test_two_peers_cannot_share_a_token(pool: PostgresPool) -> None:
    store = PostgresPeerStore(pool, SCHEMA)
    await store.save(full_peer())
    twin = dataclasses.replace(full_peer(), peer_id="twin")
    with pytest.raises(asyncpg.UniqueViolationError):
        await store.save(twin)


def test_the_schema_must_be_an_identifier() -> None:
    with pytest.raises(ValueError, match="not a schema name"):
        PostgresPeerStore(PostgresPool("postgresql://x"), "a; DROP TABLE x")
