"""The PostgreSQL :class:`~.peers.PeerStore`: one row per peer in ``<schema>.oscp_peer``."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from wiseevp_common.messages.oscp20 import RequiredBehaviour
from wiseevp_common.storage.component import PostgresPool

from .endpoints import Role
from .peers import HandshakeState, Peer, Registration

MIGRATIONS = Path(__file__).parent / "migrations"
"""The peer table's migrations; every OSCP party applies them to its own schema."""

_COLUMNS = (
    "peer_id, role, registration, token_in_hash, token_in_next_hash, token_out, base_url, "
    "version, handshake, their_behaviour, our_behaviour, offline_mode_at, online, updated_at"
)


def _behaviour(raw: str | None) -> RequiredBehaviour | None:
    return RequiredBehaviour.model_validate_json(raw) if raw else None


def _row_to_peer(row: asyncpg.Record) -> Peer:
    return Peer(
        peer_id=row["peer_id"],
        role=Role(row["role"]),
        registration=Registration(row["registration"]),
        token_in_hash=row["token_in_hash"],
        token_in_next_hash=row["token_in_next_hash"],
        token_out=row["token_out"],
        base_url=row["base_url"],
        version=row["version"],
        handshake=HandshakeState(row["handshake"]),
        their_behaviour=_behaviour(row["their_behaviour"]),
        our_behaviour=_behaviour(row["our_behaviour"]),
        offline_mode_at=row["offline_mode_at"],
        online=row["online"],
        updated_at=row["updated_at"],
    )


class PostgresPeerStore:
    def __init__(self, pool: asyncpg.Pool | PostgresPool, schema: str) -> None:
        """``pool``: an open pool, or the service's pool component (opened later)."""
        if not schema.isidentifier():
            raise ValueError(f"not a schema name: {schema!r}")
        self._pool = pool
        self.table = f"{schema}.oscp_peer"

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool.pool if isinstance(self._pool, PostgresPool) else self._pool

    async def load(self) -> list[Peer]:
        rows = await self.pool.fetch(f"SELECT {_COLUMNS} FROM {self.table} ORDER BY peer_id")
        return [_row_to_peer(r) for r in rows]

    async def save(self, peer: Peer) -> None:
        await self.pool.execute(
            f"""INSERT INTO {self.table} ({_COLUMNS})
                VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,coalesce($14, now()))
                ON CONFLICT (peer_id) DO UPDATE SET
                    role = EXCLUDED.role, registration = EXCLUDED.registration,
                    token_in_hash = EXCLUDED.token_in_hash,
                    token_in_next_hash = EXCLUDED.token_in_next_hash,
                    token_out = EXCLUDED.token_out, base_url = EXCLUDED.base_url,
                    version = EXCLUDED.version, handshake = EXCLUDED.handshake,
                    their_behaviour = EXCLUDED.their_behaviour,
                    our_behaviour = EXCLUDED.our_behaviour,
                    offline_mode_at = EXCLUDED.offline_mode_at, online = EXCLUDED.online,
                    updated_at = EXCLUDED.updated_at""",
            peer.peer_id,
            peer.role.value,
            peer.registration.value,
            peer.token_in_hash,
            peer.token_in_next_hash,
            peer.token_out,
            peer.base_url,
            peer.version,
            peer.handshake.value,
            peer.their_behaviour.model_dump_json(exclude_none=True)
            if peer.their_behaviour
            else None,
            peer.our_behaviour.model_dump_json(exclude_none=True) if peer.our_behaviour else None,
            peer.offline_mode_at,
            peer.online,
            peer.updated_at,
        )

    async def delete(self, peer_id: str) -> None:
        await self.pool.execute(f"DELETE FROM {self.table} WHERE peer_id = $1", peer_id)
