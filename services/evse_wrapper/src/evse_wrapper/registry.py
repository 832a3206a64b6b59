"""PostgreSQL access of the EVSE wrapper: stations, idTags, transactions, commands."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from wiseevp_common.storage.component import PostgresPool

SCHEMA = "evse_wrapper"
COMMAND_CHANNEL = "evse_wrapper_command"
"""NOTIFY channel: a command was queued for the station named in the payload (every wrapper
instance listens and wakes the station if it holds its connection)."""


@dataclass(frozen=True)
class StationRecord:
    id: str
    password_hash: str | None
    feature_profiles: tuple[str, ...] | None
    configuration: list[dict[str, Any]] | None


@dataclass(frozen=True)
class QueuedCommand:
    seq: int
    station_id: str
    request_id: str
    level: str
    action: str
    payload: str
    received_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class IdTagInfo:
    status: str
    expiry_date: datetime | None = None
    parent_id_tag: str | None = None


class Registry:
    def __init__(self, db: PostgresPool) -> None:
        self.db = db

    @property
    def _pool(self) -> asyncpg.Pool:
        return self.db.pool

    # -- stations ------------------------------------------------------------------------

    async def station(self, station_id: str) -> StationRecord | None:
        row = await self._pool.fetchrow(
            f"SELECT id, password_hash, feature_profiles, configuration FROM {SCHEMA}.station "
            "WHERE id = $1",
            station_id,
        )
        if row is None:
            return None
        profiles = row["feature_profiles"]
        config = row["configuration"]
        return StationRecord(
            row["id"],
            row["password_hash"],
            tuple(profiles) if profiles is not None else None,
            json.loads(config) if config is not None else None,
        )

    async def add_station(
        self, station_id: str, password_hash: str | None, now: datetime, *, auto: bool
    ) -> None:
        """Register a station (idempotent; an operator's add sets/replaces the password)."""
        await self._pool.execute(
            f"INSERT INTO {SCHEMA}.station (id, password_hash, registered_at, auto_registered) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET "
            "password_hash = COALESCE(EXCLUDED.password_hash, station.password_hash) "
            "WHERE NOT EXCLUDED.auto_registered",
            station_id,
            password_hash,
            now,
            auto,
        )

    async def remove_station(self, station_id: str) -> bool:
        result = await self._pool.execute(f"DELETE FROM {SCHEMA}.station WHERE id = $1", station_id)
        return result.endswith(" 1")

    async def stations(self) -> list[dict[str, Any]]:
        rows = await self._pool.fetch(
            f"SELECT id, vendor, model, online, status_since, last_seen, feature_profiles, "
            f"auto_registered, password_hash IS NOT NULL AS has_password "
            f"FROM {SCHEMA}.station ORDER BY id"
        )
        return [dict(r) for r in rows]

    async def record_boot(self, station_id: str, request: dict[str, Any], now: datetime) -> None:
        await self._pool.execute(
            f"UPDATE {SCHEMA}.station SET vendor = $2, model = $3, serial_number = $4, "
            "firmware_version = $5, booted_at = $6 WHERE id = $1",
            station_id,
            request.get("chargePointVendor"),
            request.get("chargePointModel"),
            request.get("chargePointSerialNumber") or request.get("chargeBoxSerialNumber"),
            request.get("firmwareVersion"),
            now,
        )

    async def record_configuration(
        self, station_id: str, profiles: list[str] | None, keys: list[dict[str, Any]]
    ) -> None:
        await self._pool.execute(
            f"UPDATE {SCHEMA}.station SET feature_profiles = $2, configuration = $3 WHERE id = $1",
            station_id,
            profiles,
            json.dumps(keys),
        )

    async def record_connection(
        self,
        station_id: str,
        *,
        online: bool,
        now: datetime,
        last_seen: datetime | None,
        reason: str | None,
        instance: str,
    ) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                f"UPDATE {SCHEMA}.station SET online = $2, status_since = $3, "
                "last_seen = COALESCE($4, last_seen), offline_reason = $5 WHERE id = $1",
                station_id,
                online,
                now,
                last_seen,
                reason,
            )
            await conn.execute(
                f"INSERT INTO {SCHEMA}.connection_event (station_id, ts, online, reason, "
                "instance) VALUES ($1, $2, $3, $4, $5)",
                station_id,
                now,
                online,
                reason,
                instance,
            )

    async def touch(self, station_id: str, now: datetime) -> None:
        await self._pool.execute(
            f"UPDATE {SCHEMA}.station SET last_seen = $2 WHERE id = $1", station_id, now
        )

    # -- idTags ---------------------------------------------------------------------------

    async def id_tag(self, id_tag: str) -> IdTagInfo | None:
        row = await self._pool.fetchrow(
            f"SELECT status, expiry_date, parent_id_tag FROM {SCHEMA}.id_tag WHERE id_tag = $1",
            id_tag,
        )
        if row is None:
            return None
        return IdTagInfo(row["status"], row["expiry_date"], row["parent_id_tag"])

    async def put_id_tag(
        self, id_tag: str, status: str = "Accepted", parent: str | None = None
    ) -> None:
        await self._pool.execute(
            f"INSERT INTO {SCHEMA}.id_tag (id_tag, status, parent_id_tag) VALUES ($1, $2, $3) "
            "ON CONFLICT (id_tag) DO UPDATE SET status = $2, parent_id_tag = $3",
            id_tag,
            status,
            parent,
        )

    # -- transactions ---------------------------------------------------------------------

    async def start_transaction(  # noqa: PLR0917 - the columns of StartTransaction.req
        self,
        station_id: str,
        connector_id: int,
        id_tag: str,
        started_at: datetime,
        meter_start: int,
        reservation_id: int | None,
    ) -> int:
        """The transaction id; the same start sent again gets the same id."""
        txn_id: int = await self._pool.fetchval(
            f"WITH ins AS (INSERT INTO {SCHEMA}.txn (station_id, connector_id, id_tag, "
            "started_at, meter_start, reservation_id) VALUES ($1, $2, $3, $4, $5, $6) "
            "ON CONFLICT DO NOTHING RETURNING transaction_id) "
            "SELECT transaction_id FROM ins UNION ALL "
            f"SELECT transaction_id FROM {SCHEMA}.txn WHERE station_id = $1 AND "
            "connector_id = $2 AND started_at = $4 AND id_tag = $3 AND meter_start = $5 "
            "LIMIT 1",
            station_id,
            connector_id,
            id_tag,
            started_at,
            meter_start,
            reservation_id,
        )
        return txn_id

    async def stop_transaction(
        self, station_id: str, transaction_id: int, stopped_at: datetime, meter_stop: int
    ) -> None:
        await self._pool.execute(
            f"UPDATE {SCHEMA}.txn SET stopped_at = $3, meter_stop = $4 "
            "WHERE transaction_id = $2 AND station_id = $1",
            station_id,
            transaction_id,
            stopped_at,
            meter_stop,
        )

    # -- commands -------------------------------------------------------------------------

    async def enqueue_command(self, command: QueuedCommand, limit: int) -> bool | None:
        """Store a command; False if the station's queue is full, None if it was already
        stored (a redelivered message)."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext($1))", f"evse_cmd:{command.station_id}"
            )
            queued: int = await conn.fetchval(
                f"SELECT count(*) FROM {SCHEMA}.command WHERE station_id = $1",
                command.station_id,
            )
            if queued >= limit:
                exists = await conn.fetchval(
                    f"SELECT 1 FROM {SCHEMA}.command WHERE station_id = $1 AND level = $2 "
                    "AND request_id = $3",
                    command.station_id,
                    command.level,
                    command.request_id,
                )
                return None if exists else False
            seq = await conn.fetchval(
                f"INSERT INTO {SCHEMA}.command (station_id, request_id, level, action, payload, "
                "received_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                "ON CONFLICT DO NOTHING RETURNING seq",
                command.station_id,
                command.request_id,
                command.level,
                command.action,
                command.payload,
                command.received_at,
                command.expires_at,
            )
            if seq is None:
                return None
            await conn.execute("SELECT pg_notify($1, $2)", COMMAND_CHANNEL, command.station_id)
            return True

    async def next_command(self, station_id: str) -> QueuedCommand | None:
        row = await self._pool.fetchrow(
            f"SELECT * FROM {SCHEMA}.command WHERE station_id = $1 ORDER BY seq LIMIT 1",
            station_id,
        )
        return None if row is None else QueuedCommand(**dict(row))

    async def delete_command(self, seq: int) -> bool:
        """True if this call removed it (so exactly one caller publishes its expiry)."""
        result = await self._pool.execute(f"DELETE FROM {SCHEMA}.command WHERE seq = $1", seq)
        return result.endswith(" 1")

    async def claim_expired_commands(self, now: datetime) -> list[QueuedCommand]:
        """Remove and return up to 1,000 expired commands (whoever removes one reports it)."""
        rows = await self._pool.fetch(
            f"DELETE FROM {SCHEMA}.command WHERE seq IN (SELECT seq FROM {SCHEMA}.command "
            "WHERE expires_at <= $1 ORDER BY seq LIMIT 1000 FOR UPDATE SKIP LOCKED) RETURNING *",
            now,
        )
        return sorted((QueuedCommand(**dict(r)) for r in rows), key=lambda c: c.seq)
