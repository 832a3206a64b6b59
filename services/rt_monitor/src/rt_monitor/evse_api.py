"""HTTP history API of the EVSEs (charge points), next to the EV routes of :mod:`.history_api`.

- ``GET /api/v1/evses`` — every known charge point: registry and connectors' latest status.
- ``GET /api/v1/evses/{evse_id}`` — one charge point, with its open transactions.
- ``GET /api/v1/evses/{evse_id}/metervalues?from=&to=&before=&limit=&measurand=&connectorId=``
  — sampled values, newest first.
- ``GET /api/v1/evses/{evse_id}/status?from=&to=&before=&limit=&connectorId=`` — status
  notifications, newest first.
- ``GET /api/v1/evses/{evse_id}/transactions?from=&to=&before=&limit=&connectorId=`` —
  charging sessions by start time, newest first, and the stops not matched to a start.
- ``POST /api/v1/evses/snapshot`` — latest registers, power, charging state and open
  transactions of many charge points at once (:mod:`.evse_snapshot`).

Paging is the EV routes': ``next`` is the ``before`` of the following page (an exclusive upper
bound on the time). Several rows can share a timestamp here (the samples of one meter value,
connectors notified at once), so a page never ends inside such a group: it may hold fewer than
``limit`` rows, or — when one timestamp alone has more than ``limit`` rows — all of them (up to
the server's maximum limit). Errors are ``{"message": ...}`` with a 4xx status; timestamps are
RFC 3339 in UTC with milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
from aiohttp import web
from asyncpg.pool import PoolConnectionProxy
from pydantic import Field

from wiseevp_common.messages.ocpp16 import Measurand
from wiseevp_common.messages.types import format_iso_ms
from wiseevp_common.storage.component import PostgresPool

from .evse_snapshot import EvseSnapshots
from .history_query import HistoryQuery, parse_history_query
from .schema import SCHEMA

R = TypeVar("R")
Q = TypeVar("Q", bound="EvseHistoryQuery")

_BOOT_JSON = {
    "charge_point_vendor": "chargePointVendor",
    "charge_point_model": "chargePointModel",
    "charge_point_serial_number": "chargePointSerialNumber",
    "charge_box_serial_number": "chargeBoxSerialNumber",
    "firmware_version": "firmwareVersion",
    "iccid": "iccid",
    "imsi": "imsi",
    "meter_type": "meterType",
    "meter_serial_number": "meterSerialNumber",
}


class EvseHistoryQuery(HistoryQuery):
    connector_id: int | None = Field(default=None, alias="connectorId", ge=0)


class MeterValuesQuery(EvseHistoryQuery):
    measurand: Measurand | None = None


def cut_page(rows: Sequence[R], limit: int, ts: Callable[[R], datetime]) -> list[R]:
    """The page in ``rows`` (newest first, up to ``limit + 1`` fetched): at most ``limit`` rows,
    never ending inside a group of rows with the same timestamp. Empty when the first
    timestamp alone holds more than ``limit`` rows (the caller then fetches that group)."""
    if len(rows) <= limit:
        return list(rows)
    boundary = ts(rows[limit])
    return [r for r in rows[:limit] if ts(r) > boundary]


def _omit_none(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}


def _iso(value: datetime | None) -> str | None:
    return format_iso_ms(value) if value is not None else None


def _connector_json(row: asyncpg.Record) -> dict[str, Any]:
    """A stored StatusNotification in the OCPP payload shape, plus when it was received."""
    return _omit_none(
        {
            "connectorId": row["connector_id"],
            "status": row["status"],
            "errorCode": row["error_code"],
            "info": row["info"],
            "timestamp": format_iso_ms(row["ts"]),
            "timestampReported": row["timestamp_reported"],
            "vendorId": row["vendor_id"],
            "vendorErrorCode": row["vendor_error_code"],
            "receivedAt": format_iso_ms(row["received_at"]),
        }
    )


def _evse_json(row: asyncpg.Record, connectors: list[dict[str, Any]]) -> dict[str, Any]:
    boot = None
    if row["last_boot_at"] is not None:
        boot = _omit_none({key: row[col] for col, key in _BOOT_JSON.items()})
    return {
        "id": row["evse_id"],
        "bootNotification": boot,
        "lastBootAt": _iso(row["last_boot_at"]),
        "firstSeen": format_iso_ms(row["first_seen"]),
        "lastSeen": format_iso_ms(row["last_seen"]),
        "connectors": connectors,
    }


def _sample_json(row: asyncpg.Record) -> dict[str, Any]:
    return _omit_none(
        {
            "connectorId": row["connector_id"],
            "transactionId": row["transaction_id"],
            "timestamp": format_iso_ms(row["ts"]),
            "measurand": row["measurand"],
            "phase": row["phase"],
            "location": row["location"],
            "context": row["context"],
            "format": row["format"],
            "unit": row["unit"],
            "value": row["value"],
            "receivedAt": format_iso_ms(row["received_at"]),
        }
    )


def _transaction_json(row: asyncpg.Record) -> dict[str, Any]:
    stop = None
    if row["stop_ts"] is not None:
        stop = _omit_none(
            {
                "timestamp": format_iso_ms(row["stop_ts"]),
                "meterStop": row["meter_stop_wh"],
                "idTag": row["stop_id_tag"],
                "reason": row["stop_reason"],
                "receivedAt": _iso(row["stop_received_at"]),
            }
        )
    return _omit_none(
        {
            "transactionId": row["transaction_id"],
            "connectorId": row["connector_id"],
            "idTag": row["id_tag"],
            "state": "open" if stop is None else "closed",
            "start": _omit_none(
                {
                    "timestamp": format_iso_ms(row["start_ts"]),
                    "meterStart": row["meter_start_wh"],
                    "reservationId": row["reservation_id"],
                    "receivedAt": format_iso_ms(row["start_received_at"]),
                }
            ),
            "stop": stop,
            "energyWh": row["meter_stop_wh"] - row["meter_start_wh"] if stop is not None else None,
        }
    )


def _stop_json(row: asyncpg.Record) -> dict[str, Any]:
    return _omit_none(
        {
            "transactionId": row["transaction_id"],
            "timestamp": format_iso_ms(row["ts"]),
            "meterStop": row["meter_stop_wh"],
            "idTag": row["id_tag"],
            "reason": row["reason"],
            "receivedAt": format_iso_ms(row["received_at"]),
        }
    )


class _Where:
    """``WHERE`` conditions with numbered parameters, only for the filters given."""

    def __init__(self, evse_id: str) -> None:
        self.conditions = ["evse_id = $1"]
        self.args: list[Any] = [evse_id]

    def add(self, condition: str, value: Any) -> None:
        self.args.append(value)
        self.conditions.append(condition.format(f"${len(self.args)}"))

    def sql(self) -> str:
        return " AND ".join(self.conditions)

    def copy(self) -> _Where:
        other = _Where("")
        other.conditions, other.args = list(self.conditions), list(self.args)
        return other


class EvseApi:
    def __init__(self, db: PostgresPool, max_limit: int) -> None:
        self.db = db
        self.max_limit = max_limit
        self.snapshots = EvseSnapshots(db)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/api/v1/evses/snapshot", self.snapshots.handle),
            web.get("/api/v1/evses", self.list_evses),
            web.get("/api/v1/evses/{evse_id}", self.get_evse),
            web.get("/api/v1/evses/{evse_id}/metervalues", self.meter_values),
            web.get("/api/v1/evses/{evse_id}/status", self.status_history),
            web.get("/api/v1/evses/{evse_id}/transactions", self.transactions),
        ]

    async def list_evses(self, request: web.Request) -> web.Response:
        async with self.db.pool.acquire() as conn:
            evses = await conn.fetch(f"SELECT * FROM {SCHEMA}.evse ORDER BY evse_id")
            connectors = await conn.fetch(
                f"SELECT * FROM {SCHEMA}.evse_connector ORDER BY evse_id, connector_id"
            )
        by_evse: dict[str, list[dict[str, Any]]] = {}
        for c in connectors:
            by_evse.setdefault(c["evse_id"], []).append(_connector_json(c))
        return web.json_response(
            {"items": [_evse_json(e, by_evse.get(e["evse_id"], [])) for e in evses]}
        )

    async def get_evse(self, request: web.Request) -> web.Response:
        evse_id = request.match_info["evse_id"]
        async with self.db.pool.acquire() as conn:
            evse = await self._known(conn, evse_id)
            connectors = await conn.fetch(
                f"SELECT * FROM {SCHEMA}.evse_connector WHERE evse_id = $1 ORDER BY connector_id",
                evse_id,
            )
            open_txs = await conn.fetch(
                f"SELECT * FROM {SCHEMA}.evse_transaction WHERE evse_id = $1 "
                "AND stop_ts IS NULL ORDER BY start_ts DESC, connector_id",
                evse_id,
            )
        body = _evse_json(evse, [_connector_json(c) for c in connectors])
        body["openTransactions"] = [_transaction_json(t) for t in open_txs]
        return web.json_response(body)

    async def meter_values(self, request: web.Request) -> web.Response:
        query = self._parse(request, MeterValuesQuery)
        where = self._where(request, query, "ts")
        if query.measurand is not None:
            where.add(f"measurand = {{}}::{SCHEMA}.ocpp_measurand", query.measurand.value)
        page = await self._page(
            request,
            query,
            where,
            table="evse_meter_value",
            ts_column="ts",
            order="ts DESC, connector_id DESC, measurand DESC, phase DESC, location DESC, "
            "context DESC, format DESC",
            to_json=_sample_json,
        )
        return web.json_response(page)

    async def status_history(self, request: web.Request) -> web.Response:
        query = self._parse(request, EvseHistoryQuery)
        page = await self._page(
            request,
            query,
            self._where(request, query, "ts"),
            table="evse_status_history",
            ts_column="ts",
            order="ts DESC, connector_id DESC",
            to_json=_connector_json,
        )
        return web.json_response(page)

    async def transactions(self, request: web.Request) -> web.Response:
        query = self._parse(request, EvseHistoryQuery)
        response = await self._page(
            request,
            query,
            self._where(request, query, "start_ts"),
            table="evse_transaction",
            ts_column="start_ts",
            order="start_ts DESC, connector_id DESC, id_tag DESC",
            to_json=_transaction_json,
        )
        unmatched = await self.db.pool.fetch(
            f"SELECT * FROM {SCHEMA}.evse_transaction_stop WHERE evse_id = $1 "
            "AND start_ts IS NULL ORDER BY ts DESC",
            request.match_info["evse_id"],
        )
        response["unmatchedStops"] = [_stop_json(s) for s in unmatched]
        return web.json_response(response)

    # -- helpers -----------------------------------------------------------------------

    @staticmethod
    async def _known(conn: PoolConnectionProxy[asyncpg.Record], evse_id: str) -> asyncpg.Record:
        evse = await conn.fetchrow(f"SELECT * FROM {SCHEMA}.evse WHERE evse_id = $1", evse_id)
        if evse is None:
            raise web.HTTPNotFound(text=f"unknown EVSE {evse_id!r}")
        return evse

    def _where(self, request: web.Request, query: EvseHistoryQuery, ts_column: str) -> _Where:
        where = _Where(request.match_info["evse_id"])
        if query.from_ is not None:
            where.add(f"{ts_column} >= {{}}", query.from_)
        if query.upper is not None:
            where.add(f"{ts_column} < {{}}", query.upper)
        if query.connector_id is not None:
            where.add("connector_id = {}", query.connector_id)
        return where

    async def _page(
        self,
        request: web.Request,
        query: EvseHistoryQuery,
        where: _Where,
        *,
        table: str,
        ts_column: str,
        order: str,
        to_json: Callable[[asyncpg.Record], dict[str, Any]],
    ) -> dict[str, Any]:
        evse_id = request.match_info["evse_id"]
        source = f"{SCHEMA}.{table}"
        async with self.db.pool.acquire() as conn:
            await self._known(conn, evse_id)
            n = len(where.args) + 1
            rows = await conn.fetch(
                f"SELECT * FROM {source} WHERE {where.sql()} ORDER BY {order} LIMIT ${n}",
                *where.args,
                query.limit + 1,
            )
            page = cut_page(rows, query.limit, lambda r: r[ts_column])
            more = len(rows) > len(page)
            if rows and not page:  # one timestamp holds more than `limit` rows: all of them
                first = rows[0][ts_column]
                group = where.copy()
                group.add(f"{ts_column} = {{}}", first)
                page = await conn.fetch(
                    f"SELECT * FROM {source} WHERE {group.sql()} ORDER BY {order} "
                    f"LIMIT {self.max_limit}",
                    *group.args,
                )
                older = where.copy()
                older.add(f"{ts_column} < {{}}", first)
                more = bool(
                    await conn.fetchval(
                        f"SELECT EXISTS (SELECT 1 FROM {source} WHERE {older.sql()})", *older.args
                    )
                )
        return {
            "id": evse_id,
            "items": [to_json(r) for r in page],
            "next": format_iso_ms(page[-1][ts_column]) if more else None,
        }

    def _parse(self, request: web.Request, model: type[Q]) -> Q:
        return parse_history_query(request, model, self.max_limit)
