"""Persisted forecasts: the last one of each type per group (what limits are computed from)
and a log of every forecast received, accepted or refused with its reason."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import asyncpg

from wiseevp_common.messages.oscp20 import CapacityForecastType, UpdateGroupCapacityForecast
from wiseevp_common.storage.component import PostgresPool

from .capacity import ForecastInForce

SCHEMA = "oscp_fp"

InForce = dict[str, dict[CapacityForecastType, ForecastInForce]]


class ForecastStore:
    def __init__(self, db: PostgresPool) -> None:
        self.db = db

    @property
    def pool(self) -> asyncpg.Pool:
        return self.db.pool

    async def load(self) -> InForce:
        rows = await self.pool.fetch(
            f"SELECT group_id, type, peer_id, request_id, received_at, body "
            f"FROM {SCHEMA}.forecast_in_force"
        )
        in_force: InForce = defaultdict(dict)
        for row in rows:
            in_force[row["group_id"]][CapacityForecastType(row["type"])] = ForecastInForce(
                forecast=UpdateGroupCapacityForecast.model_validate_json(row["body"]),
                request_id=row["request_id"],
                peer_id=row["peer_id"],
                received_at=row["received_at"],
            )
        return dict(in_force)

    async def accept(self, held: ForecastInForce) -> None:
        forecast = held.forecast
        body = forecast.model_dump_json(exclude_none=True)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                f"""INSERT INTO {SCHEMA}.forecast_in_force
                        (group_id, type, peer_id, request_id, received_at, body)
                    VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (group_id, type) DO UPDATE SET
                        peer_id = EXCLUDED.peer_id, request_id = EXCLUDED.request_id,
                        received_at = EXCLUDED.received_at, body = EXCLUDED.body""",
                forecast.group_id,
                forecast.type.value,
                held.peer_id,
                held.request_id,
                held.received_at,
                body,
            )
            await self._log(conn, held, accepted=True, reason=None)

    async def refuse(self, held: ForecastInForce, reason: str) -> None:
        async with self.pool.acquire() as conn:
            await self._log(conn, held, accepted=False, reason=reason)

    @staticmethod
    async def _log(
        conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy[asyncpg.Record],
        held: ForecastInForce,
        *,
        accepted: bool,
        reason: str | None,
    ) -> None:
        forecast = held.forecast
        await conn.execute(
            f"""INSERT INTO {SCHEMA}.forecast_log
                    (group_id, type, peer_id, request_id, received_at, accepted, reason, body)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
            forecast.group_id,
            forecast.type.value,
            held.peer_id,
            held.request_id,
            held.received_at,
            accepted,
            reason,
            forecast.model_dump_json(exclude_none=True),
        )

    async def record_sent(
        self,
        *,
        sent_at: datetime,
        peer_id: str,
        endpoint: str,
        group_id: str | None,
        request_id: str | None,
        correlation_id: str | None,
        body: str,
    ) -> None:
        await self.pool.execute(
            f"""INSERT INTO {SCHEMA}.sent_message
                    (sent_at, peer_id, endpoint, group_id, request_id, correlation_id, body)
                VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            sent_at,
            peer_id,
            endpoint,
            group_id,
            request_id,
            correlation_id,
            body,
        )
