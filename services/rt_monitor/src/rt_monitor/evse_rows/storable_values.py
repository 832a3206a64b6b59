"""Checks that a schema-valid OCPP value fits its PostgreSQL column (pure functions)."""

from __future__ import annotations

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


class UnstorableMessage(ValueError):
    """A schema-valid OCPP message the monitor cannot store (out-of-range integer, NUL byte in
    a text, negative connector id). It can never succeed: the message is dead-lettered."""


def checked_text(value: str | None, what: str) -> str | None:
    if value is not None and "\x00" in value:
        raise UnstorableMessage(f"{what} contains a NUL character")
    return value


def checked_int(value: int | None, what: str, *, low: int, high: int) -> int | None:
    if value is not None and not low <= value <= high:
        raise UnstorableMessage(f"{what} {value} is out of range [{low}, {high}]")
    return value


def checked_connector(value: int, *, minimum: int = 0) -> int:
    """OCPP 1.6: connector ids are ≥ 0 (0: the charge point) and > 0 in StartTransaction."""
    checked = checked_int(value, "connectorId", low=minimum, high=INT32_MAX)
    assert checked is not None
    return checked


def checked_transaction_id(value: int | None) -> int | None:
    return checked_int(value, "transactionId", low=-(2**31), high=INT32_MAX)


def checked_wh(value: int, what: str) -> int:
    checked = checked_int(value, what, low=-(2**63), high=INT64_MAX)
    assert checked is not None
    return checked


def checked_evse_id(evse_id: str) -> str:
    checked = checked_text(evse_id, "the evse id")
    assert checked is not None
    return checked
