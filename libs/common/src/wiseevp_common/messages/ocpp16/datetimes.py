"""OCPP 1.6 ``dateTime``: RFC 3339 with an offset, parsed to UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated

from pydantic import BeforeValidator

from ..types import IsoTimestamp

# -- timestamps -------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 ``date-time`` (section 5.6) into an aware datetime.

    Stricter than ISO 8601 parsers: a ``T`` separator, seconds and an offset are required;
    fractions beyond microseconds are truncated. Two deviations, for a Python datetime cannot
    hold them: leap seconds (``:60``) and instants outside the years 1 to 9999 in UTC are rejected.
    """
    m = _RFC3339.fullmatch(text)
    if m is None:
        raise ValueError("must be an RFC 3339 date-time, e.g. 2018-01-01T00:00:00Z")
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    fraction = m.group(7)
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    offset = timedelta(0)
    if m.group(8) is not None:
        off_hours, off_minutes = int(m.group(9)), int(m.group(10))
        if off_hours > 23 or off_minutes > 59:
            raise ValueError("the UTC offset of the date-time is out of range")
        offset = timedelta(hours=off_hours, minutes=off_minutes)
        if m.group(8) == "-":
            offset = -offset
    try:
        local = datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone(offset))
        return local.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not a valid date-time: {exc}") from None


def _rfc3339_input(value: object) -> object:
    if isinstance(value, str):
        return parse_rfc3339(value)
    if isinstance(value, datetime):
        return value  # Python callers; awareness is checked by AwareDatetime
    raise ValueError("must be an RFC 3339 date-time string")


OcppDateTime = Annotated[IsoTimestamp, BeforeValidator(_rfc3339_input)]
"""OCPP ``dateTime``: an RFC 3339 string with an offset in JSON (parsed to UTC), an aware
datetime from Python; written back as UTC with milliseconds and ``Z``."""
