"""HTTP history API (first piece of the REST API, EVP_003/EVP_040).

- ``GET /api/v1/evs`` — every known EV with its latest state.
- ``GET /api/v1/evs/{ev_id}`` — one EV: characteristics and latest state.
- ``GET /api/v1/evs/{ev_id}/status?from=&to=&limit=&before=`` — status history, newest
  first; ``next`` carries the ``before`` cursor of the following page.

Errors are ``{"message": ...}`` with a 4xx status. Timestamps are RFC 3339 in UTC.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from aiohttp import web

from wiseevp_common.messages.types import format_iso_ms
from wiseevp_common.storage.component import PostgresPool

from .history_query import HistoryQuery, parse_history_query
from .store import SCHEMA


def _status_json(row: asyncpg.Record) -> dict[str, Any]:
    """A stored status in the IOP payload shape, plus when the monitor received it."""
    item: dict[str, Any] = {
        "id": row["ev_id"],
        "timestamp": format_iso_ms(row["ts"]),
        "status": row["status"],
        "soc": row["soc"],
        "autonomy": row["autonomy_km"],
        "coordinates": None if row["lon"] is None else [row["lon"], row["lat"]],
        "travelledDistance": row["travelled_km"],
        "receivedAt": format_iso_ms(row["received_at"]),
    }
    return {k: v for k, v in item.items() if v is not None}


def _ev_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["ev_id"],
        "name": row["name"],
        "connector": {
            "type": row["connector_type"],
            "power": format(row["connector_power_kw"].normalize(), "f"),
        },
        "capacity": row["capacity_kwh"],
        "firstSeen": format_iso_ms(row["first_seen"]),
        "updatedAt": format_iso_ms(row["updated_at"]),
    }


class HistoryApi:
    def __init__(self, db: PostgresPool, max_limit: int) -> None:
        self.db = db
        self.max_limit = max_limit

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/v1/evs", self.list_evs),
            web.get("/api/v1/evs/{ev_id}", self.get_ev),
            web.get("/api/v1/evs/{ev_id}/status", self.status_history),
        ]

    async def list_evs(self, request: web.Request) -> web.Response:
        rows = await self.db.pool.fetch(
            f"SELECT e.*, s.ts, s.status, s.soc, s.autonomy_km, s.lon, s.lat, s.travelled_km, "
            f"s.received_at FROM {SCHEMA}.ev e LEFT JOIN {SCHEMA}.ev_state s USING (ev_id) "
            "ORDER BY ev_id"
        )
        items = []
        for row in rows:
            item = _ev_json(row)
            item["latest"] = _status_json(row) if row["ts"] is not None else None
            items.append(item)
        return web.json_response({"items": items})

    async def get_ev(self, request: web.Request) -> web.Response:
        ev_id = request.match_info["ev_id"]
        ev = await self.db.pool.fetchrow(f"SELECT * FROM {SCHEMA}.ev WHERE ev_id = $1", ev_id)
        state = await self.db.pool.fetchrow(
            f"SELECT * FROM {SCHEMA}.ev_state WHERE ev_id = $1", ev_id
        )
        if ev is None and state is None:
            raise web.HTTPNotFound(text=f"unknown EV {ev_id!r}")
        return web.json_response(
            {
                "id": ev_id,
                "characteristics": _ev_json(ev) if ev is not None else None,
                "latest": _status_json(state) if state is not None else None,
            }
        )

    async def status_history(self, request: web.Request) -> web.Response:
        ev_id = request.match_info["ev_id"]
        query = parse_history_query(request, HistoryQuery, self.max_limit)
        known = await self.db.pool.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {SCHEMA}.ev_state WHERE ev_id = $1)", ev_id
        )
        if not known:
            raise web.HTTPNotFound(text=f"unknown EV {ev_id!r}")
        rows = await self.db.pool.fetch(
            f"SELECT * FROM {SCHEMA}.ev_status_history WHERE ev_id = $1 "
            "AND ($2::timestamptz IS NULL OR ts >= $2) "
            "AND ($3::timestamptz IS NULL OR ts < $3) "
            "ORDER BY ts DESC LIMIT $4",
            ev_id,
            query.from_,
            query.upper,
            query.limit + 1,
        )
        page = rows[: query.limit]
        more = len(rows) > query.limit
        return web.json_response(
            {
                "id": ev_id,
                "items": [_status_json(r) for r in page],
                "next": format_iso_ms(page[-1]["ts"]) if more else None,
            }
        )
