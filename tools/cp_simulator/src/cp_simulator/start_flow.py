"""How a session starts: the EV plugs in, its idTag is authorized (online, or locally when
offline with LocalAuthorizeOffline), a reservation on the connector is checked (idTag or parent
idTag), and the transaction starts (StartTransaction queued)."""

from __future__ import annotations

from datetime import timedelta

from .connector import Connector, PlugResult
from .ev import Ev
from .sessions import SessionManager


async def plug_in(
    sessions: SessionManager,
    connector_id: int,
    ev: Ev,
    *,
    authorized: bool = False,
    present_tag: bool = True,
) -> PlugResult:
    """An EV arrives. Presenting its idTag (unless ``authorized``, e.g. a remote start
    without AuthorizeRemoteTxRequests) runs Authorize, then StartTransaction."""
    conn = sessions.connector(connector_id)
    if conn.ev is not None or conn.tx is not None:
        return PlugResult.OCCUPIED
    if not conn.operative or not sessions.accepting:
        return PlugResult.UNAVAILABLE
    reservation = sessions.reservations.get(connector_id)
    if (
        present_tag
        and reservation
        and not reservation.admits(ev.id_tag)
        and not reservation.parent_id_tag
    ):
        return PlugResult.RESERVED
    now = sessions.clock.now()
    sessions.refresh(now)
    conn.ev, conn.finished = ev, False
    conn.departure = now + timedelta(seconds=ev.dwell_s) if ev.dwell_s is not None else None
    conn.vacated.clear()
    sessions.refresh(now)
    sessions.wake.set()
    if not present_tag:
        return PlugResult.WAITING
    return await begin(sessions, conn, ev.id_tag, authorized=authorized)


async def begin(
    sessions: SessionManager, conn: Connector, id_tag: str, *, authorized: bool
) -> PlugResult:
    """Start a transaction for the EV at ``conn`` with ``id_tag`` (Authorize unless
    ``authorized``); on refusal the EV leaves (REJECTED) or stays unplugged (RESERVED)."""
    parent = None
    if not authorized:
        info = await sessions.port.authorize(id_tag)
        accepted = (
            sessions.keys.local_authorize_offline
            if info is None
            else info.get("status") == "Accepted"
        )
        parent = None if info is None else info.get("parent_id_tag")
        if not accepted:
            sessions.leave(conn)
            return PlugResult.REJECTED
    if conn.ev is None or conn.tx is not None:
        return PlugResult.OCCUPIED  # the EV left, or a transaction started meanwhile
    reservation = sessions.reservations.get(conn.id)
    if reservation is not None and not reservation.admits(id_tag, parent):
        sessions.leave(conn)
        return PlugResult.RESERVED
    if reservation is not None:
        sessions.reservations.consume(conn.id)
    sessions.start_transaction(conn, id_tag, reservation.id if reservation else None)
    return PlugResult.STARTED
