"""The stats dict of one station: counters, connection state, queue and power gauges."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .connector import Connector

if TYPE_CHECKING:
    from .station import Station


def station_snapshot(station: Station) -> dict[str, Any]:
    """Counters (:class:`.stats.StationStats`) plus: ``connected``, ``registration``,
    ``meter_values_queued``, ``tx_messages_queued``, ``power_w`` (signed sum), ``limit_w`` (sum
    of the connectors' offered power, capped by ChargePointMaxProfile), ``station_limit_w``,
    energy registers and ``connectors``."""
    sessions = station.sessions
    conns = sessions.connectors.values()
    limit = sum(c.offered_w for c in conns)
    if sessions.station_limit_w is not None:
        limit = min(limit, sessions.station_limit_w)
    registration = station.registration
    return {
        "id": station.id,
        **station.counters.counters(),
        "connected": station.connected,
        "registration": registration.value if registration else None,
        "meter_values_queued": station.outbox.transactions.meter_values,
        "tx_messages_queued": len(station.outbox.transactions),
        "power_w": round(sum(c.power_w for c in conns), 1),
        "limit_w": round(limit, 1),
        "station_limit_w": sessions.station_limit_w,
        "energy_import_wh": round(sum(c.import_wh for c in conns), 1),
        "energy_export_wh": round(sum(c.export_wh for c in conns), 1),
        "connectors": {str(c.id): connector_snapshot(c) for c in conns},
    }


def connector_snapshot(conn: Connector) -> dict[str, Any]:
    return {
        "status": conn.status.value,
        "power_w": round(conn.power_w, 1),
        "offered_w": round(conn.offered_w, 1),
        "profile_limit_w": conn.profile_limit_w,
        "soc": round(conn.ev.soc, 2) if conn.ev else None,
        "ev": conn.ev.id if conn.ev else None,
        "transaction_id": conn.tx.transaction_id if conn.tx else None,
        "energy_import_wh": round(conn.import_wh, 1),
        "energy_export_wh": round(conn.export_wh, 1),
    }
