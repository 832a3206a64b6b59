"""Reservation rules (OCPP 1.6 §5.13 ReserveNow, §5.2 CancelReservation): pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ocpp.v16.enums import ChargePointStatus, ReservationStatus

IN_USE = frozenset(
    {
        ChargePointStatus.preparing,
        ChargePointStatus.charging,
        ChargePointStatus.suspended_ev,
        ChargePointStatus.suspended_evse,
        ChargePointStatus.finishing,
    }
)


@dataclass(frozen=True)
class Reservation:
    id: int
    connector_id: int
    id_tag: str
    expiry: datetime
    parent_id_tag: str | None = None

    def admits(self, id_tag: str, parent_id_tag: str | None = None) -> bool:
        """Only the reserved idTag, or one with the same parent idTag, may use the connector."""
        if id_tag == self.id_tag:
            return True
        return self.parent_id_tag is not None and parent_id_tag == self.parent_id_tag


class ReservationBook:
    """The reservations of one charge point, at most one per connector."""

    def __init__(self) -> None:
        self._by_connector: dict[int, Reservation] = {}

    def reserve(
        self, reservation: Reservation, connector_status: ChargePointStatus, now: datetime
    ) -> ReservationStatus:
        """Accept ``reservation`` when the connector can take it; a reservation with an id
        already held is replaced (possibly moving to another connector)."""
        current = self._by_connector.get(reservation.connector_id)
        if reservation.expiry <= now:
            return ReservationStatus.rejected
        if connector_status is ChargePointStatus.faulted:
            return ReservationStatus.faulted
        if connector_status is ChargePointStatus.unavailable:
            return ReservationStatus.unavailable
        if connector_status in IN_USE or (current is not None and current.id != reservation.id):
            return ReservationStatus.occupied
        self.cancel(reservation.id)
        self._by_connector[reservation.connector_id] = reservation
        return ReservationStatus.accepted

    def cancel(self, reservation_id: int) -> Reservation | None:
        """Remove the reservation with this id; ``None`` if there is none."""
        for connector_id, reservation in list(self._by_connector.items()):
            if reservation.id == reservation_id:
                return self._by_connector.pop(connector_id)
        return None

    def get(self, connector_id: int) -> Reservation | None:
        return self._by_connector.get(connector_id)

    def consume(self, connector_id: int) -> Reservation | None:
        """A transaction starts on the connector: its reservation (if any) ends."""
        return self._by_connector.pop(connector_id, None)

    def expire(self, now: datetime) -> list[Reservation]:
        """Remove and return the reservations whose expiryDate has passed."""
        expired = [r for r in self._by_connector.values() if r.expiry <= now]
        for reservation in expired:
            del self._by_connector[reservation.connector_id]
        return expired

    def next_expiry(self) -> datetime | None:
        return min((r.expiry for r in self._by_connector.values()), default=None)

    def clear(self) -> None:
        self._by_connector.clear()
