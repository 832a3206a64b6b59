"""ReserveNow / CancelReservation rules (OCPP 1.6 §5.13, §5.2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ocpp.v16.enums import ChargePointStatus as S
from ocpp.v16.enums import ReservationStatus as R

from cp_simulator.reservations import Reservation, ReservationBook

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def res(
    rid: int = 1, connector: int = 1, tag: str = "GOOD", parent: str | None = None
) -> Reservation:
    return Reservation(rid, connector, tag, LATER, parent)


def test_available_connector_is_reserved() -> None:
    book = ReservationBook()
    assert book.reserve(res(), S.available, NOW) is R.accepted
    assert book.get(1) == res()
    assert book.next_expiry() == LATER


def test_busy_faulted_unavailable_or_otherwise_reserved_connectors_are_refused() -> None:
    book = ReservationBook()
    for status in (S.preparing, S.charging, S.suspended_ev, S.suspended_evse, S.finishing):
        assert book.reserve(res(), status, NOW) is R.occupied
    assert book.reserve(res(), S.faulted, NOW) is R.faulted
    assert book.reserve(res(), S.unavailable, NOW) is R.unavailable
    assert book.reserve(res(1), S.available, NOW) is R.accepted
    assert book.reserve(res(2), S.reserved, NOW) is R.occupied  # reserved by another id


def test_same_reservation_id_replaces_the_reservation_even_on_another_connector() -> None:
    book = ReservationBook()
    assert book.reserve(res(1, 1, "A"), S.available, NOW) is R.accepted
    assert book.reserve(res(1, 1, "B"), S.reserved, NOW) is R.accepted
    assert book.get(1) == res(1, 1, "B")
    assert book.reserve(res(1, 2, "B"), S.available, NOW) is R.accepted
    assert book.get(1) is None and book.get(2) == res(1, 2, "B")


def test_expired_reservation_is_rejected_and_expiry_frees_the_connector() -> None:
    book = ReservationBook()
    past = Reservation(1, 1, "A", NOW - timedelta(seconds=1))
    assert book.reserve(past, S.available, NOW) is R.rejected
    book.reserve(res(), S.available, NOW)
    assert book.expire(NOW) == []
    assert book.expire(LATER) == [res()]
    assert book.get(1) is None


def test_only_the_id_tag_or_its_parent_may_use_the_reservation() -> None:
    plain, grouped = res(tag="GOOD"), res(tag="GOOD", parent="FLEET")
    assert plain.admits("GOOD")
    assert not plain.admits("BAD")
    assert not plain.admits("BAD", "FLEET")
    assert grouped.admits("OTHER", "FLEET")
    assert not grouped.admits("OTHER", "ELSEWHERE")


def test_cancel_and_consume() -> None:
    book = ReservationBook()
    book.reserve(res(5, 2), S.available, NOW)
    assert book.cancel(6) is None
    assert book.cancel(5) == res(5, 2)
    book.reserve(res(5, 2), S.available, NOW)
    assert book.consume(2) == res(5, 2)
    assert book.consume(2) is None
